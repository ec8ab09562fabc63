/**
 * The hardware probe: what this machine is, as the device descriptor the
 * agent registers with. Each source is read on its own, with a time limit; a
 * source that fails leaves its section empty and is named in `problems`
 * instead of failing the whole probe.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import si from 'systeminformation';
import { invalidArgument } from '../errors.js';
import { cudaRuntime, listBackends } from '../kernels/index.js';
import {
  DEVICE_SCHEMA_VERSION,
  type CpuInfo,
  type CudaDeviceInfo,
  type DeviceDescriptor,
  type GpuInfo,
  type MemoryInfo,
  type OsInfo,
  type WebGpuAdapter,
} from '../protocol/index.js';
import { describeAdapter } from '../kernels/webgpu/gpu.js';

const run = promisify(execFile);

/** The CPU features the kernels use or that matter for choosing them. */
export const KERNEL_CPU_FLAGS = [
  'adx', 'bmi2', 'avx2', 'avx512f', 'avx512dq', 'avx512bw', 'avx512vl', 'avx512ifma', 'avx512vbmi', 'sha_ni', 'asimd', 'sve',
] as const;

export interface ProbeSources {
  os(): Promise<OsInfo>;
  cpu(): Promise<CpuInfo>;
  memory(): Promise<MemoryInfo>;
  /** Every GPU the OS lists (systeminformation). */
  gpus(): Promise<GpuInfo[]>;
  /** NVIDIA GPUs from nvidia-smi, or null where there is no nvidia-smi. */
  nvidia(): Promise<GpuInfo[] | null>;
  docker(): Promise<{ version: string }>;
  backends(): Promise<{ name: string; available: boolean; reason?: string }[]>;
  /** The WebGPU adapter, or why there is none. */
  webgpu(): Promise<{ available: boolean; reason?: string; adapter?: WebGpuAdapter }>;
  /** Every device the CUDA runtime sees, or why it sees none. */
  cuda(): Promise<{ available: boolean; reason?: string; architectures?: string; devices: CudaDeviceInfo[] }>;
}

export interface ProbeOptions {
  /** Replace sources (tests; other platforms). */
  sources?: Partial<ProbeSources>;
  /** nvidia-smi executable; default from PATH. */
  nvidiaSmi?: string;
  /** Docker daemon socket; default from DOCKER_HOST (unix://) or /var/run/docker.sock. */
  dockerSocket?: string;
  /** Time limit per source in ms (default 5000). */
  timeoutMs?: number;
}

const MB = 1024 * 1024;

export function defaultSources(options: ProbeOptions = {}): ProbeSources {
  const timeout = options.timeoutMs ?? 5000;
  return {
    async os() {
      const o = await si.osInfo();
      return { platform: o.platform, distro: o.distro, release: o.release, kernel: o.kernel, arch: o.arch };
    },
    async cpu() {
      const [c, flags] = await Promise.all([si.cpu(), si.cpuFlags()]);
      const have = new Set(flags.split(/\s+/));
      return {
        vendor: c.vendor || c.manufacturer,
        brand: [c.manufacturer, c.brand].filter(Boolean).join(' '),
        physicalCores: c.physicalCores,
        logicalCores: c.cores,
        speedGHz: { base: c.speed || 0, max: c.speedMax || c.speed || 0 },
        flags: KERNEL_CPU_FLAGS.filter((f) => have.has(f)),
      };
    },
    async memory() {
      const m = await si.mem();
      return { totalMB: Math.round(m.total / MB), availableMB: Math.round(m.available / MB) };
    },
    async gpus() {
      const g = await si.graphics();
      return g.controllers.map((c) => ({
        vendor: c.vendor || 'unknown',
        model: c.model || 'unknown',
        memoryMB: c.vram ?? null,
        driver: c.driverVersion || null,
        computeCapability: null,
        uuid: null,
        pciBusId: c.pciBus || null,
      }));
    },
    async nvidia() {
      const query = 'name,memory.total,driver_version,compute_cap,uuid,pci.bus_id';
      let stdout: string;
      try {
        ({ stdout } = await run(options.nvidiaSmi ?? 'nvidia-smi', [`--query-gpu=${query}`, '--format=csv,noheader,nounits'], { timeout }));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;  // no NVIDIA driver here: not a failure
        throw new Error(`nvidia-smi failed: ${(err as Error).message.split('\n')[0]}`);
      }
      return stdout.trim().split('\n').filter(Boolean).map((line) => {
        const [model, mem, driver, cc, uuid, bus] = line.split(',').map((s) => s.trim());
        return {
          vendor: 'NVIDIA',
          model: model ?? 'unknown',
          memoryMB: Number.isFinite(Number(mem)) ? Number(mem) : null,
          driver: driver || null,
          computeCapability: cc || null,
          uuid: uuid || null,
          pciBusId: bus || null,
        };
      });
    },
    async docker() {
      const host = process.env.DOCKER_HOST;
      const socketPath = options.dockerSocket ?? (host?.startsWith('unix://') ? host.slice(7) : '/var/run/docker.sock');
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ socketPath, path: '/version', timeout }, (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (data.length < 1 << 16 ? (data += chunk) : req.destroy()));
          res.on('end', () => (res.statusCode === 200 ? resolve(data) : reject(new Error(`daemon answered ${res.statusCode}`))));
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
        req.on('error', (err) => reject(new Error(`no Docker daemon at ${socketPath}: ${err.message}`)));
        req.end();
      });
      return { version: String((JSON.parse(body) as { Version?: unknown }).Version ?? 'unknown') };
    },
    backends: listBackends,
    async webgpu() {
      const found = await describeAdapter();
      return found.adapter ? { available: true, adapter: found.adapter } : { available: false, reason: found.reason };
    },
    async cuda() {
      const r = cudaRuntime();
      return {
        available: r.available,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.architectures ? { architectures: r.architectures } : {}),
        devices: r.devices.map((d) => ({
          index: d.index,
          name: d.name,
          computeCapability: d.computeCapability,
          multiprocessors: d.multiprocessors,
          memoryMB: Math.round(d.memoryTotal / MB),
          pciBusId: d.pciBusId,
        })),
      };
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

export async function probe(options: ProbeOptions = {}): Promise<DeviceDescriptor> {
  if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options);
  const { timeoutMs, nvidiaSmi, dockerSocket } = options;
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1))
    throw invalidArgument('a positive integer of milliseconds', 'timeoutMs', timeoutMs);
  if (nvidiaSmi !== undefined && typeof nvidiaSmi !== 'string') throw invalidArgument('a path', 'nvidiaSmi', nvidiaSmi);
  if (dockerSocket !== undefined && typeof dockerSocket !== 'string') throw invalidArgument('a path', 'dockerSocket', dockerSocket);
  const sources = { ...defaultSources(options), ...options.sources };
  const timeout = options.timeoutMs ?? 5000;
  const problems: DeviceDescriptor['problems'] = [];
  const read = async <T>(source: string, get: () => Promise<T>): Promise<T | null> => {
    try {
      return await withTimeout(get(), timeout, source);
    } catch (err) {
      problems.push({ source, message: err instanceof Error ? err.message : String(err) });
      return null;
    }
  };
  const [os, cpu, memory, listed, nvidia, backends, webgpu, cuda] = await Promise.all([
    read('os', sources.os),
    read('cpu', sources.cpu),
    read('memory', sources.memory),
    read('gpus', sources.gpus),
    read('nvidia-smi', sources.nvidia),
    read('backends', sources.backends),
    read('webgpu', sources.webgpu),
    read('cuda', sources.cuda),
  ]);
  // Docker's absence is a fact about the machine, not a failure to read it.
  let docker: DeviceDescriptor['docker'];
  try {
    docker = { available: true, ...(await withTimeout(sources.docker(), timeout, 'docker')) };
  } catch (err) {
    docker = { available: false, reason: err instanceof Error ? err.message : String(err) };
  }
  // nvidia-smi knows more about NVIDIA GPUs than the OS listing does.
  const gpus = nvidia?.length ? [...(listed ?? []).filter((g) => !/nvidia/i.test(g.vendor)), ...nvidia] : (listed ?? []);
  return {
    schema: DEVICE_SCHEMA_VERSION,
    probedAt: new Date().toISOString(),
    os,
    cpu,
    memory,
    gpus,
    docker,
    backends: backends ?? [],
    ...(webgpu ? { webgpu } : {}),
    ...(cuda ? { cuda } : {}),
    problems,
  };
}
