/**
 * A WebGPU device from Dawn (the `webgpu` package): the platform's native
 * backend first, then Mesa's llvmpipe through OpenGL ES on a headless Linux
 * machine (EGL_PLATFORM=surfaceless, compatibility feature level). One
 * GpuContext per device: compiled pipelines, reusable buffers, and the
 * chunk sizes the adapter's limits allow. A lost device marks its context
 * lost; the backend acquires a new one for the next call.
 */
import { createRequire } from 'node:module';
import { GalacticError } from '../../errors.js';
import { WORKGROUP, moduleSource, type ModuleName } from './wgsl.js';

type Dawn = { create(options: string[]): GPU; globals: Record<string, unknown> };

let dawn: Dawn | Error | undefined;

/** The Dawn binding, or the reason it cannot load here. */
export function loadDawn(): Dawn | Error {
  if (dawn) return dawn;
  try {
    dawn = createRequire(import.meta.url)('webgpu') as Dawn;
  } catch (err) {
    dawn = new Error(`the webgpu package (Dawn) does not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  return dawn;
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn's backend: the platform's native API, or 'opengles' (llvmpipe when no GPU). */
  backend: string;
  /** True when the adapter emulates a GPU on the CPU (llvmpipe, SwiftShader). */
  software: boolean;
}

const UNIFORM_SLOT = 256;

// Dawn instances live as long as the process: a device whose instance is
// garbage-collected brings the process down from a native thread.
const instances = new Map<string, GPU>();

function instance(d: Dawn, flags: string[]): GPU {
  const key = flags.join(' ');
  let gpu = instances.get(key);
  if (!gpu) instances.set(key, (gpu = d.create(flags)));
  return gpu;
}

async function requestAdapter(): Promise<{ adapter: GPUAdapter; backend: string } | string> {
  const d = loadDawn();
  if (d instanceof Error) return d.message;
  // Dawn's GL backend reaches Mesa through EGL; without a display it needs
  // the surfaceless platform. Set before the first adapter request.
  if (process.platform === 'linux') process.env.EGL_PLATFORM ??= 'surfaceless';
  const tries: { backend: string; flags: string[]; options: GPURequestAdapterOptions }[] = [
    { backend: 'native', flags: [], options: { powerPreference: 'high-performance' } },
    { backend: 'opengles', flags: ['backend=opengles'], options: { featureLevel: 'compatibility' } as GPURequestAdapterOptions },
  ];
  const reasons: string[] = [];
  for (const t of tries) {
    try {
      const adapter = await instance(d, t.flags).requestAdapter(t.options);
      if (adapter) return { adapter, backend: t.backend };
      reasons.push(`${t.backend}: no adapter`);
    } catch (err) {
      reasons.push(`${t.backend}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return `no WebGPU adapter (${reasons.join('; ')})`;
}

function describe(adapter: GPUAdapter, backend: string): AdapterDescription {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    backend: backend === 'native' ? (/vulkan|metal|d3d/i.exec(text)?.[0]?.toLowerCase() ?? 'native') : backend,
    software: /llvmpipe|swiftshader|lavapipe|software/i.test(text) || Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
}

export class GpuContext {
  lost: string | null = null;
  private readonly shaders = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pool = new Map<string, GPUBuffer>();
  readonly usage: { storage: number; copyDst: number; copySrc: number; uniform: number; mapRead: number; mapModeRead: number };

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
  ) {
    const g = loadDawn() as Dawn;
    const u = g.globals.GPUBufferUsage as Record<string, number>;
    const m = g.globals.GPUMapMode as Record<string, number>;
    this.usage = { storage: u.STORAGE!, copyDst: u.COPY_DST!, copySrc: u.COPY_SRC!, uniform: u.UNIFORM!, mapRead: u.MAP_READ!, mapModeRead: m.READ! };
    void device.lost.then((info) => {
      this.lost = info.message || info.reason || 'destroyed';
    });
  }

  get maxBinding(): number {
    return Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
  }

  /** The pipeline of an entry point, compiled once per module variant. */
  pipeline(module: ModuleName, entryPoint: string, bindings: GPUBufferBindingType[], defines: Record<string, number> = {}): GPUComputePipeline {
    const variant = `${module}:${JSON.stringify(defines)}`;
    const key = `${variant}:${entryPoint}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    let layout = this.layouts.get(variant);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        entries: bindings.map((type, binding) => ({ binding, visibility: 4 /* COMPUTE */, buffer: { type } })),
      });
      this.layouts.set(variant, layout);
    }
    const shader = this.shaderModule(variant, module, defines);
    p = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module: shader, entryPoint },
    });
    this.pipelines.set(key, p);
    return p;
  }

  private shaderModule(variant: string, module: ModuleName, defines: Record<string, number>): GPUShaderModule {
    let m = this.shaders.get(variant);
    if (!m) this.shaders.set(variant, (m = this.device.createShaderModule({ code: moduleSource(module, defines) })));
    return m;
  }

  bindGroup(pipeline: GPUComputePipeline, buffers: (GPUBuffer | { buffer: GPUBuffer; offset: number; size: number })[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((b, binding) => ({ binding, resource: 'offset' in b ? b : { buffer: b } })),
    });
  }

  /**
   * A buffer for `role` of at least `size` bytes, reused across calls (the
   * backend runs one call at a time) and grown by powers of two.
   */
  buffer(role: string, size: number, usage: number): GPUBuffer {
    const have = this.pool.get(role);
    if (have && have.size >= size) return have;
    have?.destroy();
    const bytes = Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(size, 1))));
    const b = this.device.createBuffer({ size: Math.min(bytes, Math.max(size, this.maxBinding)), usage });
    this.pool.set(role, b);
    return b;
  }

  storage(role: string, size: number): GPUBuffer {
    return this.buffer(role, align4(size), this.usage.storage | this.usage.copyDst | this.usage.copySrc);
  }

  /** A uniform buffer of `slots` 256-byte slots, and a binding for each. */
  uniforms(role: string, slots: ArrayBuffer[]): { buffer: GPUBuffer; offset: number; size: number }[] {
    const buffer = this.buffer(role, slots.length * UNIFORM_SLOT, this.usage.uniform | this.usage.copyDst);
    const data = new Uint8Array(slots.length * UNIFORM_SLOT);
    slots.forEach((s, i) => data.set(new Uint8Array(s), i * UNIFORM_SLOT));
    this.device.queue.writeBuffer(buffer, 0, data);
    return slots.map((s, i) => ({ buffer, offset: i * UNIFORM_SLOT, size: s.byteLength }));
  }

  /** A fresh status buffer: four "lowest failing index" words set to none. */
  status(): GPUBuffer {
    const b = this.storage('status', 16);
    this.device.queue.writeBuffer(b, 0, new Uint32Array([NONE, NONE, NONE, NONE]));
    return b;
  }

  upload(role: string, data: Uint8Array): GPUBuffer {
    const b = this.storage(role, data.length);
    if (data.length % 4 === 0) this.device.queue.writeBuffer(b, 0, data as Uint8Array<ArrayBuffer>);
    else {
      const padded = new Uint8Array(align4(data.length));
      padded.set(data);
      this.device.queue.writeBuffer(b, 0, padded);
    }
    return b;
  }

  /** Workgroup counts for `threads` invocations, spilling into y past the per-dimension limit. */
  dispatch(pass: GPUComputePassEncoder, threads: number, perGroup = WORKGROUP): void {
    const groups = Math.ceil(threads / perGroup);
    if (groups === 0) return;
    const maxX = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= maxX) pass.dispatchWorkgroups(groups);
    else pass.dispatchWorkgroups(maxX, Math.ceil(groups / maxX));
  }

  /**
   * Runs the encoded work and reads back the listed byte ranges, in one
   * submission. Validation and out-of-memory errors surface as GalacticErrors.
   * With nothing to read it returns once the work is queued: later
   * submissions run after it.
   */
  async run(encode: (encoder: GPUCommandEncoder) => void, reads: { buffer: GPUBuffer; offset: number; size: number }[]): Promise<Uint8Array[]> {
    const total = reads.reduce((s, r) => s + align4(r.size), 0);
    const readback = total ? this.buffer('readback', Math.max(total, 16), this.usage.mapRead | this.usage.copyDst) : null;
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const encoder = this.device.createCommandEncoder();
    encode(encoder);
    let at = 0;
    for (const r of reads) {
      encoder.copyBufferToBuffer(r.buffer, r.offset, readback!, at, align4(r.size));
      at += align4(r.size);
    }
    this.device.queue.submit([encoder.finish()]);
    const validation = await this.device.popErrorScope();
    const memory = await this.device.popErrorScope();
    if (memory) throw new GalacticError('GAL_ERR_OUT_OF_MEMORY', `WebGPU device out of memory: ${memory.message}`);
    if (validation) throw new GalacticError('GAL_ERR_NATIVE', `WebGPU rejected the kernel's commands: ${validation.message}`);
    if (!readback) return [];
    await readback.mapAsync(this.usage.mapModeRead, 0, align4(total));
    try {
      const mapped = new Uint8Array(readback.getMappedRange(0, align4(total)));
      const out: Uint8Array[] = [];
      at = 0;
      for (const r of reads) {
        out.push(mapped.slice(at, at + r.size));
        at += align4(r.size);
      }
      return out;
    } finally {
      readback.unmap();
    }
  }

  destroy(): void {
    for (const b of this.pool.values()) b.destroy();
    this.pool.clear();
    this.device.destroy();
  }
}

export const NONE = 0xffffffff;

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** A device with the adapter's own limits (the defaults are far smaller). */
export async function acquireContext(): Promise<GpuContext> {
  const found = await requestAdapter();
  if (typeof found === 'string') throw new GalacticError('GAL_ERR_BACKEND_UNAVAILABLE', `webgpu backend unavailable: ${found}`);
  const { adapter, backend } = found;
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    },
  });
  return new GpuContext(device, describe(adapter, backend));
}

type AdapterFound = { adapter: AdapterDescription } | { adapter: null; reason: string };
let described: Promise<AdapterFound> | undefined;

/** The adapter this machine would use, or why there is none; asked once per process. */
export function describeAdapter(): Promise<AdapterFound> {
  described ??= requestAdapter().then((found) =>
    typeof found === 'string' ? { adapter: null, reason: found } : { adapter: describe(found.adapter, found.backend) },
  );
  return described;
}
