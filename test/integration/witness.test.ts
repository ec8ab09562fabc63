// Witnesses from a circuit's .wasm and its inputs, against snarkjs's witness calculator, bit for bit.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { R } from '../../src/kernels/encoding.js';
import { readWtns } from '../../src/plugins/groth16/files.js';
import { computeWitness, type WitnessOptions } from '../../src/plugins/groth16/witness.js';
import { groth16Fixture, type Groth16Fixture } from '../helpers/groth16.js';

let checked: Groth16Fixture, mul: Groth16Fixture;
const inputs = { x: 3, m: [[1, 2], [3, 4]], k: [5, 6, 7], n: 10 };

beforeAll(async () => {
  checked = await groth16Fixture('checked', inputs as never);
  mul = await groth16Fixture('mul', { a: [1, 2, 3, 4, 5], b: [6, 7, 8, 9, 10] } as never);
}, 300_000);

async function reference(fx: Groth16Fixture, input: unknown): Promise<Uint8Array> {
  const file = join(tmpdir(), `galactic-witness-${process.pid}-${Math.random().toString(36).slice(2)}.wtns`);
  await snarkjs.wtns.calculate(input as never, fx.wasm, file);
  return readWtns(readFileSync(file)).values;
}

const failure = (fx: Groth16Fixture, input: unknown, wasm = readFileSync(fx.wasm), options: WitnessOptions = {}) =>
  computeWitness(wasm, input, options).then(
    () => null,
    (err: { code: string; message: string }) => ({ code: err.code, message: err.message }),
  );

describe('computeWitness', () => {
  it('gives the witness snarkjs gives, for numbers, decimal and hex strings, negatives, r − 1, values past r and nested arrays', async () => {
    const cases: [Groth16Fixture, unknown][] = [
      [checked, inputs],
      [checked, { x: '-1', m: [['0x10', '0'], [(R - 1n).toString(), (R + 5n).toString()]], k: ['1', 2, '0xff'], n: 0 }],
      [mul, { a: [0, 1, (R - 1n).toString(), '123456789012345678901234567890', -7], b: [1, 1, 1, 1, 1] }],
    ];
    for (const [fx, input] of cases) expect(Buffer.from(await computeWitness(readFileSync(fx.wasm), input)).equals(Buffer.from(await reference(fx, input)))).toBe(true);
    expect(Buffer.from(await computeWitness(readFileSync(checked.wasm), inputs)).equals(Buffer.from(readWtns(readFileSync(checked.wtns)).values))).toBe(true);
  });

  it('refuses inputs that do not fit the circuit, naming the signal', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...inputs, y: 1 }, /"y", which is not one of them/],
      [{ ...inputs, inv: 1 }, /"inv", which is not one of them/], // an output, not an input
      [{ ...inputs, k: [1, 2] }, /Expected 3 values for input signal k but received 2/],
      [{ ...inputs, m: [[1, 2], [3]] }, /Expected 4 values for input signal m but received 3/],
      [{ x: 3, k: [1, 2, 3] }, /Expected 9 input values for this circuit but received 4/],
      [{ ...inputs, x: 1.5 }, /an integer .* for input signal x but received 1.5/],
      [{ ...inputs, k: [1, 'two', 3] }, /for input signal k\[1\] but received "two"/],
      [[1, 2], /Expected the input signals as a JSON object/],
      [{ ...inputs, x: () => 3 }, /Expected the input signals as JSON values/],
    ];
    for (const [input, message] of cases) expect(await failure(checked, input), JSON.stringify(input)).toEqual({ code: 'GAL_ERR_WITNESS', message: expect.stringMatching(message) });
  });

  it('reports a constraint the inputs fail', async () => {
    expect(await failure(checked, { ...inputs, x: 0 })).toEqual({ code: 'GAL_ERR_WITNESS', message: expect.stringMatching(/assertion or constraint fails for these inputs/) });
  });

  it('ends a calculation that runs past its time or is stopped', async () => {
    const started = Date.now();
    expect(await failure(checked, { ...inputs, n: 1e15 }, readFileSync(checked.wasm), { timeoutMs: 300 })).toEqual({
      code: 'GAL_ERR_WITNESS',
      message: 'The witness calculation did not finish within 300 ms',
    });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    expect(await failure(checked, { ...inputs, n: 1e15 }, readFileSync(checked.wasm), { signal: stop.signal })).toEqual({
      code: 'GAL_ERR_WITNESS',
      message: 'The witness calculation was stopped',
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(Buffer.from(await computeWitness(readFileSync(checked.wasm), inputs)).equals(Buffer.from(await reference(checked, inputs)))).toBe(true);
  });

  it('refuses a module that is not a circom witness calculator', async () => {
    expect(await failure(checked, inputs, Buffer.from('not wasm'))).toEqual({ code: 'GAL_ERR_WITNESS', message: expect.stringMatching(/not WebAssembly/) });
    const empty = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // a valid module with nothing in it
    expect(await failure(checked, inputs, empty)).toEqual({ code: 'GAL_ERR_WITNESS', message: expect.stringMatching(/does not export getVersion/) });
  });
});
