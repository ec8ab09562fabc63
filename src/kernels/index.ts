/**
 * loadKernels: one API over the registered backends (DESIGN §3): cuda, then
 * webgpu, then cpu. Each registers a provider; 'auto' takes the available
 * provider with the highest preference that is not a software emulation,
 * and GALACTIC_BACKEND forces one.
 */
import { GalacticError, invalidArgument } from '../errors.js';
import { cpuAvailable, createCpuKernels } from './cpu.js';
import { createCudaKernels, cudaAvailable } from './cuda.js';
import { createWebGpuKernels, webgpuAvailable } from './webgpu.js';
import type { BackendChoice, BackendName, Kernels, LoadOptions } from './types.js';

export interface BackendProvider {
  name: BackendName;
  /** Higher is tried first by 'auto'. */
  preference: number;
  /** `software`: a CPU emulation of a device, which 'auto' passes over. */
  available(): Promise<{ ok: true; software?: boolean } | { ok: false; reason: string }>;
  create(options: LoadOptions): Promise<Kernels>;
}

const providers = new Map<BackendName, BackendProvider>();

export function registerBackend(provider: BackendProvider): void {
  providers.set(provider.name, provider);
}

registerBackend({
  name: 'cpu',
  preference: 0,
  available: async () => cpuAvailable(),
  create: async (options) => createCpuKernels(options),
});

registerBackend({
  name: 'webgpu',
  preference: 1,
  available: webgpuAvailable,
  create: createWebGpuKernels,
});

registerBackend({
  name: 'cuda',
  preference: 2,
  available: cudaAvailable,
  create: createCudaKernels,
});

const CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'cuda', 'webgpu'];

/** Which backends can run here, with the reason for those that cannot; `software` marks an emulated device. */
export async function listBackends(): Promise<{ name: BackendName; available: boolean; reason?: string; software?: boolean }[]> {
  const out = [];
  for (const p of providers.values()) {
    const a = await p.available();
    out.push(a.ok ? { name: p.name, available: true, ...(a.software ? { software: true } : {}) } : { name: p.name, available: false, reason: a.reason });
  }
  return out;
}

export async function loadKernels(options: LoadOptions = {}): Promise<Kernels> {
  if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options);
  const forced = process.env.GALACTIC_BACKEND;
  const choice = (options.backend ?? (forced || 'auto')) as BackendChoice;
  if (!CHOICES.includes(choice)) throw invalidArgument(`one of ${CHOICES.join(', ')}`, 'backend', choice);

  if (choice !== 'auto') {
    const p = providers.get(choice);
    if (!p) throw new GalacticError('GAL_ERR_BACKEND_UNAVAILABLE', `${choice} backend is not part of this build`);
    const a = await p.available();
    if (!a.ok) throw new GalacticError('GAL_ERR_BACKEND_UNAVAILABLE', `${choice} backend unavailable: ${a.reason}`);
    return p.create(options);
  }
  const reasons: string[] = [];
  for (const p of [...providers.values()].sort((a, b) => b.preference - a.preference)) {
    const a = await p.available();
    if (a.ok && !a.software) return p.create(options);
    reasons.push(`${p.name}: ${a.ok ? 'only a software adapter' : a.reason}`);
  }
  throw new GalacticError('GAL_ERR_BACKEND_UNAVAILABLE', `no kernel backend available (${reasons.join('; ')})`);
}

export type { BackendChoice, BackendName, CallOptions, FieldName, Kernels, LoadOptions, MsmOptions, NttOptions } from './types.js';
export * from './encoding.js';
export { fromMontgomery, toMontgomery } from './montgomery.js';
export { SPARSE_RECORD_BYTES, mulSubFr, sparseMulFr } from './arithmetic.js';
export { G2_POINT_BYTES, GT_BYTES, MAX_PAIRS, inverseInGt, pairingProduct } from './pairing.js';
export { COSET_GENERATOR } from './validate.js';
export { cudaRuntime, isCudaKernels, type CudaDevice, type CudaKernels, type ResidentPoints } from './cuda.js';
