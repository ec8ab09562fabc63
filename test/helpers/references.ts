/**
 * Independent references the kernels must agree with bit for bit:
 * @noble/curves (G1), ffjavascript (NTT), circomlibjs (Poseidon).
 */
import { bn254 } from '@noble/curves/bn254.js';
import { normalizeZ, pippenger } from '@noble/curves/abstract/curve.js';
import { F1Field } from 'ffjavascript';
import { buildPoseidon } from 'circomlibjs';
import { R, type AffinePoint } from '../../src/kernels/encoding.js';

export const G1 = bn254.G1.Point;
type G1Point = InstanceType<typeof G1>;
export const Fr = new F1Field(R);

/** Deterministic pseudo-random source (xorshift128+), so failures reproduce. */
export function rng(seed = 1) {
  let s0 = BigInt(seed) | 1n, s1 = 0x9e3779b97f4a7c15n;
  const mask = (1n << 64n) - 1n;
  const next64 = () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= (x << 23n) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (s1 + y) & mask;
  };
  return {
    next64,
    field(modulus = R): bigint {
      const x = (next64() << 192n) | (next64() << 128n) | (next64() << 64n) | next64();
      return x % modulus;
    },
    int(max: number): number {
      return Number(next64() % BigInt(max));
    },
  };
}

/** n pseudo-random G1 points (affine), cheap: a random walk of additions. */
export function randomPoints(n: number, seed = 7): G1Point[] {
  const r = rng(seed);
  const step = G1.BASE.multiply(r.field() || 1n);
  const pts: G1Point[] = [];
  let p = G1.BASE.multiply(r.field() || 1n);
  for (let i = 0; i < n; i++) {
    pts.push(p);
    p = p.add(step).add(i % 3 === 0 ? G1.BASE : G1.ZERO);
  }
  return normalizeZ(G1, pts);
}

export function toAffine(p: G1Point): AffinePoint | null {
  if (p.is0()) return null;
  const a = p.toAffine();
  return { x: a.x, y: a.y };
}

export function referenceMsm(points: G1Point[], scalars: bigint[]): AffinePoint | null {
  return toAffine(pippenger(G1, points, scalars));
}

let poseidon: Awaited<ReturnType<typeof buildPoseidon>> | undefined;
export async function referencePoseidon(inputs: bigint[]): Promise<bigint> {
  poseidon ??= await buildPoseidon();
  return poseidon.F.toObject(poseidon(inputs)) as bigint;
}

/** Largest log2 size for the random-size sweeps (GALACTIC_TEST_NPOW, default 12). */
export const TEST_NPOW = Number(process.env.GALACTIC_TEST_NPOW ?? 12);
