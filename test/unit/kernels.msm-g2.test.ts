import { bn254 } from '@noble/curves/bn254.js';
import { pippenger } from '@noble/curves/abstract/curve.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, readField, writeField } from '../../src/kernels/index.js';

const R = bn254.fields.Fr.ORDER;
const Q = bn254.fields.Fp.ORDER;
const G2 = bn254.G2.Point;
type P2 = InstanceType<typeof G2>;
const kernels = await loadKernels({ backend: 'cpu' });

function encode(points: P2[]): Uint8Array {
  const out = new Uint8Array(points.length * 128);
  points.forEach((p, i) => {
    if (p.is0()) return;
    const a = p.toAffine();
    [a.x.c0, a.x.c1, a.y.c0, a.y.c1].forEach((v, k) => writeField(v, out, i * 128 + k * 32, Q));
  });
  return out;
}
function decode(bytes: Uint8Array): P2 {
  const [x0, x1, y0, y1] = [0, 1, 2, 3].map((k) => readField(bytes, k * 32));
  if (!x0 && !x1 && !y0 && !y1) return G2.ZERO;
  const Fp2 = bn254.fields.Fp2;
  return G2.fromAffine({ x: Fp2.fromBigTuple([x0!, x1!]), y: Fp2.fromBigTuple([y0!, y1!]) });
}
let seed = 7n;
const rand = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) % (1n << 256n)) % R;
const reference = (points: P2[], scalars: bigint[]) => {
  const keep = scalars.map((s, i) => [s, i] as const).filter(([s, i]) => s !== 0n && !points[i]!.is0());
  return keep.length ? pippenger(G2, keep.map(([, i]) => points[i]!), keep.map(([s]) => s)) : G2.ZERO;
};
const encodeScalars = (s: bigint[]) => {
  const out = new Uint8Array(s.length * 32);
  s.forEach((v, i) => writeField(v, out, i * 32));
  return out;
};

// GALACTIC_CPU_VECTOR=0 switches the IFMA lanes off: both paths are checked
// (on a CPU without IFMA both run the scalar one).
const saved = process.env.GALACTIC_CPU_VECTOR;
afterAll(() => {
  if (saved === undefined) delete process.env.GALACTIC_CPU_VECTOR;
  else process.env.GALACTIC_CPU_VECTOR = saved;
});

describe.each([
  ['vector', '1'],
  ['scalar', '0'],
])('msmG2 (cpu, %s arithmetic) against @noble/curves', (_, vector) => {
  beforeAll(() => {
    process.env.GALACTIC_CPU_VECTOR = vector;
  });

  it.each([1, 2, 3, 17, 256, 1000])('n = %i random points and scalars', async (n) => {
    const points = Array.from({ length: n }, () => G2.BASE.multiply(rand() || 1n));
    const scalars = Array.from({ length: n }, rand);
    const got = decode(await kernels.msmG2!(encode(points), encodeScalars(scalars)));
    expect(got.equals(reference(points, scalars))).toBe(true);
  });

  it('edge cases: zero, one, r−1 scalars, infinity, duplicates, opposite points, empty', async () => {
    const P = G2.BASE.multiply(12345n);
    const points = [P, P, P.negate(), G2.ZERO, G2.BASE, P, G2.BASE.multiply(99n)];
    const scalars = [0n, 1n, R - 1n, 5n, R - 1n, 1n, 2n];
    expect(decode(await kernels.msmG2!(encode(points), encodeScalars(scalars))).equals(reference(points, scalars))).toBe(true);
    // P + (−P)·1: exactly infinity.
    const cancel = await kernels.msmG2!(encode([P, P.negate()]), encodeScalars([1n, 1n]));
    expect(cancel.every((b) => b === 0)).toBe(true);
    expect((await kernels.msmG2!(new Uint8Array(0), new Uint8Array(0))).length).toBe(128);
  });

  // Up to 16 points take Straus's method; padded with zero scalars to 64,
  // the same cases meet in Pippenger's batches (a doubling, a cancellation).
  it('edge cases among 64 points: doubling and cancellation inside a batch', async () => {
    const P = G2.BASE.multiply(12345n);
    const head = [P, P, P.negate(), G2.ZERO, G2.BASE, P, G2.BASE.multiply(99n)];
    const points = head.concat(Array(64 - head.length).fill(G2.BASE.multiply(5n)));
    const scalars = [0n, 1n, R - 1n, 5n, R - 1n, 1n, 2n].concat(Array(64 - head.length).fill(0n));
    expect(decode(await kernels.msmG2!(encode(points), encodeScalars(scalars))).equals(reference(points, scalars))).toBe(true);
    const cancel = [P, P.negate()].concat(Array(62).fill(G2.BASE));
    const ones = [1n, 1n].concat(Array(62).fill(0n));
    expect((await kernels.msmG2!(encode(cancel), encodeScalars(ones))).every((b) => b === 0)).toBe(true);
  });

  // 256 points: a window of 7 bits, 64 buckets in eight slices of eight, so
  // the lanes' running sums meet equal and opposite buckets.
  it('bucket reduction: running sums equal to, or opposite to, the next bucket', async () => {
    const P = G2.BASE.multiply(777n), N = P.negate();
    const padded = (points: P2[], scalars: bigint[]) =>
      [points.concat(Array(256 - points.length).fill(G2.BASE)), scalars.concat(Array(256 - scalars.length).fill(0n))] as const;
    for (const [points, scalars] of [
      padded([P, P], [1n, 2n]),  // running = P meets bucket P: a doubling
      padded([P, N], [2n, 1n]),  // running = P meets bucket −P: infinity
      padded(Array(20).fill(P), Array.from({ length: 20 }, (_, i) => BigInt(i + 1))),
    ]) {
      const got = decode(await kernels.msmG2!(encode(points), encodeScalars(scalars)));
      expect(got.equals(reference(points, scalars))).toBe(true);
    }
  });

  it('skewed scalars: all equal, and mostly zero (deferred additions and their overflow)', async () => {
    const points = Array.from({ length: 24 }, () => G2.BASE.multiply(rand() || 1n));
    const many = Array.from({ length: 600 }, (_, i) => points[i % 24]!);
    const s = rand();
    for (const scalars of [many.map(() => s), many.map((_, i) => (i % 50 === 0 ? rand() : 0n))]) {
      const got = decode(await kernels.msmG2!(encode(many), encodeScalars(scalars)));
      expect(got.equals(reference(many, scalars))).toBe(true);
    }
  });
});

describe('msmG2 (cpu) input checks', () => {
  it('rejects bad input with the same codes as G1', async () => {
    const good = encode([G2.BASE]);
    const one = encodeScalars([1n]);
    const offCurve = good.slice();
    offCurve[64] ^= 1;
    await expect(kernels.msmG2!(offCurve, one)).rejects.toMatchObject({ code: 'GAL_ERR_NOT_ON_CURVE' });
    const big = good.slice();
    big.fill(0xff, 0, 32);
    await expect(kernels.msmG2!(big, one)).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE' });
    await expect(kernels.msmG2!(good, encodeScalars([R - 1n]).map((b, i) => (i === 0 ? b + 1 : b)))).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE' });
    await expect(kernels.msmG2!(good.subarray(0, 64), one)).rejects.toMatchObject({ code: 'GAL_ERR_BUFFER_LENGTH' });
    await expect(kernels.msmG2!(good, new Uint8Array(64))).rejects.toMatchObject({ code: 'GAL_ERR_BUFFER_LENGTH' });
  });

  it('names the first bad point among many (eight at a time on the lanes), on both paths', async () => {
    const points = encode(Array.from({ length: 20 }, (_, i) => G2.BASE.multiply(BigInt(i + 2))));
    const scalars = encodeScalars(Array(20).fill(3n));
    for (const vector of ['1', '0']) {
      process.env.GALACTIC_CPU_VECTOR = vector;
      const offCurve = points.slice();
      offCurve[128 * 13 + 64] ^= 1;
      offCurve[128 * 5 + 96] ^= 1;
      await expect(kernels.msmG2!(offCurve, scalars)).rejects.toMatchObject({ code: 'GAL_ERR_NOT_ON_CURVE', message: expect.stringMatching(/point 5$/) });
      for (const value of [Q, Q + 1n, 2n ** 256n - 1n]) {
        const big = points.slice();
        writeField(value, big, 128 * 17 + 32, 2n ** 256n);
        await expect(kernels.msmG2!(big, scalars)).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE', message: expect.stringMatching(/point 17$/) });
      }
    }
  });
});
