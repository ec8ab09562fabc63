/**
 * BN254 Fr arithmetic over whole buffers of 32-byte canonical elements, on
 * the CPU addon: the steps a prover takes around its transforms (Groth16's
 * A = M_A·w and B = M_B·w from the key's sparse matrices, A·B on H, and
 * A·B − C on the coset).
 */
import { invalidArgument } from '../errors.js';
import { callNative } from './native.js';
import { requireCpuAddon } from './cpu.js';
import { requireBytes, requireFieldElements } from './validate.js';

/** Bytes of a sparse-matrix record: matrix, row, column (u32 little-endian each), value (32 bytes, canonical). */
export const SPARSE_RECORD_BYTES = 44;
const MAX_ROWS = 2 ** 28;
const MAX_MATRICES = 4;

function sameLength(value: unknown, name: string, length: number): Uint8Array {
  const v = requireFieldElements(value, name);
  if (v.length !== length) throw invalidArgument(`${length} bytes, as many as a`, name, v, 'GAL_ERR_BUFFER_LENGTH');
  return v;
}

/** a_i·b_i − c_i mod r for every i (without c: a_i·b_i). */
export async function mulSubFr(a: Uint8Array, b: Uint8Array, c?: Uint8Array): Promise<Uint8Array> {
  const va = requireFieldElements(a, 'a');
  const vb = sameLength(b, 'b', va.length);
  const vc = c === undefined ? null : sameLength(c, 'c', va.length);
  const addon = requireCpuAddon();
  return callNative(() => addon.frMulSub(va, vb, vc, addon.hardwareThreads()));
}

/**
 * `matrices` sparse matrices of `rows` rows times `vector`: matrix m's
 * products, row by row, at [m·rows, (m+1)·rows) of the result (32 bytes
 * each). Each record adds value·vector[column] to its matrix's row; the
 * records are laid out as a snarkjs .zkey's coefficients, values canonical.
 */
export async function sparseMulFr(records: Uint8Array, vector: Uint8Array, rows: number, matrices = 1): Promise<Uint8Array> {
  const r = requireBytes(records, 'records');
  if (r.length % SPARSE_RECORD_BYTES !== 0) throw invalidArgument(`a multiple of ${SPARSE_RECORD_BYTES} bytes`, 'records', r, 'GAL_ERR_BUFFER_LENGTH');
  const v = requireFieldElements(vector, 'vector');
  if (!Number.isInteger(rows) || rows < 0 || rows > MAX_ROWS) throw invalidArgument(`an integer from 0 to 2^28`, 'rows', rows);
  if (!Number.isInteger(matrices) || matrices < 1 || matrices > MAX_MATRICES) throw invalidArgument(`an integer from 1 to ${MAX_MATRICES}`, 'matrices', matrices);
  const addon = requireCpuAddon();
  return callNative(() => addon.frSparseMul(r, v, rows, matrices));
}
