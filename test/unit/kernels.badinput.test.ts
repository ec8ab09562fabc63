/**
 * Bad input never crashes: every malformed call rejects with a GalacticError
 * carrying its code, on every backend, and the next call still works.
 */
import { describe, expect, it } from 'vitest';
import { GalacticError } from '../../src/errors.js';
import { Q, R, encodeFields, encodePoints, fieldToBytes, loadKernels } from '../../src/kernels/index.js';
import { backendsUnderTest, kernelsFor } from '../helpers/backends.js';
import { randomPoints, toAffine } from '../helpers/references.js';

const backends = await backendsUnderTest();

async function rejectsWith(promise: Promise<unknown>, code: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GalacticError);
  expect((err as GalacticError).code).toBe(code);
  expect((err as GalacticError).message).toMatch(/^Expected .+/);
}

describe.each(backends)('%s backend rejects bad input', (backend) => {
  const k = () => kernelsFor(backend);
  const pts = encodePoints(randomPoints(3, 1).map(toAffine));
  const sc = encodeFields([1n, 2n, 3n]);

  it('msm: buffer shapes', async () => {
    const kk = await k();
    await rejectsWith(kk.msm(pts.subarray(1), sc), 'GAL_ERR_BUFFER_LENGTH');
    await rejectsWith(kk.msm(pts, sc.subarray(32)), 'GAL_ERR_BUFFER_LENGTH');
    await rejectsWith(kk.msm([1, 2] as unknown as Uint8Array, sc), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(kk.msm(pts, 'abc' as unknown as Uint8Array), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(kk.msm(pts, new Uint32Array(24) as unknown as Uint8Array), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(kk.msm(pts, sc, { windowBits: 99 }), 'GAL_ERR_INVALID_ARGUMENT');
  });

  it('msm: scalar r and above, coordinates q and above', async () => {
    const kk = await k();
    await rejectsWith(kk.msm(pts, new Uint8Array(96).fill(0xff)), 'GAL_ERR_FIELD_RANGE');
    const scR = new Uint8Array(sc);
    scR.set(fieldToBytes(R, R + 1n), 32);
    await rejectsWith(kk.msm(pts, scR), 'GAL_ERR_FIELD_RANGE');
    const badX = new Uint8Array(pts);
    badX.set(fieldToBytes(Q, Q + 1n), 64);
    await rejectsWith(kk.msm(badX, sc), 'GAL_ERR_FIELD_RANGE');
  });

  it('msm: points off the curve, including (0, y) and (x, 0)', async () => {
    const kk = await k();
    for (const p of [{ x: 1n, y: 1n }, { x: 0n, y: 5n }, { x: 1n, y: 0n }]) {
      await rejectsWith(kk.msm(encodePoints([p]), encodeFields([1n])), 'GAL_ERR_NOT_ON_CURVE');
    }
    const msg = await kk.msm(encodePoints([toAffine(randomPoints(1)[0]!), { x: 1n, y: 1n }]), encodeFields([1n, 1n])).catch((e: Error) => e.message);
    expect(msg).toContain('point 1');
    // Past the first eight (the vector path checks points eight at a time).
    const many = randomPoints(20, 3).map(toAffine);
    const offCurve = [...many];
    offCurve[13] = { x: 1n, y: 1n };
    const sc20 = encodeFields(Array(20).fill(5n));
    expect(await kk.msm(encodePoints(offCurve), sc20).catch((e: Error) => e.message)).toMatch(/point 13 on BN254 G1/);
    const outOfRange = encodePoints(many);
    outOfRange.set(fieldToBytes(Q, Q + 1n), 64 * 17 + 32);
    expect(await kk.msm(outOfRange, sc20).catch((e: Error) => e.message)).toMatch(/point 17 coordinates below q/);
  });

  it('ntt: sizes that are not powers of two, non-canonical values, bad options', async () => {
    const kk = await k();
    await rejectsWith(kk.ntt(encodeFields([1n, 2n, 3n])), 'GAL_ERR_NTT_SIZE');
    await rejectsWith(kk.ntt(new Uint8Array(0)), 'GAL_ERR_NTT_SIZE');
    await rejectsWith(kk.ntt(new Uint8Array(33)), 'GAL_ERR_BUFFER_LENGTH');
    const v = encodeFields([1n, 2n, 3n, 4n]);
    v.set(fieldToBytes(R, R + 1n), 64);
    await rejectsWith(kk.ntt(v), 'GAL_ERR_FIELD_RANGE');
    await rejectsWith(kk.ntt(encodeFields([1n, 2n]), { coset: 0n }), 'GAL_ERR_FIELD_RANGE');
    await rejectsWith(kk.ntt(encodeFields([1n, 2n]), { coset: 'x' as unknown as boolean }), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(kk.ntt(encodeFields([1n, 2n]), { inverse: 1 as unknown as boolean }), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(kk.ntt(null as unknown as Uint8Array), 'GAL_ERR_INVALID_ARGUMENT');
  });

  it('ntt of 512 values (the eight-lane load on the CPU): the first value not below r is named', async () => {
    const kk = await k();
    for (const bad of [R, R + 1n, R + 2n ** 192n, 2n ** 256n - 1n]) {
      const v = encodeFields(Array.from({ length: 512 }, (_, i) => (i % 3 ? R - 1n : BigInt(i))));
      v.set(fieldToBytes(bad, 2n ** 256n), 32 * 300);
      v.set(fieldToBytes(bad, 2n ** 256n), 32 * 301);
      expect(await kk.ntt(v).catch((e: GalacticError) => `${e.code} ${e.message}`)).toMatch(/^GAL_ERR_FIELD_RANGE .*value 300 /);
    }
  });

  it('poseidon: arity out of range, lengths, values', async () => {
    const kk = await k();
    for (const arity of [0, 17, 1.5, -1, NaN, '2']) {
      await rejectsWith(kk.poseidon(encodeFields([1n, 2n]), arity as number), 'GAL_ERR_ARITY');
    }
    await rejectsWith(kk.poseidon(encodeFields([1n, 2n, 3n]), 2), 'GAL_ERR_BUFFER_LENGTH');
    await rejectsWith(kk.poseidon(new Uint8Array(0), 2), 'GAL_ERR_BUFFER_LENGTH');
    const v = encodeFields([1n, 2n]);
    v.fill(0xff, 32);
    await rejectsWith(kk.poseidon(v, 2), 'GAL_ERR_FIELD_RANGE');
    await rejectsWith(kk.poseidonMerkleRoot(encodeFields([1n, 2n, 3n])), 'GAL_ERR_BUFFER_LENGTH');
  });

  it('still computes after every rejection', async () => {
    const out = await (await k()).poseidon(encodeFields([1n, 2n]), 2);
    expect(out.length).toBe(32);
  });
});

describe('cpu backend, random bytes on the vector and scalar paths', () => {
  // Random bytes are almost never valid points or values below the modulus:
  // every call must settle with a code, never crash the process.
  const codes = ['GAL_ERR_FIELD_RANGE', 'GAL_ERR_NOT_ON_CURVE'];
  let state = 0x9e3779b9;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 24));
  const settles = async (call: Promise<unknown>) => {
    const err = await call.then(() => null, (e: unknown) => e);
    if (err !== null) {
      expect(err).toBeInstanceOf(GalacticError);
      expect(codes).toContain((err as GalacticError).code);
    }
  };
  it.each(['1', '0'])('GALACTIC_CPU_VECTOR=%s', async (vector) => {
    const saved = process.env.GALACTIC_CPU_VECTOR;
    process.env.GALACTIC_CPU_VECTOR = vector;
    try {
      const k = await loadKernels({ backend: 'cpu' });
      for (const n of [1, 7, 8, 9, 255, 256, 1000]) {
        await settles(k.msm(bytes(64 * n), bytes(32 * n)));
        await settles(k.msmG2!(bytes(128 * n), bytes(32 * n)));
        await settles(k.poseidon(bytes(64 * n), 2));
      }
      for (const n of [1, 256, 1024]) await settles(k.ntt(bytes(32 * n)));
      // Valid scalars and points at infinity, but random coordinates in one point.
      const inf = new Uint8Array(64 * 300);
      inf.set(bytes(64), 64 * 137);
      await settles(k.msm(inf, new Uint8Array(32 * 300)));
    } finally {
      if (saved === undefined) delete process.env.GALACTIC_CPU_VECTOR;
      else process.env.GALACTIC_CPU_VECTOR = saved;
    }
  });
});

describe('loadKernels', () => {
  it('rejects unknown backends and options', async () => {
    await rejectsWith(loadKernels({ backend: 'tpu' as 'cpu' }), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(loadKernels({ backend: 'cpu', threads: 0 }), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(loadKernels(7 as unknown as object), 'GAL_ERR_INVALID_ARGUMENT');
  });

  it('names the backend it picked and honours threads, per instance and per call', async () => {
    const k = await loadKernels({ backend: 'cpu', threads: 1 });
    expect(k.backend).toBe('cpu');
    expect(k.threads).toBe(1);
    const one = await k.poseidon(encodeFields([1n, 2n, 3n, 4n]), 1);
    expect(await k.poseidon(encodeFields([1n, 2n, 3n, 4n]), 1, { threads: 2 })).toEqual(one);
    await rejectsWith(k.poseidon(encodeFields([1n]), 1, { threads: -2 }), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(k.ntt(encodeFields([1n]), { threads: 1.5 }), 'GAL_ERR_INVALID_ARGUMENT');
    await rejectsWith(k.msm(new Uint8Array(0), new Uint8Array(0), 'x' as object), 'GAL_ERR_INVALID_ARGUMENT');
  });

  it('GALACTIC_BACKEND forces a backend', async () => {
    process.env.GALACTIC_BACKEND = 'cpu';
    try {
      expect((await loadKernels()).backend).toBe('cpu');
      process.env.GALACTIC_BACKEND = 'bogus';
      await rejectsWith(loadKernels(), 'GAL_ERR_INVALID_ARGUMENT');
    } finally {
      delete process.env.GALACTIC_BACKEND;
    }
  });

  it('a native failure points at the calling code', async () => {
    const k = await loadKernels({ backend: 'cpu' });
    const err = (await k.msm(encodePoints([{ x: 1n, y: 1n }]), encodeFields([1n])).catch((e: unknown) => e)) as Error;
    expect(err.stack).toContain('kernels.badinput.test.ts');
  });
});
