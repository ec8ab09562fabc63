/**
 * Conversions between the canonical wire form and the Montgomery form
 * (R = 2^256, 32 bytes little-endian) in which snarkjs and ffjavascript store
 * field elements in .zkey and .wtns files, so their sections can feed the
 * kernels directly. Points convert coordinate by coordinate (field 'q').
 */
import { invalidArgument } from '../errors.js';
import { callNative } from './native.js';
import { requireCpuAddon } from './cpu.js';
import { requireFieldElements } from './validate.js';
import type { FieldName } from './types.js';

function checkArgs(field: unknown, values: unknown): Uint8Array {
  if (field !== 'q' && field !== 'r') throw invalidArgument("'q' or 'r'", 'field', field);
  return requireFieldElements(values, 'values');
}

export async function fromMontgomery(values: Uint8Array, field: FieldName): Promise<Uint8Array> {
  const v = checkArgs(field, values);
  const addon = requireCpuAddon();
  return callNative(() => addon.montgomery(field, false, v, addon.hardwareThreads()));
}

export async function toMontgomery(values: Uint8Array, field: FieldName): Promise<Uint8Array> {
  const v = checkArgs(field, values);
  const addon = requireCpuAddon();
  return callNative(() => addon.montgomery(field, true, v, addon.hardwareThreads()));
}
