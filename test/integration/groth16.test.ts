import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/kernels/index.js';
import { readWtns, readZkey } from '../../src/plugins/groth16/files.js';
import { Groth16Prover } from '../../src/plugins/groth16/prover.js';
import { groth16Fixture, type Groth16Fixture } from '../helpers/groth16.js';

let fx: Groth16Fixture;

beforeAll(async () => {
  fx = await groth16Fixture('chain', { x: 3 });
}, 300_000);

afterAll(async () => {
  // snarkjs keeps its curve's worker threads alive; let them go.
  await (globalThis as any).curve_bn128?.terminate?.();
});

describe('Groth16 prover on our kernels', () => {
  it('makes proofs snarkjs verifies, fresh randomness each time', async () => {
    const prover = await Groth16Prover.load(readFileSync(fx.zkey), await loadKernels({ backend: 'cpu' }));
    const witness = readWtns(readFileSync(fx.wtns));
    expect(witness.nWitness).toBe(prover.zkey.nVars);
    const one = await prover.prove(witness.values);
    const two = await prover.prove(witness.values);
    expect(await snarkjs.groth16.verify(fx.vkey, one.publicSignals, one.proof)).toBe(true);
    expect(await snarkjs.groth16.verify(fx.vkey, two.publicSignals, two.proof)).toBe(true);
    expect(two.proof.pi_a).not.toEqual(one.proof.pi_a);
    // The public signals are the circuit's: chain(300) of x = 3 outputs y first.
    const ours = await snarkjs.groth16.fullProve({ x: 3 }, fx.wasm, fx.zkey);
    expect(one.publicSignals).toEqual(ours.publicSignals);
    // And verification is not vacuous: another statement or a changed point fails.
    expect(await snarkjs.groth16.verify(fx.vkey, ['1', ...one.publicSignals.slice(1)], one.proof)).toBe(false);
    const bent = structuredClone(one.proof);
    bent.pi_c = two.proof.pi_c;
    expect(await snarkjs.groth16.verify(fx.vkey, one.publicSignals, bent)).toBe(false);
  });

  it('rejects files that are not what they claim', () => {
    const zkey = readFileSync(fx.zkey);
    expect(() => readZkey(zkey.subarray(0, 100))).toThrow(/Expected a valid .zkey/);
    expect(() => readZkey(readFileSync(fx.wtns))).toThrow(/"zkey"/);
    expect(() => readWtns(zkey)).toThrow(/"wtns"/);
  });
});
