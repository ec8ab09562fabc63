/**
 * The CUDA kernels' per-thread steps (native/cuda/steps), run on the CPU over
 * the GPU's grid by native/test/cuda_steps_check.cpp, against the CPU backend:
 * MSM (random, zero, r-1, duplicate and all-equal scalars, infinity, several
 * window sizes and two chunks), NTT (every pass layout up to 2^12, inverse,
 * coset) and Poseidon (arities 1, 2, 5, 16). Runs on every machine.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFields, encodePoints, loadKernels, R, type Kernels } from '../../src/kernels/index.js';
import { gpuPoseidonConstants } from '../../src/kernels/cpu.js';
import { expectSameBytes } from '../helpers/bytes.js';
import { randomPoints, rng } from '../helpers/references.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'galactic-steps-'));
const exe = join(dir, 'cuda_steps_check');
let cpu: Kernels;
let file = 0;

beforeAll(async () => {
  await run('g++', ['-O2', '-std=c++17', '-I', join(root, 'native/include'), join(root, 'native/test/cuda_steps_check.cpp'), '-o', exe]);
  cpu = await loadKernels({ backend: 'cpu' });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function put(bytes: Uint8Array): string {
  const path = join(dir, `in${file++}.bin`);
  writeFileSync(path, bytes);
  return path;
}

async function steps(...args: (string | number)[]): Promise<Uint8Array> {
  const out = join(dir, `out${file++}.bin`);
  await run(exe, [...args.map(String), out]);
  return new Uint8Array(readFileSync(out));
}

describe('CUDA MSM steps', () => {
  const n = 300;
  const points = encodePoints(randomPoints(n).map((p, i) => (i % 37 === 5 ? null : p.toAffine())));
  const r = rng(11);
  const cases: Record<string, bigint[]> = {
    random: Array.from({ length: n }, () => r.field()),
    'edge values': Array.from({ length: n }, (_, i) => [0n, 1n, R - 1n, 2n ** 253n, r.field()][i % 5]),
    'all equal': Array.from({ length: n }, () => 123456789123456789n),
    'mostly zero': Array.from({ length: n }, (_, i) => (i % 50 === 7 ? r.field() : 0n)),
    'all zero': Array.from({ length: n }, () => 0n),
  };
  for (const [name, scalars] of Object.entries(cases))
    for (const c of [1, 2, 4, 9, 16])
      it(`${name}, ${c}-bit windows`, async () => {
        const s = encodeFields(scalars);
        expect(await steps('msm', put(points), put(s), c)).toEqual(await cpu.msm(points, s));
      });

  it('one point, and a chunk of one', async () => {
    const p = points.subarray(0, 64), s = encodeFields([R - 1n]);
    expect(await steps('msm', put(p), put(s), 8)).toEqual(await cpu.msm(p, s));
  });
});

describe('CUDA NTT steps', () => {
  const r = rng(5);
  for (const log of [0, 1, 2, 5, 10, 11, 12]) {
    const values = encodeFields(Array.from({ length: 2 ** log }, (_, i) => (i === 0 ? R - 1n : r.field())));
    for (const inverse of [false, true])
      it(`2^${log} ${inverse ? 'inverse' : 'forward'}, and on a coset`, async () => {
        expectSameBytes(await steps('ntt', put(values), inverse ? 1 : 0, '-'), await cpu.ntt(values, { inverse }));
        const shift = encodeFields([7n]);
        expectSameBytes(await steps('ntt', put(values), inverse ? 1 : 0, put(shift)), await cpu.ntt(values, { inverse, coset: 7n }));
      });
  }
});

describe('CUDA Poseidon steps', () => {
  const r = rng(9);
  for (const arity of [1, 2, 5, 16])
    it(`arity ${arity}`, async () => {
      const inputs = encodeFields(Array.from({ length: 40 * arity }, (_, i) => (i === 0 ? R - 1n : i === 1 ? 0n : r.field())));
      expect(await steps('poseidon', put(inputs), arity, put(gpuPoseidonConstants(arity)))).toEqual(await cpu.poseidon(inputs, arity));
    });
});
