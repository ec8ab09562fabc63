/**
 * The CUDA backend: the kernels of native/cuda on an NVIDIA GPU, with the
 * same API, encodings, checks and results as the CPU backend. MSMs below
 * `cpuBelow` points go to the CPU backend (a GPU launch costs more than such
 * a sum). Point sets that many MSMs share can stay on the device:
 * `uploadPoints` converts and checks them once and returns a handle that
 * `msm` accepts in place of the points, until `release()` (or until the
 * handle is garbage-collected).
 */
import { GalacticError, invalidArgument } from '../errors.js';
import { POINT_BYTES } from './encoding.js';
import { createCpuKernels, gpuPoseidonConstants } from './cpu.js';
import { callNative, loadNativeModule } from './native.js';
import type { CallOptions, Kernels, LoadOptions, MsmOptions, NttOptions } from './types.js';
import * as check from './validate.js';

/** A CUDA device as the runtime reports it. */
export interface CudaDevice {
  index: number;
  name: string;
  /** "9.0" for an H100. */
  computeCapability: string;
  multiprocessors: number;
  clockMHz: number;
  memoryBusBits: number;
  memoryTotal: number;
  pciBusId: string;
}

/** What the CUDA module exports; see native/cuda/addon.cc. */
export interface CudaAddon {
  devices(): { count: number; reason?: string; devices: CudaDevice[]; architectures: string };
  msm(device: number, points: Uint8Array | null, residentId: number, scalars: Uint8Array, windowBits: number): Promise<Uint8Array>;
  uploadPoints(device: number, points: Uint8Array): Promise<Uint8Array>;
  releasePoints(residentId: number): Promise<Uint8Array>;
  releaseCached(device: number): Promise<Uint8Array>;
  ntt(device: number, values: Uint8Array, inverse: boolean, cosetShift: Uint8Array | null): Promise<Uint8Array>;
  poseidon(device: number, inputs: Uint8Array, arity: number, constants: Uint8Array): Promise<Uint8Array>;
  poseidonMerkleRoot(device: number, leaves: Uint8Array, constants: Uint8Array): Promise<Uint8Array>;
  msmWindowBits(n: number): number;
  /** Device time of the last call's kernels on a device, without its copies, in ms (-1: none yet). */
  lastKernelMs(device: number): number;
  /** The last MSM's kernel time by phase (digits, sort, bucket sums, window reduction), in ms; null before any. */
  lastMsmPhasesMs(device: number): [number, number, number, number] | null;
}

/** MSMs with fewer points run on the CPU backend unless LoadOptions.cpuBelow says otherwise. */
export const DEFAULT_CPU_BELOW = 4096;

export function loadCudaAddon(): CudaAddon | Error {
  return loadNativeModule<CudaAddon>(
    ['build-cuda/Release/galactic_cuda.node', 'build-cuda/galactic_cuda.node'],
    'CUDA module not built; it needs the CUDA toolkit (nvcc): npm run build:cuda',
  );
}

/**
 * Why the module cannot run on a device, or null. `architectures` is CMake's
 * list: "90" brings sm_90 machine code and compute_90 PTX, "90-real" only
 * the code, "90-virtual" only the PTX. Machine code runs on devices of the
 * same major version at or above it; the driver compiles PTX for any device
 * at or above it.
 */
export function unsupportedReason(device: Pick<CudaDevice, 'index' | 'name' | 'computeCapability'>, architectures: string): string | null {
  const [major = 0, minor = 0] = device.computeCapability.split('.').map(Number);
  const cc = major * 10 + minor;
  const runs = architectures.split(',').some((entry) => {
    const a = parseInt(entry, 10);
    if (!Number.isFinite(a) || cc < a) return false;
    return !entry.endsWith('-real') || Math.floor(a / 10) === major;  // PTX, or machine code of the same major
  });
  return runs
    ? null
    : `device ${device.index} (${device.name}) is sm ${device.computeCapability} but the CUDA module was built for ${architectures}; rebuild it with GALACTIC_CUDA_ARCH=${cc} npm run build:cuda`;
}

/** The CUDA runtime's view of this machine: the module, the devices, the architectures it was built for. */
export function cudaRuntime(): { available: boolean; reason?: string; architectures?: string; devices: CudaDevice[] } {
  const addon = loadCudaAddon();
  if (addon instanceof Error) return { available: false, reason: addon.message, devices: [] };
  const d = addon.devices();
  if (d.count === 0) return { available: false, reason: `no CUDA device (${d.reason ?? 'none found'})`, architectures: d.architectures, devices: [] };
  const reasons = d.devices.map((dev) => unsupportedReason(dev, d.architectures));
  return reasons.some((r) => r === null)
    ? { available: true, architectures: d.architectures, devices: d.devices }
    : { available: false, reason: reasons.join('; '), architectures: d.architectures, devices: d.devices };
}

export async function cudaAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const r = cudaRuntime();
  return r.available ? { ok: true } : { ok: false, reason: r.reason ?? 'unavailable' };
}

/** G1 points held on the device for later MSMs. */
export interface ResidentPoints {
  readonly n: number;
  readonly device: number;
  readonly released: boolean;
  /** Frees the device memory; MSMs already running finish first. */
  release(): Promise<void>;
}

export interface CudaKernels extends Kernels {
  readonly backend: 'cuda';
  /** The device index this object runs on. */
  readonly device: number;
  /** Frees the device memory kept between calls (buffers, twiddle tables, staging); resident points stay. */
  release(): Promise<void>;
  /** Converts and checks points once and keeps them on the device. */
  uploadPoints(points: Uint8Array): Promise<ResidentPoints>;
  msm(points: Uint8Array | ResidentPoints, scalars: Uint8Array, options?: MsmOptions): Promise<Uint8Array>;
}

export function isCudaKernels(k: Kernels): k is CudaKernels {
  return k.backend === 'cuda';
}

const ids = new WeakMap<ResidentPoints, number>();
// A set its owner dropped without release() goes back when it is collected.
const dropped = new FinalizationRegistry<{ addon: CudaAddon; id: number }>(({ addon, id }) => {
  addon.releasePoints(id).catch(() => undefined);
});

export async function createCudaKernels(options: LoadOptions = {}): Promise<CudaKernels> {
  const addon = loadCudaAddon();
  if (addon instanceof Error) throw new GalacticError('GAL_ERR_BACKEND_UNAVAILABLE', `cuda backend unavailable: ${addon.message}`);
  const { count, reason, devices, architectures } = addon.devices();
  const device = options.device ?? 0;
  if (!Number.isInteger(device) || device < 0) throw invalidArgument('a non-negative integer', 'device', device);
  if (device >= count)
    throw new GalacticError('GAL_ERR_BACKEND_UNAVAILABLE', `Expected a CUDA device index below ${count} for device but received ${device}${count ? '' : ` (${reason})`}`);
  const why = devices[device] && unsupportedReason(devices[device], architectures);
  if (why) throw new GalacticError('GAL_ERR_BACKEND_UNAVAILABLE', `cuda backend unavailable: ${why}`);
  const cpuBelow = options.cpuBelow ?? DEFAULT_CPU_BELOW;
  if (!Number.isInteger(cpuBelow) || cpuBelow < 0) throw invalidArgument('a non-negative integer', 'cpuBelow', cpuBelow);
  const cpu = createCpuKernels({ threads: options.threads });
  const threads = cpu.threads;

  return {
    backend: 'cuda',
    threads,
    device,
    async release() {
      await callNative(() => addon.releaseCached(device));
    },
    async uploadPoints(points: Uint8Array) {
      const n = check.checkPoints(points);
      if (n === 0) throw invalidArgument('at least one point', 'points', points, 'GAL_ERR_BUFFER_LENGTH');
      const id = new DataView((await callNative(() => addon.uploadPoints(device, points))).buffer).getUint32(0, true);
      let released = false;
      const set: ResidentPoints = {
        n,
        device,
        get released() {
          return released;
        },
        async release() {
          if (released) return;
          released = true;
          dropped.unregister(set);
          await callNative(() => addon.releasePoints(id));
        },
      };
      ids.set(set, id);
      dropped.register(set, { addon, id }, set);
      return set;
    },
    async msm(points: Uint8Array | ResidentPoints, scalars: Uint8Array, opts?: MsmOptions) {
      const windowBits = check.checkWindowBits(opts?.windowBits);
      check.checkThreads(check.callOptions(opts).threads, threads);
      if (!(points instanceof Uint8Array)) {
        const id = points && typeof points === 'object' ? ids.get(points) : undefined;
        if (id === undefined) throw invalidArgument('a Uint8Array or points from uploadPoints', 'points', points);
        if (points.released) throw invalidArgument('resident points that are not released', 'points', points);
        if (points.device !== device) throw invalidArgument(`resident points on device ${device}`, 'points', points);
        const s = check.checkScalars(scalars, points.n);
        return callNative(() => addon.msm(device, null, id, s, windowBits));
      }
      const n = check.checkMsm(points, scalars);
      if (n === 0) return new Uint8Array(POINT_BYTES);
      if (n < cpuBelow) return cpu.msm(points, scalars, opts);
      return callNative(() => addon.msm(device, points, 0, scalars, windowBits));
    },
    async ntt(values: Uint8Array, opts?: NttOptions) {
      check.checkNtt(values);
      check.checkThreads(check.callOptions(opts).threads, threads);
      const shift = check.cosetShift(opts);
      return callNative(() => addon.ntt(device, values, opts?.inverse === true, shift));
    },
    async poseidon(inputs: Uint8Array, arity: number, opts?: CallOptions) {
      check.checkPoseidon(inputs, arity);
      check.checkThreads(check.callOptions(opts).threads, threads);
      return callNative(() => addon.poseidon(device, inputs, arity, gpuPoseidonConstants(arity)));
    },
    async poseidonMerkleRoot(leaves: Uint8Array, opts?: CallOptions) {
      check.checkMerkleLeaves(leaves);
      check.checkThreads(check.callOptions(opts).threads, threads);
      return callNative(() => addon.poseidonMerkleRoot(device, leaves, gpuPoseidonConstants(2)));
    },
  };
}
