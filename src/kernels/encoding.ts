/**
 * Wire encodings (DESIGN §3): field elements are 32 bytes little-endian in
 * canonical (standard, non-Montgomery) form; a G1 point is x‖y, 64 bytes,
 * and the point at infinity is 64 zero bytes.
 */
import { GalacticError, invalidArgument } from '../errors.js';

/** BN254 base field modulus. */
export const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** BN254 scalar field modulus (the group order). */
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export const FIELD_BYTES = 32;
export const POINT_BYTES = 64;

export interface AffinePoint {
  x: bigint;
  y: bigint;
}

/** Writes x (0 ≤ x < modulus) as 32 bytes little-endian into out at offset. */
export function writeField(x: bigint, out: Uint8Array, offset = 0, modulus = R): void {
  if (typeof x !== 'bigint') throw invalidArgument('a bigint', 'field element', x);
  if (x < 0n || x >= modulus)
    throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected a value in [0, ${modulus}) for field element but received ${x}`);
  // Four 64-bit limbs: a quarter of the BigInt operations of a byte loop.
  const view = new DataView(out.buffer, out.byteOffset + offset, FIELD_BYTES);
  view.setBigUint64(0, BigInt.asUintN(64, x), true);
  view.setBigUint64(8, BigInt.asUintN(64, x >> 64n), true);
  view.setBigUint64(16, BigInt.asUintN(64, x >> 128n), true);
  view.setBigUint64(24, x >> 192n, true);
}

/** Reads 32 bytes little-endian as an unsigned integer (no range check). */
export function readField(bytes: Uint8Array, offset = 0): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, FIELD_BYTES);
  return (
    view.getBigUint64(0, true) |
    (view.getBigUint64(8, true) << 64n) |
    (view.getBigUint64(16, true) << 128n) |
    (view.getBigUint64(24, true) << 192n)
  );
}

export function fieldToBytes(x: bigint, modulus = R): Uint8Array {
  const out = new Uint8Array(FIELD_BYTES);
  writeField(x, out, 0, modulus);
  return out;
}

export function encodeFields(values: readonly bigint[], modulus = R): Uint8Array {
  const out = new Uint8Array(values.length * FIELD_BYTES);
  values.forEach((v, i) => writeField(v, out, i * FIELD_BYTES, modulus));
  return out;
}

export function decodeFields(bytes: Uint8Array): bigint[] {
  if (bytes.length % FIELD_BYTES !== 0)
    throw invalidArgument('a multiple of 32 bytes', 'field elements', bytes, 'GAL_ERR_BUFFER_LENGTH');
  const out: bigint[] = [];
  for (let o = 0; o < bytes.length; o += FIELD_BYTES) out.push(readField(bytes, o));
  return out;
}

/** null encodes the point at infinity. */
export function encodePoints(points: readonly (AffinePoint | null)[]): Uint8Array {
  const out = new Uint8Array(points.length * POINT_BYTES);
  points.forEach((p, i) => {
    if (p === null) return;
    writeField(p.x, out, i * POINT_BYTES, Q);
    writeField(p.y, out, i * POINT_BYTES + FIELD_BYTES, Q);
  });
  return out;
}

/** Decodes one 64-byte point; null for infinity. */
export function decodePoint(bytes: Uint8Array, offset = 0): AffinePoint | null {
  if (bytes.length < offset + POINT_BYTES)
    throw invalidArgument('64 bytes', 'point', bytes, 'GAL_ERR_BUFFER_LENGTH');
  const x = readField(bytes, offset), y = readField(bytes, offset + FIELD_BYTES);
  return x === 0n && y === 0n ? null : { x, y };
}
