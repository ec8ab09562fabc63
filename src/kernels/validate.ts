/**
 * Argument checks shared by every backend, so bad input gets the same
 * GalacticError code whichever backend runs. Value checks that need every
 * byte (canonical range, on-curve) run natively, in parallel, and come back
 * with the same codes.
 */
import { GalacticError, describeValue, invalidArgument } from '../errors.js';
import { FIELD_BYTES, POINT_BYTES, R, fieldToBytes } from './encoding.js';
import type { NttOptions } from './types.js';

export const MAX_MSM_POINTS = 2 ** 26;
export const MAX_NTT_LOG = 28;
export const MAX_POSEIDON_ARITY = 16;
/** Fr's multiplicative generator, the default coset shift. */
export const COSET_GENERATOR = 5n;

export function requireBytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalidArgument('a Uint8Array', name, value);
  return value;
}

/** Returns n, the number of (point, scalar) pairs; G2 points take 128 bytes. */
export function checkMsm(points: unknown, scalars: unknown, pointBytes = POINT_BYTES): number {
  const n = pointCount(points, pointBytes);
  checkScalars(scalars, n);
  checkPointLimit(n);
  return n;
}

/** Returns n for G1 points on their own (points kept on a device for later MSMs). */
export function checkPoints(points: unknown): number {
  const n = pointCount(points, POINT_BYTES);
  checkPointLimit(n);
  return n;
}

/** The scalars of an MSM over n points: n × 32 bytes. */
export function checkScalars(scalars: unknown, n: number): Uint8Array {
  const s = requireBytes(scalars, 'scalars');
  if (s.length !== n * FIELD_BYTES)
    throw new GalacticError(
      'GAL_ERR_BUFFER_LENGTH',
      `Expected ${n * FIELD_BYTES} bytes (32 per point) for scalars but received ${s.length} bytes`,
    );
  return s;
}

function pointCount(points: unknown, pointBytes: number): number {
  const p = requireBytes(points, 'points');
  if (p.length % pointBytes !== 0)
    throw invalidArgument(pointBytes === POINT_BYTES ? 'a multiple of 64 bytes (x‖y per point)' : 'a multiple of 128 bytes (x.c0‖x.c1‖y.c0‖y.c1 per point)', 'points', p, 'GAL_ERR_BUFFER_LENGTH');
  return p.length / pointBytes;
}

function checkPointLimit(n: number): void {
  if (n > MAX_MSM_POINTS)
    throw new GalacticError('GAL_ERR_SIZE_LIMIT', `Expected at most ${MAX_MSM_POINTS} points for points but received ${n}`);
}

/** The Pippenger window; 0 (also when absent) lets the kernel choose from n. */
export function checkWindowBits(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 24)
    throw invalidArgument('an integer from 0 to 24', 'windowBits', value);
  return value;
}

/** A Uint8Array of whole 32-byte field elements. */
export function requireFieldElements(value: unknown, name: string): Uint8Array {
  const v = requireBytes(value, name);
  if (v.length % FIELD_BYTES !== 0) throw invalidArgument('a multiple of 32 bytes', name, v, 'GAL_ERR_BUFFER_LENGTH');
  return v;
}

/** Returns n after checking it is a power of two within the supported range. */
export function checkNtt(values: unknown): number {
  const v = requireFieldElements(values, 'values');
  const n = v.length / FIELD_BYTES;
  if (n === 0 || (n & (n - 1)) !== 0 || n > 2 ** MAX_NTT_LOG)
    throw new GalacticError('GAL_ERR_NTT_SIZE', `Expected a power of two from 1 to 2^${MAX_NTT_LOG} for values count but received ${n}`);
  return n;
}

/** An options argument: absent or a plain object. */
export function callOptions<T extends object>(options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options);
  return options;
}

/** The coset shift as 32 canonical bytes, or null for the plain transform. */
export function cosetShift(options: NttOptions | undefined): Uint8Array | null {
  callOptions(options);
  if (options?.inverse !== undefined && typeof options.inverse !== 'boolean')
    throw invalidArgument('a boolean', 'options.inverse', options.inverse);
  const coset = options?.coset;
  if (coset === undefined || coset === false) return null;
  if (coset === true) return fieldToBytes(COSET_GENERATOR);
  if (typeof coset === 'bigint') {
    if (coset <= 0n || coset >= R)
      throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected a value in [1, r) for options.coset but received ${coset}`);
    return fieldToBytes(coset);
  }
  if (coset instanceof Uint8Array && coset.length === FIELD_BYTES) return coset;
  throw invalidArgument('a boolean, a bigint or 32 bytes', 'options.coset', coset);
}

export function checkPoseidon(inputs: unknown, arity: unknown): number {
  if (typeof arity !== 'number' || !Number.isInteger(arity) || arity < 1 || arity > MAX_POSEIDON_ARITY)
    throw new GalacticError('GAL_ERR_ARITY', `Expected an integer from 1 to ${MAX_POSEIDON_ARITY} for arity but received ${describeValue(arity)}`);
  const v = requireBytes(inputs, 'inputs');
  if (v.length === 0 || v.length % (FIELD_BYTES * arity) !== 0)
    throw invalidArgument(`a non-empty multiple of ${FIELD_BYTES * arity} bytes (32 per input)`, 'inputs', v, 'GAL_ERR_BUFFER_LENGTH');
  return v.length / (FIELD_BYTES * arity);
}

export function checkMerkleLeaves(leaves: unknown): number {
  const v = requireBytes(leaves, 'leaves');
  const n = v.length / FIELD_BYTES;
  if (v.length % FIELD_BYTES !== 0 || n === 0 || (n & (n - 1)) !== 0)
    throw invalidArgument('a power-of-two count of 32-byte leaves', 'leaves', v, 'GAL_ERR_BUFFER_LENGTH');
  return n;
}

export function checkThreads(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1024)
    throw invalidArgument('an integer from 1 to 1024', 'threads', value);
  return value;
}
