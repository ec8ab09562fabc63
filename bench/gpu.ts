/**
 * GPU benchmark: the cuda backend beside the CPU backend in one process run.
 * For each size: the call's wall time (host↔device copies included), the
 * device time of its kernels alone (CUDA events around them), for MSM also
 * the wall time with the points resident on the device, and the CPU
 * backend's time where it finishes in reasonable time. Prints a Markdown
 * table, writes JSON named after the card. For MSM a second table splits
 * the resident call's kernel time by phase.
 *
 *   npm run bench:gpu [-- --only msm,ntt,poseidon] [--reps N] [--device I] [--cpu off]
 */
import { cudaRuntime, encodePoints, isCudaKernels, loadKernels } from '../src/index.js';
import { loadCudaAddon } from '../src/kernels/cuda.js';
import { randomPoints } from '../test/helpers/references.js';
import { cliArg, fmt, machine, median, randomFieldBytes, table, writeResult } from './util.js';

const only = new Set((cliArg('only') ?? 'msm,ntt,poseidon').split(','));
const REPS = Number(cliArg('reps') ?? 5);
const device = Number(cliArg('device') ?? 0);
const withCpu = cliArg('cpu') !== 'off';

const runtime = cudaRuntime();
const loaded = loadCudaAddon();
if (!runtime.available || loaded instanceof Error) {
  console.error(`bench:gpu needs a CUDA device: ${runtime.reason}`);
  process.exit(1);
}
const addon = loaded;
const card = runtime.devices[device]!;
const gpu = await loadKernels({ backend: 'cuda', device, cpuBelow: 0 });
if (!isCudaKernels(gpu)) throw new Error('expected the cuda backend');
const cpu = await loadKernels({ backend: 'cpu' });

interface Row {
  kernel: string;
  log2: number;
  wallMs: number;
  kernelMs: number;
  residentMs: number | null;
  cpuMs: number | null;
  perSecond: number | null;
  /** MSM: the last resident call's kernel time by phase (digits, sort, bucket sums, window reduction). */
  phasesMs?: number[] | null;
}
const rows: Row[] = [];

/** The median device time of the kernels over the runs `fn` makes. */
async function measure(fn: () => Promise<unknown>, reps: number): Promise<{ wall: number; kernels: number }> {
  const kernels: number[] = [];
  const wall = await median(async () => {
    await fn();
    kernels.push(addon.lastKernelMs(device));
  }, reps);
  kernels.sort((a, b) => a - b);
  return { wall, kernels: kernels[kernels.length >> 1]! };
}

const cpuUpTo = withCpu ? { msm: 22, ntt: 24, poseidon: 22 } : { msm: 0, ntt: 0, poseidon: 0 };

if (only.has('msm')) {
  // 4096 distinct points, encoded once and repeated: encoding every size's
  // points one BigInt at a time would add about 8 s to the run.
  const distinct = encodePoints(randomPoints(4096).map((p) => p.toAffine()));
  // The small sizes place the threshold below which the CPU backend wins (cpuBelow).
  for (const log of [10, 11, 12, 13, 14, 16, 18, 20, 22, 24]) {
    const n = 2 ** log;
    const points = new Uint8Array(64 * n);
    for (let at = 0; at < points.length; at += distinct.length) points.set(distinct.subarray(0, Math.min(distinct.length, points.length - at)), at);
    const scalars = randomFieldBytes(n);
    const reps = log >= 22 ? 3 : REPS;
    const m = await measure(() => gpu.msm(points, scalars), reps);
    const bases = await gpu.uploadPoints(points);
    const resident = await measure(() => gpu.msm(bases, scalars), reps);
    const phasesMs = addon.lastMsmPhasesMs(device);
    await bases.release();
    const cpuMs = log <= cpuUpTo.msm ? await median(() => cpu.msm(points, scalars), 3) : null;
    rows.push({ kernel: 'MSM G1', log2: log, wallMs: m.wall, kernelMs: resident.kernels, residentMs: resident.wall, cpuMs, perSecond: null, phasesMs });
  }
}

if (only.has('ntt')) {
  for (const log of [16, 18, 20, 22, 24, 26]) {
    const values = randomFieldBytes(2 ** log);
    const reps = log >= 24 ? 3 : REPS;
    const m = await measure(() => gpu.ntt(values), reps);
    const cpuMs = log <= cpuUpTo.ntt ? await median(() => cpu.ntt(values), 3) : null;
    rows.push({ kernel: 'NTT', log2: log, wallMs: m.wall, kernelMs: m.kernels, residentMs: null, cpuMs, perSecond: null });
  }
}

if (only.has('poseidon')) {
  for (const log of [16, 18, 20, 22, 24]) {
    const n = 2 ** log;
    const inputs = randomFieldBytes(2 * n);
    const reps = log >= 22 ? 3 : REPS;
    const m = await measure(() => gpu.poseidon(inputs, 2), reps);
    const cpuMs = log <= cpuUpTo.poseidon ? await median(() => cpu.poseidon(inputs, 2), 3) : null;
    rows.push({ kernel: 'Poseidon a=2', log2: log, wallMs: m.wall, kernelMs: m.kernels, residentMs: null, cpuMs, perSecond: n / (m.kernels / 1e3) });
  }
}

console.log(`\n${card.name} (sm ${card.computeCapability}, ${card.multiprocessors} SMs), device ${device}; cpu backend on ${machine().cpu}, ${cpu.threads} threads\n`);
console.log(
  table(
    ['kernel', 'n', 'cuda wall ms', 'cuda kernels ms', 'resident wall ms', 'cpu ms', 'cpu / cuda wall', 'hashes/s (kernels)'],
    rows.map((r) => [
      r.kernel,
      `2^${r.log2}`,
      fmt(r.wallMs),
      fmt(r.kernelMs, 3),
      fmt(r.residentMs),
      fmt(r.cpuMs),
      r.cpuMs ? fmt(r.cpuMs / r.wallMs, 1) : '—',
      r.perSecond ? `${fmt(r.perSecond / 1e6, 1)} M` : '—',
    ]),
  ),
);
const phased = rows.filter((r) => r.phasesMs);
if (phased.length) {
  console.log('\nMSM kernel time by phase, resident points (last call), ms\n');
  console.log(
    table(
      ['n', 'digits', 'sort', 'bucket sums', 'window reduction', 'total'],
      phased.map((r) => [`2^${r.log2}`, ...r.phasesMs!.map((x) => fmt(x, 3)), fmt(r.phasesMs!.reduce((a, b) => a + b, 0), 3)]),
    ),
  );
}
const file = writeResult(`gpu-${card.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`, { machine: machine(), card, rows });
console.log(`\nwritten: ${file}`);
