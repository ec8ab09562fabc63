/**
 * The optimal ate pairing on BN254, on the CPU addon: the product
 * Π e(g1ᵢ, g2ᵢ) that a Groth16 verifier compares with one. The value is the
 * one @noble/curves computes, encoded as twelve 32-byte coefficients.
 */
import { invalidArgument } from '../errors.js';
import { FIELD_BYTES, POINT_BYTES, Q, readField, writeField } from './encoding.js';
import { callNative } from './native.js';
import { requireCpuAddon } from './cpu.js';
import { requireBytes } from './validate.js';

/** Bytes of a G2 point: x.c0‖x.c1‖y.c0‖y.c1, as `msmG2` takes them. */
export const G2_POINT_BYTES = 2 * POINT_BYTES;
/**
 * Bytes of an Fq12 value: coefficients c0.c0.c0, c0.c0.c1, c0.c1.c0, …,
 * c1.c2.c1 of Fq12 = Fq6[w]/(w² − v), Fq6 = Fq2[v]/(v³ − (9 + u)).
 */
export const GT_BYTES = 12 * FIELD_BYTES;
/**
 * Pairs per call, to bound a call's work (about 0.25 ms a pair). A verifier
 * pairs a handful of points; preparing a Groth16 key checks its IC points
 * as pairs with infinity, one per public input.
 */
export const MAX_PAIRS = 65536;

/**
 * Π e(g1ᵢ, g2ᵢ) over k pairs: g1 k × 64 bytes, g2 k × 128 bytes (infinity is
 * all zeros and contributes one). Refuses coordinates ≥ q
 * (GAL_ERR_FIELD_RANGE), points off G1 or the twist (GAL_ERR_NOT_ON_CURVE)
 * and G2 points outside the order-r subgroup (GAL_ERR_NOT_IN_SUBGROUP),
 * naming the pair.
 */
export async function pairingProduct(g1: Uint8Array, g2: Uint8Array): Promise<Uint8Array> {
  const a = requireBytes(g1, 'g1'), b = requireBytes(g2, 'g2');
  if (a.length % POINT_BYTES !== 0) throw invalidArgument('a multiple of 64 bytes', 'g1', a, 'GAL_ERR_BUFFER_LENGTH');
  const k = a.length / POINT_BYTES;
  if (b.length !== k * G2_POINT_BYTES) throw invalidArgument(`${k * G2_POINT_BYTES} bytes, a G2 point for each G1 point`, 'g2', b, 'GAL_ERR_BUFFER_LENGTH');
  if (k > MAX_PAIRS) throw invalidArgument(`at most ${MAX_PAIRS} pairs`, 'g1', a, 'GAL_ERR_SIZE_LIMIT');
  const addon = requireCpuAddon();
  return callNative(() => addon.pairing(a, b));
}

/** The inverse of a pairing value (an element of the order-r subgroup of Fq12*): its conjugate, c1 negated. */
export function inverseInGt(gt: Uint8Array): Uint8Array {
  if (!(gt instanceof Uint8Array) || gt.length !== GT_BYTES) throw invalidArgument(`${GT_BYTES} bytes`, 'gt', gt, 'GAL_ERR_BUFFER_LENGTH');
  const out = Uint8Array.from(gt);
  for (let o = GT_BYTES / 2; o < GT_BYTES; o += FIELD_BYTES) {
    const c = readField(gt, o);
    writeField(c === 0n ? 0n : Q - c, out, o, Q);
  }
  return out;
}
