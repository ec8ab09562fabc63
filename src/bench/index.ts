/**
 * The self-benchmark: runs each kernel on each available backend at sizes
 * that take a moment, converts the median time to gas/s with the gas table,
 * and reports the power per kernel, the best backend for each, and one
 * headline figure on a declared reference mix. Results are kept in the data
 * directory with the machine's fingerprint and reused until the hardware,
 * the backends or the versions change.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, homedir, totalmem } from 'node:os';
import { join } from 'node:path';
import { invalidArgument } from '../errors.js';
import { GAS_TABLE_VERSION, msmPlan, nttGas, poseidonGas } from '../gas/index.js';
import { Q, encodePoints, listBackends, loadKernels, type BackendName, type Kernels } from '../kernels/index.js';
import { VERSION } from '../version.js';

export const BENCH_SCHEMA = 'galactic/bench/1';
export type KernelName = 'msm' | 'ntt' | 'poseidon';
export const KERNELS: readonly KernelName[] = ['msm', 'ntt', 'poseidon'];

/** The headline power is for this mix of work, by share of gas. */
export const REFERENCE_MIX: Record<KernelName, number> = { msm: 0.6, ntt: 0.3, poseidon: 0.1 };

/** Problem sizes (log2): quick mode stays well under a minute on two cores. */
const SIZES: Record<'quick' | 'full', Record<KernelName, number>> = {
  quick: { msm: 14, ntt: 16, poseidon: 14 },
  full: { msm: 18, ntt: 20, poseidon: 18 },
};

export interface KernelPower {
  kernel: KernelName;
  backend: BackendName;
  size: number;
  gas: number;
  runs: number;
  medianMs: number;
  gasPerSecond: number;
  /** The calibration figure: measured nanoseconds per gas. */
  nsPerGas: number;
}

export interface BenchResult {
  schema: typeof BENCH_SCHEMA;
  version: string;
  gasTable: string;
  fingerprint: string;
  date: string;
  mode: 'quick' | 'full';
  kernels: KernelPower[];
  best: Record<KernelName, { backend: BackendName; gasPerSecond: number }>;
  /** gas/s on REFERENCE_MIX, each kernel on its best backend. */
  power: number;
  mix: Record<KernelName, number>;
  /** max/min of nsPerGas across the best kernels: how far the gas model is from this machine. */
  calibrationSpread: number;
}

export interface BenchProgress {
  kernel: KernelName;
  backend: BackendName;
  step: number;
  steps: number;
}

export interface BenchOptions {
  quick?: boolean;
  /** Backends to measure; default every one that loads, but for software emulations of a device. */
  backends?: BackendName[];
  /** Data directory; default GALACTIC_HOME or ~/.galactic. */
  home?: string;
  /** Measure even when a stored result matches this machine. */
  force?: boolean;
  onProgress?: (p: BenchProgress) => void;
  /** Seconds of timed runs per kernel (default 0.4 quick, 2 full). */
  secondsPerKernel?: number;
}

export function dataDir(home?: string): string {
  return home ?? process.env.GALACTIC_HOME ?? join(homedir(), '.galactic');
}

/** What a stored result depends on: hardware, backends, versions, mode. */
export function fingerprint(backends: BackendName[], mode: string): string {
  const c = cpus();
  const facts = { cpu: c[0]?.model, threads: c.length, memory: totalmem(), backends, version: VERSION, gasTable: GAS_TABLE_VERSION, mode };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex');
}

/** 256 distinct multiples of the generator, tiled: valid points made cheaply. */
export function benchPoints(n: number): Uint8Array {
  const mod = (a: bigint) => ((a % Q) + Q) % Q;
  const inv = (a: bigint) => {
    let r = 1n, b = mod(a), e = Q - 2n;
    for (; e > 0n; e >>= 1n, b = (b * b) % Q) if (e & 1n) r = (r * b) % Q;
    return r;
  };
  const g = { x: 1n, y: 2n };
  const distinct = [g];
  const lambda = mod(3n * inv(4n));  // doubling G = (1, 2): λ = 3x²/2y = 3/4
  const x2 = mod(lambda * lambda - 2n);
  let p = { x: x2, y: mod(lambda * (1n - x2) - 2n) };
  for (let i = 1; i < 256; i++) {
    distinct.push(p);
    const l = mod((p.y - g.y) * inv(p.x - g.x));
    const x = mod(l * l - p.x - g.x);
    p = { x, y: mod(l * (p.x - x) - p.y) };
  }
  const one = encodePoints(distinct);
  const out = new Uint8Array(64 * n);
  for (let o = 0; o < out.length; o += one.length) out.set(one.subarray(0, Math.min(one.length, out.length - o)), o);
  return out;
}

/** Uniform-ish field elements below r (top byte capped). */
export function benchScalars(n: number): Uint8Array {
  const out = randomFillSync(new Uint8Array(32 * n));
  for (let i = 31; i < out.length; i += 32) out[i]! &= 0x2f;
  return out;
}

async function timeKernel(run: () => Promise<unknown>, seconds: number): Promise<{ medianMs: number; runs: number }> {
  await run();  // warm-up: tables, threads, page faults
  const times: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  do {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  } while ((performance.now() < deadline || times.length < 3) && times.length < 200);
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1]!, runs: times.length };
}

async function measure(k: Kernels, kernel: KernelName, log: number, seconds: number): Promise<KernelPower> {
  const n = 2 ** log;
  let run: () => Promise<unknown>, gas: number;
  if (kernel === 'msm') {
    const points = benchPoints(n), scalars = benchScalars(n);
    run = () => k.msm(points, scalars);
    gas = msmPlan(n).gas;
  } else if (kernel === 'ntt') {
    const values = benchScalars(n);
    run = () => k.ntt(values);
    gas = nttGas(n);
  } else {
    const inputs = benchScalars(2 * n);
    run = () => k.poseidon(inputs, 2);
    gas = n * poseidonGas(2);
  }
  const { medianMs, runs } = await timeKernel(run, seconds);
  return { kernel, backend: k.backend, size: n, gas, runs, medianMs, gasPerSecond: gas / (medianMs / 1000), nsPerGas: (medianMs * 1e6) / gas };
}

/** The stored result for this machine, if there is one and it still applies. */
export function storedResult(options: BenchOptions, backends: BackendName[]): BenchResult | null {
  const mode = options.quick ? 'quick' : 'full';
  try {
    const r = JSON.parse(readFileSync(join(dataDir(options.home), `bench-${mode}.json`), 'utf8')) as BenchResult;
    return r.schema === BENCH_SCHEMA && r.fingerprint === fingerprint(backends, mode) ? r : null;
  } catch {
    return null;
  }
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResult & { reused: boolean }> {
  if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options);
  const seconds = options.secondsPerKernel;
  if (seconds !== undefined && !(typeof seconds === 'number' && seconds > 0 && seconds <= 600))
    throw invalidArgument('a number of seconds in (0, 600]', 'secondsPerKernel', seconds);
  if (options.backends !== undefined && !Array.isArray(options.backends)) throw invalidArgument('an array of backend names', 'backends', options.backends);
  const listed = (await listBackends()).filter((b) => b.available);
  const available = listed.map((b) => b.name);
  // An emulated device (llvmpipe) measures the CPU again, slower: only on request.
  const backends = options.backends ?? listed.filter((b) => !b.software).map((b) => b.name);
  for (const b of backends)
    if (!available.includes(b)) throw invalidArgument(`one of the available backends (${available.join(', ')})`, 'backend', b, 'GAL_ERR_BACKEND_UNAVAILABLE');
  const mode = options.quick ? 'quick' : 'full';
  if (!options.force) {
    const stored = storedResult(options, backends);
    if (stored) return { ...stored, reused: true };
  }
  const perKernel = seconds ?? (options.quick ? 0.4 : 2);
  const steps = backends.length * KERNELS.length;
  const kernels: KernelPower[] = [];
  for (const backend of backends) {
    const k = await loadKernels({ backend });
    for (const kernel of KERNELS) {
      options.onProgress?.({ kernel, backend, step: kernels.length, steps });
      kernels.push(await measure(k, kernel, SIZES[mode][kernel], perKernel));
    }
    await k.release?.();  // the GPU's memory goes back to the plugins that prove on it
  }
  options.onProgress?.({ kernel: 'poseidon', backend: backends[backends.length - 1]!, step: steps, steps });
  const best = Object.fromEntries(
    KERNELS.map((kernel) => {
      const top = kernels.filter((p) => p.kernel === kernel).sort((a, b) => b.gasPerSecond - a.gasPerSecond)[0]!;
      return [kernel, { backend: top.backend, gasPerSecond: top.gasPerSecond }];
    }),
  ) as BenchResult['best'];
  // Time per gas of the mix = Σ share / power: the harmonic combination.
  const power = 1 / KERNELS.reduce((s, kernel) => s + REFERENCE_MIX[kernel] / best[kernel].gasPerSecond, 0);
  const ns = KERNELS.map((kernel) => 1e9 / best[kernel].gasPerSecond);
  const result: BenchResult = {
    schema: BENCH_SCHEMA,
    version: VERSION,
    gasTable: GAS_TABLE_VERSION,
    fingerprint: fingerprint(backends, mode),
    date: new Date().toISOString(),
    mode,
    kernels,
    best,
    power,
    mix: REFERENCE_MIX,
    calibrationSpread: Math.max(...ns) / Math.min(...ns),
  };
  const dir = dataDir(options.home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `bench-${mode}.json`), tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(result, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);  // atomic: a reader never sees half a file
  return { ...result, reused: false };
}

/** Estimated time of `gas` on a kernel, from a benchmark result. */
export function estimateMs(result: BenchResult, kernel: KernelName, gas: number): number {
  return (gas / result.best[kernel].gasPerSecond) * 1000;
}
