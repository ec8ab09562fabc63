/**
 * The Poseidon constants we derive from the Grain LFSR and the Cauchy
 * construction must equal circomlib's published parameters, value by value.
 */
import { describe, expect, it } from 'vitest';
import { decodeFields } from '../../src/kernels/index.js';
import { requireCpuAddon } from '../../src/kernels/cpu.js';

// Imported by path: circomlibjs does not export its constants module.
const published = (await import(new URL('../../node_modules/circomlibjs/src/poseidon_constants.js', import.meta.url).href))
  .default as { C: string[][]; M: string[][][] };

describe('Poseidon parameters', () => {
  it.each(Array.from({ length: 16 }, (_, i) => i + 1))('arity %i: round constants and MDS matrix', (arity) => {
    const { c, m, partial } = requireCpuAddon().poseidonConstants(arity);
    expect(decodeFields(c)).toEqual(published.C[arity - 1]!.map(BigInt));
    expect(decodeFields(m)).toEqual(published.M[arity - 1]!.flat().map(BigInt));
    // The optimised partial rounds exist for every width (the webgpu kernel relies on it):
    // rp constants, rp sparse matrices of 2t-1, the (t-1)² tail and t constants after.
    const t = arity + 1, rp = c.length / 32 / t - 8;
    expect(partial.length / 32).toBe(rp + rp * (2 * t - 1) + (t - 1) ** 2 + t);
  });
});
