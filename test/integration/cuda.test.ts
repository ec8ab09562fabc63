/**
 * The CUDA module. Everywhere nvcc is (CI included): it builds, loads and,
 * without a GPU, reports zero devices with the reason, while every entry
 * point answers a GalacticError rather than a raw CUDA error; the install
 * step's CUDA build stays optional. On a GPU: resident points, inputs large
 * enough to be chunked, skewed scalars at scale and the device option,
 * against the CPU backend. (The kernels' cross-check suites run against cuda
 * too, wherever a device is present.)
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { GalacticError } from '../../src/errors.js';
import { cudaRuntime, encodeFields, encodePoints, isCudaKernels, listBackends, loadKernels, R } from '../../src/kernels/index.js';
import { loadCudaAddon } from '../../src/kernels/cuda.js';
import { probe } from '../../src/probe/index.js';
import { kernelsFor } from '../helpers/backends.js';
import { expectSameBytes } from '../helpers/bytes.js';
import { randomPoints, rng } from '../helpers/references.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const nvcc = (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'nvcc')));
const addon = loadCudaAddon();
const runtime = cudaRuntime();
const dir = mkdtempSync(join(tmpdir(), 'galactic-cuda-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp) {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(GalacticError);
  expect((err as GalacticError).code).toBe(code);
  if (message) expect((err as GalacticError).message).toMatch(message);
}

describe('the CUDA module', () => {
  it.skipIf(!nvcc && !process.env.CI)('was built by npm install (nvcc is on PATH) and loads', () => {
    if (addon instanceof Error) throw new Error(`nvcc is on PATH but the CUDA module did not load: ${addon.message}`);
    const d = addon.devices();
    expect(d.architectures).toMatch(/^\d+(,\d+)*$/);
    expect(d.count).toBe(d.devices.length);
    expect(addon.msmWindowBits(1 << 20)).toBeGreaterThanOrEqual(8);
  });

  it.skipIf(addon instanceof Error || runtime.available)('reports zero devices cleanly where there is no GPU', async () => {
    if (addon instanceof Error) return;
    const d = addon.devices();
    expect(d).toMatchObject({ count: 0, devices: [] });
    expect(d.reason).toMatch(/\w/);
    expect((await listBackends()).find((b) => b.name === 'cuda')).toMatchObject({ available: false, reason: expect.stringMatching(/no CUDA device/) });
    await rejectsWith(loadKernels({ backend: 'cuda' }), 'GAL_ERR_BACKEND_UNAVAILABLE', /no CUDA device/);
    expect((await probe({ sources: { docker: async () => ({ version: 'n/a' }) } })).cuda).toMatchObject({ available: false, devices: [] });
    // Straight to the module, past the facade: still a named error, never a CUDA one.
    const zeros = new Uint8Array(64);
    for (const call of [
      () => addon.ntt(0, zeros, false, null),
      () => addon.msm(0, zeros, 0, zeros.subarray(0, 32), 0),
      () => addon.poseidon(0, zeros, 2, zeros),
      () => addon.uploadPoints(0, zeros),
      () => addon.releaseCached(1),
    ]) {
      const err = (await call().catch((e: unknown) => e)) as { code?: string; message?: string };
      expect(err).toMatchObject({ code: 'GAL_ERR_BACKEND_UNAVAILABLE', message: expect.stringMatching(/CUDA device index below 0/) });
    }
  });

  it('npm install stays quiet without nvcc and warns once when the CUDA build fails', async () => {
    const script = join(root, 'scripts/build-cuda.mjs');
    const out = join(dir, 'build');
    const quiet = await run(process.execPath, [script, '--optional', '--out', out], { env: { ...process.env, PATH: dirname(process.execPath), CUDACXX: '' } });
    expect(quiet.stdout + quiet.stderr).toBe('');
    const fake = join(dir, 'nvcc');
    writeFileSync(fake, '#!/bin/sh\necho "nvcc: broken toolkit" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const failed = await run(process.execPath, [script, '--optional', '--out', out], { env: { ...process.env, CUDACXX: fake } });
    expect(failed.stdout).toBe('');
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/CUDA backend was not built.*CPU backend is unaffected/);
    const strict = await run(process.execPath, [script, '--out', out], { env: { ...process.env, CUDACXX: fake } }).catch((e: { code: number }) => e);
    expect(strict).toMatchObject({ code: 1 });
  }, 120_000);
});

if (!runtime.available) console.warn(`skipping the CUDA GPU suite: ${runtime.reason}`);
// Time limits a few times what each test needs on a GPU machine, and well
// inside a session on one: a call that hangs fails its own test, by name.
describe.skipIf(!runtime.available)(`the CUDA backend on a GPU${runtime.available ? '' : ` (skipped: ${runtime.reason})`}`, () => {
  const r = rng(21);
  // Large inputs cheaply: 1024 distinct points, repeated.
  const base = randomPoints(1024).map((p) => p.toAffine());
  const points = (n: number) => encodePoints(Array.from({ length: n }, (_, i) => base[i % base.length]!));

  it('lists every device and refuses an index past them', async () => {
    expect(runtime.devices.length).toBeGreaterThan(0);
    runtime.devices.forEach((d, i) => expect(d).toMatchObject({ index: i, name: expect.any(String), computeCapability: expect.stringMatching(/^\d+\.\d+$/) }));
    await rejectsWith(loadKernels({ backend: 'cuda', device: runtime.devices.length }), 'GAL_ERR_BACKEND_UNAVAILABLE', /device index below/);
    await rejectsWith(loadKernels({ backend: 'cuda', device: -1 }), 'GAL_ERR_INVALID_ARGUMENT');
  });

  it('keeps points resident across MSMs until released', async () => {
    const k = await kernelsFor('cuda');
    const cpu = await kernelsFor('cpu');
    if (!isCudaKernels(k)) throw new Error('expected the cuda backend');
    const p = points(1 << 16);
    const bases = await k.uploadPoints(p);
    for (let round = 0; round < 3; round++) {
      const s = encodeFields(Array.from({ length: 1 << 16 }, () => r.field()));
      expect(await k.msm(bases, s)).toEqual(await cpu.msm(p, s));
    }
    await rejectsWith(k.msm(bases, new Uint8Array(32)), 'GAL_ERR_BUFFER_LENGTH');
    await bases.release();
    await rejectsWith(k.msm(bases, encodeFields([1n])), 'GAL_ERR_INVALID_ARGUMENT', /not released/);
    const bad = p.slice();
    bad[64 * 77 + 5] ^= 1;  // point 77 off the curve
    await rejectsWith(k.uploadPoints(bad), 'GAL_ERR_NOT_ON_CURVE', /point 77/);
  }, 60_000);

  it('chunks an MSM larger than one chunk (2^22 + 3 points) and agrees with cpu', async () => {
    const k = await kernelsFor('cuda');
    const cpu = await kernelsFor('cpu');
    const n = (1 << 22) + 3;
    const p = points(n);
    const s = encodeFields(Array.from({ length: n }, (_, i) => (i % 1000 === 0 ? 0n : i % 997 === 0 ? R - 1n : r.field())));
    expect(await k.msm(p, s)).toEqual(await cpu.msm(p, s));
    if (isCudaKernels(k)) {
      const bases = await k.uploadPoints(p);
      expect(await k.msm(bases, s)).toEqual(await cpu.msm(p, s));
      await bases.release();
    }
  }, 180_000);

  it('sums skewed scalars at scale: all equal, mostly zero, two values', async () => {
    const k = await kernelsFor('cuda');
    const cpu = await kernelsFor('cpu');
    const n = 1 << 18;
    const p = points(n);
    const same = r.field();
    for (const make of [() => same, (i: number) => (i % 4096 === 0 ? r.field() : 0n), (i: number) => (i % 2 ? same : R - 1n)]) {
      const s = encodeFields(Array.from({ length: n }, (_, i) => make(i)));
      expect(await k.msm(p, s)).toEqual(await cpu.msm(p, s));
    }
  }, 120_000);

  it('runs NTTs past one shared-memory pass and Merkle roots of 2^16 leaves', async () => {
    const k = await kernelsFor('cuda');
    const cpu = await kernelsFor('cpu');
    for (const log of [16, 21]) {
      const v = encodeFields(Array.from({ length: 2 ** log }, () => r.field()));
      for (const opts of [{}, { inverse: true }, { coset: true }, { inverse: true, coset: 3n }]) expectSameBytes(await k.ntt(v, opts), await cpu.ntt(v, opts));
    }
    const leaves = encodeFields(Array.from({ length: 1 << 16 }, () => r.field()));
    expect(await k.poseidonMerkleRoot(leaves)).toEqual(await cpu.poseidonMerkleRoot(leaves));
    // After giving its cached memory back, the backend builds it again.
    await k.release?.();
    const v = encodeFields(Array.from({ length: 2 ** 12 }, () => r.field()));
    expectSameBytes(await k.ntt(v, { coset: true }), await cpu.ntt(v, { coset: true }));
    expect(await k.poseidonMerkleRoot(leaves)).toEqual(await cpu.poseidonMerkleRoot(leaves));
  }, 120_000);
});
