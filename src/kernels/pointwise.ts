/**
 * Pointwise BN254 Fr arithmetic over whole buffers of 32-byte canonical
 * elements, on the CPU addon: the steps a prover takes between transforms
 * (Groth16's A·B on H and A·B − C on the coset).
 */
import { invalidArgument } from '../errors.js';
import { FIELD_BYTES } from './encoding.js';
import { callNative } from './native.js';
import { requireCpuAddon } from './cpu.js';
import { requireBytes } from './validate.js';

function elements(value: unknown, name: string, length?: number): Uint8Array {
  const v = requireBytes(value, name);
  if (v.length % FIELD_BYTES !== 0) throw invalidArgument('a multiple of 32 bytes', name, v, 'GAL_ERR_BUFFER_LENGTH');
  if (length !== undefined && v.length !== length) throw invalidArgument(`${length} bytes, as many as a`, name, v, 'GAL_ERR_BUFFER_LENGTH');
  return v;
}

/** a_i·b_i − c_i mod r for every i (without c: a_i·b_i). */
export async function mulSubFr(a: Uint8Array, b: Uint8Array, c?: Uint8Array): Promise<Uint8Array> {
  const va = elements(a, 'a');
  const vb = elements(b, 'b', va.length);
  const vc = c === undefined ? null : elements(c, 'c', va.length);
  const addon = requireCpuAddon();
  return callNative(() => addon.frMulSub(va, vb, vc, addon.hardwareThreads()));
}
