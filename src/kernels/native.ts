/**
 * Loads the native modules (the CPU addon built by `npm install` through
 * node-gyp, the CUDA module built by cmake-js) and turns their rejections
 * into GalacticErrors that point at the caller's stack.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GalacticError, isErrorCode } from '../errors.js';

/** What the addon exports; see native/addon/addon.cc. */
export interface CpuAddon {
  msm(points: Uint8Array, scalars: Uint8Array, threads: number, windowBits: number): Promise<Uint8Array>;
  msmG2(points: Uint8Array, scalars: Uint8Array, threads: number): Promise<Uint8Array>;
  ntt(values: Uint8Array, inverse: boolean, cosetShift: Uint8Array | null, threads: number): Promise<Uint8Array>;
  pairing(g1: Uint8Array, g2: Uint8Array): Promise<Uint8Array>;
  poseidon(inputs: Uint8Array, arity: number, threads: number): Promise<Uint8Array>;
  poseidonMerkleRoot(leaves: Uint8Array, threads: number): Promise<Uint8Array>;
  montgomery(field: 'q' | 'r', toMontgomery: boolean, values: Uint8Array, threads: number): Promise<Uint8Array>;
  frMulSub(a: Uint8Array, b: Uint8Array, c: Uint8Array | null, threads: number): Promise<Uint8Array>;
  frSparseMul(records: Uint8Array, vector: Uint8Array, rows: number, matrices: number): Promise<Uint8Array>;
  fieldMulCost(field: 'q' | 'r' | 'v', iterations: number): Promise<Uint8Array>;
  msmWindowBits(n: number): number;
  /** partial: the optimised partial rounds (partial_c ‖ sparse ‖ tail ‖ after_c), empty when unavailable. */
  poseidonConstants(arity: number): { c: Uint8Array; m: Uint8Array; partial: Uint8Array };
  hardwareThreads(): number;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const modules = new Map<string, unknown>();

/**
 * A native module from the first of `paths` (relative to the package) that
 * exists, or the reason it cannot be loaded; asked once per process.
 */
export function loadNativeModule<T>(paths: string[], missing: string): T | Error {
  const key = paths.join('|');
  if (modules.has(key)) return modules.get(key) as T | Error;
  const candidates = paths.map((p) => join(packageRoot, p));
  const found = candidates.find((p) => existsSync(p));
  let result: T | Error;
  if (!found) result = new Error(`${missing} (looked for ${candidates[0]})`);
  else {
    try {
      result = createRequire(import.meta.url)(found) as T;
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
    }
  }
  modules.set(key, result);
  return result;
}

/** The addon, or the reason it cannot be loaded. */
export function loadCpuAddon(): CpuAddon | Error {
  return loadNativeModule<CpuAddon>(['build/Release/galactic_cpu.node', 'build/Debug/galactic_cpu.node'], 'native addon not built; run npm install');
}

/**
 * Runs a native call. The stack is captured before the call so a failing
 * kernel points at its caller, not at the event loop.
 */
export async function callNative<T>(call: () => Promise<T>): Promise<T> {
  const site = new Error();
  try {
    return await call();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const code = isErrorCode(e?.code) ? e.code : 'GAL_ERR_NATIVE';
    const wrapped = new GalacticError(code, String(e?.message ?? err));
    const frames = site.stack?.split('\n').slice(1).join('\n');
    if (frames) wrapped.stack = `GalacticError: ${wrapped.message}\n${frames}`;
    throw wrapped;
  }
}
