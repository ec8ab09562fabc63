/** The CPU backend: the native addon; the reference every backend is tested against. */
import { GalacticError } from '../errors.js';
import { POINT_BYTES } from './encoding.js';
import { callNative, loadCpuAddon, type CpuAddon } from './native.js';
import type { CallOptions, Kernels, LoadOptions, MsmOptions, NttOptions } from './types.js';
import * as check from './validate.js';

export function cpuAvailable(): { ok: true } | { ok: false; reason: string } {
  const addon = loadCpuAddon();
  return addon instanceof Error ? { ok: false, reason: addon.message } : { ok: true };
}

export function requireCpuAddon(): CpuAddon {
  const addon = loadCpuAddon();
  if (addon instanceof Error) throw new GalacticError('GAL_ERR_BACKEND_UNAVAILABLE', `cpu backend unavailable: ${addon.message}`);
  return addon;
}

const gpuPoseidon = new Map<number, Uint8Array>();

/**
 * The Poseidon constants the GPU backends take for an arity: c ‖ m ‖ the
 * optimised partial rounds (partial_c ‖ sparse ‖ tail ‖ after_c), 32
 * canonical bytes each, derived once by the CPU addon.
 */
export function gpuPoseidonConstants(arity: number): Uint8Array {
  let k = gpuPoseidon.get(arity);
  if (!k) {
    const { c, m, partial } = requireCpuAddon().poseidonConstants(arity);
    // The optimised partial rounds exist for every circomlib width (a test checks).
    if (partial.length === 0) throw new GalacticError('GAL_ERR_NATIVE', `Poseidon arity ${arity} has no optimised partial rounds for the GPU`);
    k = new Uint8Array(c.length + m.length + partial.length);
    k.set(c, 0);
    k.set(m, c.length);
    k.set(partial, c.length + m.length);
    gpuPoseidon.set(arity, k);
  }
  return k;
}

export function createCpuKernels(options: LoadOptions = {}): Kernels {
  const addon = requireCpuAddon();
  const threads = check.checkThreads(options.threads, addon.hardwareThreads());
  const callThreads = (opts: CallOptions | undefined) => check.checkThreads(check.callOptions(opts).threads, threads);
  return {
    backend: 'cpu',
    threads,
    async msm(points: Uint8Array, scalars: Uint8Array, opts?: MsmOptions) {
      const n = check.checkMsm(points, scalars);
      const t = callThreads(opts);
      const windowBits = check.checkWindowBits(opts?.windowBits);
      if (n === 0) return new Uint8Array(POINT_BYTES);  // the empty sum is infinity
      return callNative(() => addon.msm(points, scalars, t, windowBits));
    },
    async msmG2(points: Uint8Array, scalars: Uint8Array, opts?: CallOptions) {
      const n = check.checkMsm(points, scalars, 2 * POINT_BYTES);
      const t = callThreads(opts);
      if (n === 0) return new Uint8Array(2 * POINT_BYTES);
      return callNative(() => addon.msmG2(points, scalars, t));
    },
    async ntt(values: Uint8Array, opts?: NttOptions) {
      check.checkNtt(values);
      const t = callThreads(opts);
      const shift = check.cosetShift(opts);
      return callNative(() => addon.ntt(values, opts?.inverse === true, shift, t));
    },
    async poseidon(inputs: Uint8Array, arity: number, opts?: CallOptions) {
      check.checkPoseidon(inputs, arity);
      const t = callThreads(opts);
      return callNative(() => addon.poseidon(inputs, arity, t));
    },
    async poseidonMerkleRoot(leaves: Uint8Array, opts?: CallOptions) {
      check.checkMerkleLeaves(leaves);
      const t = callThreads(opts);
      return callNative(() => addon.poseidonMerkleRoot(leaves, t));
    },
  };
}
