/**
 * The webgpu backend as a device: its adapter, direct agreement with the CPU
 * backend on random inputs (chunked MSM included), 'auto' passing over a
 * software adapter, and a device lost in the middle of a call. The shared
 * cross-check and bad-input suites run against it as well.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GalacticError } from '../../src/errors.js';
import { cudaRuntime, encodeFields, encodePoints, listBackends, loadKernels, type Kernels } from '../../src/kernels/index.js';
import { currentDevice, type WebGpuKernels } from '../../src/kernels/webgpu.js';
import { kernelsFor } from '../helpers/backends.js';
import { expectSameBytes } from '../helpers/bytes.js';
import { randomPoints, rng, toAffine } from '../helpers/references.js';

const webgpu = (await listBackends()).find((b) => b.name === 'webgpu')!;
if (!webgpu.available && process.env.CI) throw new Error(`under CI the webgpu suite must run (.ci/run installs Mesa): ${webgpu.reason}`);

describe.skipIf(!webgpu.available)(`webgpu backend as a device${webgpu.available ? '' : ` (skipped: ${webgpu.reason})`}`, () => {
  const cpu = () => kernelsFor('cpu');
  const fields = (n: number, seed: number) => {
    const r = rng(seed);
    return encodeFields(Array.from({ length: n }, () => r.field()));
  };
  let own: WebGpuKernels | undefined;
  afterAll(() => own?.release());

  it('describes its adapter', async () => {
    const k = (await kernelsFor('webgpu')) as WebGpuKernels;
    expect(k.backend).toBe('webgpu');
    expect(typeof k.adapter.backend).toBe('string');
    expect(typeof k.adapter.software).toBe('boolean');
    if (/llvmpipe/.test(`${k.adapter.device} ${k.adapter.description}`)) expect(k.adapter.software).toBe(true);
  });

  it("'auto' does not choose a software adapter", async () => {
    const k = (await kernelsFor('webgpu')) as WebGpuKernels;
    const saved = process.env.GALACTIC_BACKEND;
    delete process.env.GALACTIC_BACKEND;
    try {
      const auto = await loadKernels();
      const cuda = cudaRuntime().available;  // a CUDA device comes first
      expect(auto.backend).toBe(cuda ? 'cuda' : k.adapter.software ? 'cpu' : 'webgpu');
      if (auto.backend === 'webgpu') (auto as WebGpuKernels).release();
    } finally {
      if (saved !== undefined) process.env.GALACTIC_BACKEND = saved;
    }
  });

  it('agrees with the cpu backend on random inputs', async () => {
    const g = await kernelsFor('webgpu');
    const c = await cpu();
    const same = async (call: (k: Kernels) => Promise<Uint8Array>) => expectSameBytes(await call(g), await call(c));
    const n = 3000;
    const pts = encodePoints(randomPoints(n, 41).map(toAffine));
    const sc = fields(n, 42);
    await same((k) => k.msm(pts, sc));
    await same((k) => k.msm(pts, sc, { windowBits: 11 }));
    const values = fields(2 ** 13, 43);
    await same((k) => k.ntt(values, { coset: 7n }));
    await same((k) => k.ntt(values, { inverse: true, coset: true }));
    await same((k) => k.poseidon(fields(3 * 500, 44), 3));
    await same((k) => k.poseidonMerkleRoot(fields(2 ** 10, 45)));
  });

  it('an MSM larger than one chunk sums its chunks', async () => {
    const g = (await kernelsFor('webgpu')) as WebGpuKernels;
    // 65,535 points a chunk on a software adapter; on a GPU one chunk holds them all.
    const n = 65_535 + 1_000;
    const base = randomPoints(1_000, 46).map(toAffine);
    const pts = encodePoints(Array.from({ length: n }, (_, i) => base[i % base.length]!));
    const sc = fields(n, 47);
    const c = await cpu();
    expectSameBytes(await g.msm(pts, sc), await c.msm(pts, sc));
    // Equal scalars: every chunk adds to the same bucket of each window.
    // Scalars 1 and 2: all of a chunk's points in two neighbouring buckets,
    // which one invocation sums in one loop.
    for (const skewed of [() => 0xabcdef0123456789n, (i: number) => BigInt(1 + (i % 2))]) {
      const sc = encodeFields(Array.from({ length: n }, (_, i) => skewed(i)));
      expectSameBytes(await g.msm(pts, sc), await c.msm(pts, sc));
    }
    // Failures in a later chunk name the global index.
    const bad = sc.slice();
    bad.fill(0xff, 32 * (n - 7), 32 * (n - 6));
    const err = await g.msm(pts, bad).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'GAL_ERR_FIELD_RANGE', message: expect.stringContaining(`scalar ${n - 7} `) });
  }, 300_000);

  it('a device lost during a call fails that call with GAL_ERR_DEVICE_LOST; the next call gets a new device', async () => {
    own = (await loadKernels({ backend: 'webgpu' })) as WebGpuKernels;
    const values = fields(2 ** 14, 48);
    const first = currentDevice(own)!;
    const running = own.ntt(values);
    first.destroy();
    const err = await running.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GalacticError);
    expect((err as GalacticError).code).toBe('GAL_ERR_DEVICE_LOST');
    expect((err as GalacticError).message).toMatch(/lost/);
    const again = await own.ntt(values);
    expect(currentDevice(own)).not.toBe(first);
    expectSameBytes(again, await (await cpu()).ntt(values));
  });
});
