/**
 * Every backend against the independent references, on random inputs at many
 * sizes and on the edge cases: MSM vs @noble/curves, NTT vs ffjavascript,
 * Poseidon vs circomlibjs.
 */
import { describe, expect, it } from 'vitest';
import { Q, R, decodeFields, decodePoint, encodeFields, encodePoints, readField } from '../../src/kernels/index.js';
import { backendsUnderTest, kernelsFor } from '../helpers/backends.js';
import { expectSameBytes } from '../helpers/bytes.js';
import { buildBn128 } from 'ffjavascript';
import { Fr, G1, TEST_NPOW, randomPoints, referenceMsm, referencePoseidon, rng, toAffine } from '../helpers/references.js';

const backends = await backendsUnderTest();

describe.each(backends)('%s backend', (backend) => {
  const k = () => kernelsFor(backend);

  describe('msm', () => {
    async function check(points: InstanceType<typeof G1>[], scalars: bigint[], windowBits?: number) {
      const got = decodePoint(await (await k()).msm(encodePoints(points.map(toAffine)), encodeFields(scalars), { windowBits }));
      expect(got).toEqual(referenceMsm(points, scalars));
    }

    const sizes = [1, 2, 3, 4, 5, 15, 16, 17, 100, 255, 256, 257, 1000];
    for (let p = 10; p <= TEST_NPOW; p += 2) sizes.push(2 ** p, 2 ** p + 1);
    it.each(sizes)('random points and scalars, n = %i', async (n) => {
      const r = rng(n);
      await check(randomPoints(n, n), Array.from({ length: n }, () => r.field()));
    });

    it('scalars 0, 1 and r-1', async () => {
      const pts = randomPoints(6, 3);
      await check(pts, [0n, 1n, R - 1n, 0n, 1n, R - 1n]);
      await check(pts.slice(0, 1), [0n]);
      await check(pts.slice(0, 1), [R - 1n]);
    });

    it('points at infinity are skipped', async () => {
      const pts = randomPoints(5, 4);
      pts[1] = G1.ZERO;
      pts[3] = G1.ZERO;
      await check(pts, [5n, 6n, 7n, 8n, 9n]);
      await check([G1.ZERO], [123n]);
    });

    it('duplicate points meet in one bucket (doubling inside a batch)', async () => {
      const p = randomPoints(1, 9)[0]!;
      for (const w of [undefined, 2, 3]) {
        await check(Array(64).fill(p), Array(64).fill(12345n), w);
        await check(Array(33).fill(p), Array.from({ length: 33 }, (_, i) => BigInt(i % 4)), w);
      }
    });

    it('opposite points cancel to infinity', async () => {
      const [p] = randomPoints(1, 11);
      const q = p!.negate();
      await check([p!, q], [77n, 77n]);
      await check([p!, q, p!, q], [R - 1n, R - 1n, 3n, 3n], 2);
      const res = decodePoint(await (await k()).msm(encodePoints([toAffine(p!), toAffine(q)]), encodeFields([9n, 9n])));
      expect(res).toBeNull();
    });

    it('skewed scalars: all equal, mostly zero, and small', async () => {
      const n = 2000;
      const pts = randomPoints(n, 12);
      const r = rng(5);
      await check(pts, Array(n).fill(R - 2n));
      await check(pts, Array.from({ length: n }, (_, i) => (i % 97 === 0 ? r.field() : 0n)));
      await check(pts, Array.from({ length: n }, (_, i) => BigInt(i % 3)));
    });

    it('bucket reduction: running sums equal to, or opposite to, the next bucket', async () => {
      const [p, q] = randomPoints(2, 21);
      const P = p!, N = P.negate();
      for (const w of [7, 8, 9]) {
        await check([P, P], [5n, 9n], w);                 // running = P meets bucket P: a doubling
        await check([P, N], [9n, 5n], w);                 // running = P meets bucket -P: infinity
        await check([P, P, P], [3n, 3n + 2n ** BigInt(w), 40n], w);
        await check([P, q!, N, P], [1n, 2n, 1n, 2n ** BigInt(w) - 1n], w);
        await check(Array(20).fill(P), Array.from({ length: 20 }, (_, i) => BigInt(i + 1)), w);
      }
    });

    it('every window size gives the same result', async () => {
      const n = 300, r = rng(99);
      const pts = randomPoints(n, 13), sc = Array.from({ length: n }, () => r.field());
      for (const w of [1, 2, 5, 7, 8, 10, 13, 16]) await check(pts, sc, w);
    });

    it('empty input is the point at infinity', async () => {
      expect(decodePoint(await (await k()).msm(new Uint8Array(0), new Uint8Array(0)))).toBeNull();
    });
  });

  describe('ntt', () => {
    const values = (n: number, seed: number) => {
      const r = rng(seed);
      return Array.from({ length: n }, () => r.field());
    };
    const sizes = [1, 2, 4, 8, 16, 64, 256];
    for (let p = 10; p <= Math.max(TEST_NPOW + 3, 15); p++) sizes.push(2 ** p);

    it.each(sizes)('forward and inverse match ffjavascript, n = %i', async (n) => {
      const a = values(n, n);
      const kk = await k();
      expect(decodeFields(await kk.ntt(encodeFields(a)))).toEqual(Fr.fft(a));
      expect(decodeFields(await kk.ntt(encodeFields(a), { inverse: true }))).toEqual(Fr.ifft(a));
    });

    it.each([1, 2, 8, 1024, 2 ** 15])('coset forward and inverse, n = %i', async (n) => {
      const a = values(n, 3 * n);
      const kk = await k();
      for (const g of [5n, 7n, R - 1n]) {
        const gi = Fr.inv(g);
        const shifted = a.map((x, i) => Fr.mul(x, Fr.exp(g, i)));
        const coset = g === 5n ? true : g;
        expect(decodeFields(await kk.ntt(encodeFields(a), { coset }))).toEqual(Fr.fft(shifted));
        const inv = Fr.ifft(a).map((x, i) => Fr.mul(x, Fr.exp(gi, i)));
        expect(decodeFields(await kk.ntt(encodeFields(a), { inverse: true, coset }))).toEqual(inv);
      }
    });

    it('inverse of forward is the identity (plain and coset)', async () => {
      const kk = await k();
      for (const n of [1, 2, 2 ** 12, 2 ** 16]) {
        const bytes = encodeFields(values(n, n + 1));
        expectSameBytes(await kk.ntt(await kk.ntt(bytes), { inverse: true }), bytes);
        expectSameBytes(await kk.ntt(await kk.ntt(bytes, { coset: true }), { inverse: true, coset: true }), bytes);
      }
    });

    it('edge values 0, 1 and r-1', async () => {
      const a = [0n, 1n, R - 1n, 0n, R - 1n, 1n, 0n, 0n];
      expect(decodeFields(await (await k()).ntt(encodeFields(a)))).toEqual(Fr.fft(a));
      expect(decodeFields(await (await k()).ntt(encodeFields(Array(16).fill(0n))))).toEqual(Array(16).fill(0n));
    });

    // The largest values through every stage: sums and differences at the
    // top of the lazily reduced range of the vector paths (n ≥ 256).
    it.each([256, 2 ** 15])('all r-1, and r-1 beside 0, n = %i', async (n) => {
      const kk = await k();
      for (const a of [Array(n).fill(R - 1n), Array.from({ length: n }, (_, i) => (i % 2 ? 0n : R - 1n))]) {
        expect(decodeFields(await kk.ntt(encodeFields(a)))).toEqual(Fr.fft(a));
        expect(decodeFields(await kk.ntt(encodeFields(a), { inverse: true }))).toEqual(Fr.ifft(a));
        expect(decodeFields(await kk.ntt(encodeFields(a), { coset: R - 1n }))).toEqual(Fr.fft(a.map((x, i) => (i % 2 ? Fr.neg(x) : x))));
      }
    });
  });

  describe('poseidon', () => {
    it('known vector: poseidon([1, 2])', async () => {
      const out = await (await k()).poseidon(encodeFields([1n, 2n]), 2);
      expect(readField(out).toString(16)).toBe('115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a');
    });

    it.each(Array.from({ length: 16 }, (_, i) => i + 1))('arity %i matches circomlibjs', async (arity) => {
      const r = rng(arity);
      const count = 5;
      const inputs: bigint[][] = [
        Array(arity).fill(0n),
        Array(arity).fill(R - 1n),
        Array.from({ length: arity }, (_, i) => BigInt(i + 1)),
        ...Array.from({ length: count - 3 }, () => Array.from({ length: arity }, () => r.field())),
      ];
      const out = decodeFields(await (await k()).poseidon(encodeFields(inputs.flat()), arity));
      const expected = await Promise.all(inputs.map(referencePoseidon));
      expect(out).toEqual(expected);
    });

    it.each(Array.from({ length: 16 }, (_, i) => i + 1))('arity %i, a batch of 37 (vector lanes and the scalar tail)', async (arity) => {
      const r = rng(100 + arity);
      const inputs = Array.from({ length: 37 }, (_, h) =>
        Array.from({ length: arity }, (_, i) => (h === 5 ? R - 1n : h === 6 ? 0n : h === 7 ? BigInt(i) : r.field())),
      );
      const out = decodeFields(await (await k()).poseidon(encodeFields(inputs.flat()), arity));
      expect(out).toEqual(await Promise.all(inputs.map(referencePoseidon)));
    });

    it('a large batch spread over threads agrees hash by hash', async () => {
      const r = rng(77);
      const n = 3000;
      const inputs = Array.from({ length: 2 * n }, () => r.field());
      const out = decodeFields(await (await k()).poseidon(encodeFields(inputs), 2));
      for (const i of [0, 1, 1499, 2999]) expect(out[i]).toBe(await referencePoseidon(inputs.slice(2 * i, 2 * i + 2)));
    });

    it.each([1, 2, 4, 1024])('Merkle root over %i leaves', async (n) => {
      const r = rng(n);
      let level = Array.from({ length: n }, () => r.field());
      const root = readField(await (await k()).poseidonMerkleRoot(encodeFields(level)));
      while (level.length > 1) {
        const next = [];
        for (let i = 0; i < level.length; i += 2) next.push(await referencePoseidon([level[i]!, level[i + 1]!]));
        level = next;
      }
      expect(root).toBe(level[0]);
    });
  });

  it('accepts the largest canonical values (q-1 coordinates are range-checked, not rejected)', async () => {
    // x = q-1 is canonical; the point is off the curve, so the code must be
    // NOT_ON_CURVE, not FIELD_RANGE.
    const pts = encodePoints([{ x: Q - 1n, y: Q - 1n }]);
    await expect((await k()).msm(pts, encodeFields([1n]))).rejects.toMatchObject({ code: 'GAL_ERR_NOT_ON_CURVE' });
  });
});

// Large transforms against ffjavascript's WebAssembly engine (the bigint
// reference is too slow here): these sizes exercise the multi-stage sweeps.
describe.each(backends)('%s backend, large NTT', (backend) => {
  it('2^17 … 2^20 forward and inverse match ffjavascript curve.Fr.fft', async () => {
    const curve = await buildBn128(true);
    try {
      const k = await kernelsFor(backend);
      for (let log = 17; log <= Math.max(17, Math.min(20, TEST_NPOW + 8)); log++) {
        const r = rng(log);
        const bytes = encodeFields(Array.from({ length: 2 ** log }, () => r.field()));
        const mont = await curve.Fr.batchToMontgomery(bytes);
        const fwd = await curve.Fr.batchFromMontgomery(await curve.Fr.fft(mont));
        expectSameBytes(await k.ntt(bytes), fwd);
        const inv = await curve.Fr.batchFromMontgomery(await curve.Fr.ifft(mont));
        expectSameBytes(await k.ntt(bytes, { inverse: true }), inv);
      }
    } finally {
      await curve.terminate();
    }
  });
});
