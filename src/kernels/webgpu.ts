/**
 * The WebGPU backend: the WGSL kernels of kernels/ through Dawn, for GPUs
 * without CUDA (and, on a machine without any GPU, Mesa's llvmpipe). Same
 * API, encodings, checks and results as the CPU backend. Calls run one at
 * a time on the device; a lost device fails the calls it was running with
 * GAL_ERR_DEVICE_LOST and the next call acquires a new one.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { GalacticError } from '../errors.js';
import { POINT_BYTES } from './encoding.js';
import type { CallOptions, Kernels, LoadOptions, MsmOptions, NttOptions } from './types.js';
import * as check from './validate.js';
import { acquireContext, describeAdapter, loadDawn, type AdapterDescription, type GpuContext } from './webgpu/gpu.js';
import { webgpuMsm } from './webgpu/msm.js';
import { webgpuNtt } from './webgpu/ntt.js';
import { webgpuMerkleRoot, webgpuPoseidon } from './webgpu/poseidon.js';

const LOSS_REPORT_MS = 200;

/** Whether an adapter answers here, and whether it is a software one. */
export async function webgpuAvailable(): Promise<{ ok: true; software: boolean } | { ok: false; reason: string }> {
  const d = loadDawn();
  if (d instanceof Error) return { ok: false, reason: d.message };
  const a = await describeAdapter();
  return a.adapter ? { ok: true, software: a.adapter.software } : { ok: false, reason: a.reason };
}

export interface WebGpuKernels extends Kernels {
  readonly backend: 'webgpu';
  /** The adapter of the device in use. */
  readonly adapter: AdapterDescription;
  /** Releases the device; a later call acquires a new one. */
  release(): void;
}

const contexts = new WeakMap<Kernels, () => GpuContext | null>();

/** The device a webgpu Kernels object is using now (tests destroy it to simulate a loss). */
export function currentDevice(kernels: Kernels): GPUDevice | null {
  return contexts.get(kernels)?.()?.device ?? null;
}

export async function createWebGpuKernels(options: LoadOptions = {}): Promise<WebGpuKernels> {
  const threads = check.checkThreads(options.threads, 1);
  let ctx: GpuContext | null = await acquireContext();
  let adapter = ctx.adapter;
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs `work` after the calls before it, on a live device. */
  function serial<T>(work: (c: GpuContext) => Promise<T>): Promise<T> {
    const run = queue.then(async () => {
      const c: GpuContext = ctx && !ctx.lost ? ctx : (ctx = await acquireContext());
      adapter = c.adapter;
      try {
        return await work(c);
      } catch (err) {
        // A failure right after a loss can come before the loss is reported.
        const lost = c.lost ?? (await Promise.race([c.device.lost.then((i) => i.message || 'destroyed'), delay(LOSS_REPORT_MS, null)]));
        if (lost) throw new GalacticError('GAL_ERR_DEVICE_LOST', `WebGPU device lost during the call (${lost}); the next call acquires a new device`);
        if (err instanceof GalacticError) throw err;
        throw new GalacticError('GAL_ERR_NATIVE', `WebGPU call failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    queue = run.catch(() => undefined);
    return run;
  }

  const kernels: WebGpuKernels = {
    backend: 'webgpu',
    threads,
    get adapter() {
      return adapter;
    },
    release() {
      ctx?.destroy();
      ctx = null;
    },
    async msm(points: Uint8Array, scalars: Uint8Array, opts?: MsmOptions) {
      const n = check.checkMsm(points, scalars);
      check.checkThreads(check.callOptions(opts).threads, threads);
      const windowBits = check.checkWindowBits(opts?.windowBits);
      if (n === 0) return new Uint8Array(POINT_BYTES);
      return serial((c) => webgpuMsm(c, points, scalars, n, windowBits));
    },
    async ntt(values: Uint8Array, opts?: NttOptions) {
      const n = check.checkNtt(values);
      check.checkThreads(check.callOptions(opts).threads, threads);
      const shift = check.cosetShift(opts);
      return serial((c) => webgpuNtt(c, values, n, opts?.inverse === true, shift));
    },
    async poseidon(inputs: Uint8Array, arity: number, opts?: CallOptions) {
      const count = check.checkPoseidon(inputs, arity);
      check.checkThreads(check.callOptions(opts).threads, threads);
      return serial((c) => webgpuPoseidon(c, inputs, arity, count));
    },
    async poseidonMerkleRoot(leaves: Uint8Array, opts?: CallOptions) {
      const n = check.checkMerkleLeaves(leaves);
      check.checkThreads(check.callOptions(opts).threads, threads);
      return serial((c) => webgpuMerkleRoot(c, leaves, n));
    },
  };
  contexts.set(kernels, () => ctx);
  return kernels;
}
