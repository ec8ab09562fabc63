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
    const { c, m } = requireCpuAddon().poseidonConstants(arity);
    expect(decodeFields(c)).toEqual(published.C[arity - 1]!.map(BigInt));
    expect(decodeFields(m)).toEqual(published.M[arity - 1]!.flat().map(BigInt));
  });
});
