// The native pairing product against @noble/curves, bit for bit, and what it refuses.
import { bn254 } from '@noble/curves/bn254.js';
import { describe, expect, it } from 'vitest';
import { GalacticError } from '../../src/errors.js';
import { GT_BYTES, MAX_PAIRS, Q, R, inverseInGt, pairingProduct, writeField } from '../../src/kernels/index.js';
import { rng } from '../helpers/references.js';

const G1 = bn254.G1.Point, G2 = bn254.G2.Point;
const { Fp2, Fp12 } = bn254.fields;
type P1 = InstanceType<typeof G1>;
type P2 = InstanceType<typeof G2>;

const field = (values: bigint[]) => {
  const out = new Uint8Array(32 * values.length);
  values.forEach((v, i) => writeField(v, out, 32 * i, Q));
  return out;
};
const g1Bytes = (ps: P1[]) => field(ps.flatMap((p) => (p.is0() ? [0n, 0n] : [p.toAffine().x, p.toAffine().y])));
const g2Bytes = (qs: P2[]) =>
  field(qs.flatMap((q) => (q.is0() ? [0n, 0n, 0n, 0n] : [q.toAffine().x.c0, q.toAffine().x.c1, q.toAffine().y.c0, q.toAffine().y.c1])));
type F12 = ReturnType<typeof Fp12.mul>;
const gtBytes = (f: F12) => field([f.c0, f.c1].flatMap((h) => [h.c0, h.c1, h.c2]).flatMap((c) => [c.c0, c.c1]));
const reference = (ps: P1[], qs: P2[]) => gtBytes(ps.reduce((acc, p, i) => Fp12.mul(acc, bn254.pairing(p, qs[i]!)), Fp12.ONE));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const product = async (ps: P1[], qs: P2[]) => hex(await pairingProduct(g1Bytes(ps), g2Bytes(qs)));
const ONE = hex(gtBytes(Fp12.ONE));

async function refusal(g1: Uint8Array, g2: Uint8Array): Promise<GalacticError> {
  const err = await pairingProduct(g1, g2).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GalacticError);
  return err as GalacticError;
}

describe('pairingProduct (cpu) against @noble/curves', () => {
  const rand = rng(20261127);
  const scalar = () => rand.field(R) || 1n;

  it('gives noble’s value for random pairs, one to four at a time', async () => {
    for (const k of [1, 1, 2, 3, 4]) {
      const ps = Array.from({ length: k }, () => G1.BASE.multiply(scalar()));
      const qs = Array.from({ length: k }, () => G2.BASE.multiply(scalar()));
      expect(await product(ps, qs), `k = ${k}`).toBe(hex(reference(ps, qs)));
    }
  });

  it('at the edges: generators, scalars 1 and r − 1, infinity, repeated pairs, no pairs', async () => {
    const P = G1.BASE.multiply(R - 1n), Q2 = G2.BASE.multiply(R - 1n);
    expect(await product([G1.BASE], [G2.BASE])).toBe(hex(reference([G1.BASE], [G2.BASE])));
    expect(await product([P], [Q2])).toBe(hex(reference([P], [Q2])));
    expect(await product([P, P, P], [Q2, Q2, Q2])).toBe(hex(reference([P, P, P], [Q2, Q2, Q2])));
    expect(await product([G1.ZERO], [Q2])).toBe(ONE);
    expect(await product([P], [G2.ZERO])).toBe(ONE);
    expect(await product([G1.ZERO, P], [G2.BASE, Q2])).toBe(hex(reference([P], [Q2])));
    expect(hex(await pairingProduct(new Uint8Array(0), new Uint8Array(0)))).toBe(ONE);
    expect(await product([P, P.negate()], [Q2, Q2])).toBe(ONE);
  });

  it('is bilinear, and inverseInGt inverts its values', async () => {
    const a = scalar(), b = scalar();
    const P = G1.BASE.multiply(scalar()), Q2 = G2.BASE.multiply(scalar());
    const left = await product([P.multiply(a)], [Q2.multiply(b)]);
    expect(left).toBe(await product([P.multiply((a * b) % R)], [Q2]));
    expect(left).toBe(await product([P], [Q2.multiply((a * b) % R)]));
    const e = await pairingProduct(g1Bytes([P]), g2Bytes([Q2]));
    expect(hex(inverseInGt(e))).toBe(await product([P.negate()], [Q2]));
    expect(inverseInGt(e)).toHaveLength(GT_BYTES);
  });

  it('refuses coordinates not below q, points off G1 or the twist, and twist points outside the subgroup, naming the pair', async () => {
    const ps = [G1.BASE, G1.BASE.multiply(5n)], qs = [G2.BASE, G2.BASE.multiply(7n)];
    const big = g1Bytes(ps);
    writeField(Q - 1n, big, 64 + 32, Q);
    big.fill(0xff, 64 + 32, 128); // y of pair 1 ≥ q
    let err = await refusal(big, g2Bytes(qs));
    expect([err.code, err.message]).toEqual(['GAL_ERR_FIELD_RANGE', expect.stringMatching(/G1 point 1 /)]);

    const off = g1Bytes(ps);
    off[64] ^= 1; // x of pair 1 changed: off the curve
    err = await refusal(off, g2Bytes(qs));
    expect([err.code, err.message]).toEqual(['GAL_ERR_NOT_ON_CURVE', expect.stringMatching(/G1 point 1 /)]);

    const offTwist = g2Bytes(qs);
    offTwist[0] ^= 1;
    err = await refusal(g1Bytes(ps), offTwist);
    expect([err.code, err.message]).toEqual(['GAL_ERR_NOT_ON_CURVE', expect.stringMatching(/G2 point 0 /)]);

    // A point of the twist outside the order-r subgroup: x = 1, 2, … until x³ + b is a square.
    const b = G2.CURVE().b;
    let outside: P2 | null = null;
    for (let x = 1n; !outside; x++) {
      const fx = Fp2.fromBigTuple([x, 0n]);
      try {
        const y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(fx), fx), b));
        outside = G2.fromAffine({ x: fx, y });
      } catch {
        // not a square: next x
      }
    }
    expect(outside.isTorsionFree()).toBe(false);
    err = await refusal(g1Bytes(ps), g2Bytes([qs[0]!, outside]));
    expect([err.code, err.message]).toEqual(['GAL_ERR_NOT_IN_SUBGROUP', expect.stringMatching(/G2 point 1 /)]);
  });

  it('refuses buffers of the wrong shape', async () => {
    expect((await refusal(new Uint8Array(63), new Uint8Array(128))).code).toBe('GAL_ERR_BUFFER_LENGTH');
    expect((await refusal(new Uint8Array(64), new Uint8Array(256))).code).toBe('GAL_ERR_BUFFER_LENGTH');
    expect((await refusal('x' as unknown as Uint8Array, new Uint8Array(128))).code).toBe('GAL_ERR_INVALID_ARGUMENT');
    expect((await refusal(new Uint8Array(64 * (MAX_PAIRS + 1)), new Uint8Array(128 * (MAX_PAIRS + 1)))).code).toBe('GAL_ERR_SIZE_LIMIT');
  });
});
