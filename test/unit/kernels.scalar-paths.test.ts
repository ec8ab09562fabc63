/**
 * Where the CPU has AVX-512 IFMA the kernels run on eight-lane vector
 * arithmetic; GALACTIC_CPU_VECTOR=0 switches that off. These checks run the
 * scalar paths too, so machines without IFMA run tested code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBn128 } from 'ffjavascript';
import { R, decodeFields, decodePoint, encodeFields, encodePoints, loadKernels } from '../../src/kernels/index.js';
import { Fr, randomPoints, referenceMsm, referencePoseidon, rng, toAffine } from '../helpers/references.js';

const saved = process.env.GALACTIC_CPU_VECTOR;
beforeAll(() => {
  process.env.GALACTIC_CPU_VECTOR = '0';
});
afterAll(() => {
  if (saved === undefined) delete process.env.GALACTIC_CPU_VECTOR;
  else process.env.GALACTIC_CPU_VECTOR = saved;
});

describe('cpu backend, scalar arithmetic', () => {
  it('msm: random, duplicate, opposite and skewed inputs', async () => {
    const k = await loadKernels({ backend: 'cpu' });
    const r = rng(31);
    const pts = randomPoints(1025, 31);
    const cases: [InstanceType<typeof import('../helpers/references.js').G1>[], bigint[]][] = [
      [pts, pts.map(() => r.field())],
      [Array(64).fill(pts[0]), Array(64).fill(R - 1n)],
      [[pts[1]!, pts[1]!.negate(), pts[2]!], [5n, 5n, 7n]],
      [pts.slice(0, 500), Array.from({ length: 500 }, (_, i) => BigInt(i % 3))],
    ];
    for (const [p, s] of cases) {
      const got = decodePoint(await k.msm(encodePoints(p.map(toAffine)), encodeFields(s)));
      expect(got).toEqual(referenceMsm(p, s));
    }
  });

  it('ntt: 2^10 plain and coset against F1Field, 2^14 (one or two threads) and 2^18 against the wasm engine', async () => {
    const k = await loadKernels({ backend: 'cpu' });
    const r = rng(32);
    const a = Array.from({ length: 1024 }, () => r.field());
    expect(decodeFields(await k.ntt(encodeFields(a)))).toEqual(Fr.fft(a));
    const inv = Fr.ifft(a).map((x, i) => Fr.mul(x, Fr.exp(Fr.inv(5n), i)));
    expect(decodeFields(await k.ntt(encodeFields(a), { inverse: true, coset: true }))).toEqual(inv);
    const curve = await buildBn128(true);
    try {
      for (const log of [14, 18]) {
        const bytes = encodeFields(Array.from({ length: 2 ** log }, () => r.field()));
        const ref = Buffer.from(await curve.Fr.batchFromMontgomery(await curve.Fr.fft(await curve.Fr.batchToMontgomery(bytes))));
        for (const threads of log === 14 ? [1, 2] : [undefined])
          expect(Buffer.from(await k.ntt(bytes, { threads })).equals(ref)).toBe(true);
      }
    } finally {
      await curve.terminate();
    }
  });

  it('poseidon: batches of 37 at arities 1, 2 and 16', async () => {
    const k = await loadKernels({ backend: 'cpu' });
    const r = rng(33);
    for (const arity of [1, 2, 16]) {
      const inputs = Array.from({ length: 37 }, () => Array.from({ length: arity }, () => r.field()));
      const out = decodeFields(await k.poseidon(encodeFields(inputs.flat()), arity));
      expect(out).toEqual(await Promise.all(inputs.map(referencePoseidon)));
    }
  });
});
