/**
 * The gas table: what a computation costs, in units of one 64-bit limb
 * operation. A model, versioned so that prices stay comparable: a b-bit
 * addition costs ⌈b/64⌉, a multiplication ⌈b/64⌉², and composite operations
 * are defined from the primitives they use (docs/gas.md).
 */
export const GAS_TABLE_VERSION = 'galactic-gas/1';

/** Bit widths of the fields in use. */
export const BN254_BITS = 254;

const limbs = (bits: number) => Math.ceil(bits / 64);

export interface PrimitiveGas {
  add: number;
  sub: number;
  mul: number;
  square: number;
  /** Fermat inversion: `bits` squarings and about bits/2 multiplications. */
  inverse: number;
}

export function primitives(bits: number): PrimitiveGas {
  const l = limbs(bits);
  return { add: l, sub: l, mul: l * l, square: l * l, inverse: Math.ceil(1.5 * bits) * l * l };
}

/** Cost of a formula counted in field operations. */
export interface OpCount {
  mul: number;
  square: number;
  add: number;
  inverse?: number;
}

export function gasOf(count: OpCount, bits = BN254_BITS): number {
  const p = primitives(bits);
  return count.mul * p.mul + count.square * p.square + count.add * p.add + (count.inverse ?? 0) * p.inverse;
}

/**
 * Elliptic-curve formulas over a short Weierstrass curve with a = 0 (BN254
 * G1), by coordinate system, as counted in the Explicit-Formulas Database.
 */
export const EC_FORMULAS = {
  affineAdd: { mul: 2, square: 1, add: 6, inverse: 1 },
  affineDouble: { mul: 2, square: 2, add: 7, inverse: 1 },
  jacobianAdd: { mul: 11, square: 5, add: 9 },      // add-2007-bl
  jacobianMixedAdd: { mul: 7, square: 4, add: 9 },  // madd-2007-bl
  jacobianDouble: { mul: 2, square: 5, add: 10 },   // dbl-2009-l
  xyzzAdd: { mul: 12, square: 2, add: 7 },          // add-2008-s
  xyzzMixedAdd: { mul: 8, square: 2, add: 6 },      // madd-2008-s
  xyzzDouble: { mul: 6, square: 3, add: 7 },        // dbl-2008-s-1
} as const satisfies Record<string, OpCount>;

export type EcFormula = keyof typeof EC_FORMULAS;

export function ecGas(formula: EcFormula, bits = BN254_BITS): number {
  return gasOf(EC_FORMULAS[formula], bits);
}

/** G2 lives over Fq2: a multiplication is 3 Fq multiplications and 5 additions (Karatsuba). */
export function fq2Gas(count: OpCount): number {
  const p = primitives(BN254_BITS);
  const mul = 3 * p.mul + 5 * p.add, square = 2 * p.mul + 4 * p.add, add = 2 * p.add;
  return count.mul * mul + count.square * square + count.add * add + (count.inverse ?? 0) * (p.inverse + 4 * p.mul);
}

/** Scalar bits a Pippenger MSM covers (r < 2^254, plus the signed-digit carry). */
const SCALAR_BITS = BN254_BITS + 1;

/**
 * MSM of n points by Pippenger at its best window c: per window, one mixed
 * addition per point into a bucket and two additions per bucket (2^(c-1)
 * with signed digits) for the running-sum reduction; c doublings per window.
 */
export function msmPlan(n: number, group: 'g1' | 'g2' = 'g1'): { gas: number; window: number } {
  if (n === 0) return { gas: 0, window: 0 };
  const cost = group === 'g1' ? (f: EcFormula) => ecGas(f) : (f: EcFormula) => fq2Gas(EC_FORMULAS[f]);
  const madd = cost('xyzzMixedAdd'), add = cost('xyzzAdd'), dbl = cost('xyzzDouble');
  let best = { gas: Infinity, window: 1 };
  for (let c = 1; c <= 24; c++) {
    const windows = Math.ceil(SCALAR_BITS / c);
    const buckets = 2 ** (c - 1);
    const gas = windows * (n * madd + buckets * (madd + add) + c * dbl);
    if (gas < best.gas) best = { gas, window: c };
  }
  return { gas: Math.round(best.gas), window: best.window };
}

/** NTT of n (a power of two): n/2·log2 n butterflies, each a mul, an add and a sub. */
export function nttGas(n: number): number {
  if (n <= 1) return 0;
  const p = primitives(BN254_BITS);
  return (n / 2) * Math.log2(n) * (p.mul + p.add + p.sub);
}

/** circomlib's partial-round counts, t = 2 … 17. */
const POSEIDON_PARTIAL_ROUNDS = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

/**
 * One Poseidon hash of `arity` inputs (t = arity + 1) in the optimised form
 * of the Poseidon paper (appendix B), as efficient provers run it: full
 * rounds raise t words to the 5th power (3 multiplications each) and mix with
 * the dense t×t matrix; partial rounds raise one word and mix with a sparse
 * matrix (2t−1 multiplications); one (t−1)×(t−1) mix between.
 */
export function poseidonGas(arity: number): number {
  const t = arity + 1, rf = 8, rp = POSEIDON_PARTIAL_ROUNDS[arity - 1]!;
  const mul = rf * (3 * t + t * t) + rp * (3 + 2 * t - 1) + (t - 1) * (t - 1);
  const add = rf * (t + t * (t - 1)) + rp * (1 + 2 * (t - 1)) + (t - 1) * (t - 2);
  return gasOf({ mul, square: 0, add });
}

/**
 * SHA-256 of one 64-byte block: 48 schedule words (~12 32-bit operations
 * each) and 64 rounds (~30 each); a 32-bit operation is one limb operation.
 */
export const SHA256_BLOCK_GAS = 48 * 12 + 64 * 30;

/** Keccak-256 of one 136-byte block: Keccak-f[1600], 24 rounds of ~200 64-bit lane operations. */
export const KECCAK256_BLOCK_GAS = 24 * 200;

export const POSEIDON_MAX_ARITY = POSEIDON_PARTIAL_ROUNDS.length;
