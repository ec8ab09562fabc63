/**
 * Kernel benchmark: our CPU kernels beside ffjavascript, circomlibjs and
 * @noble/curves in one process run, with each kernel's floor — the measured
 * cost of one field multiplication times the multiplications the algorithm
 * needs, divided by the threads — and the webgpu backend's time on the same
 * inputs where an adapter answers (its pipelines compiled by a warm-up call;
 * on llvmpipe that is the CPU emulating a GPU). Prints a Markdown table,
 * writes JSON.
 *
 *   npm run bench:kernels [-- --only msm,ntt,poseidon] [--reps N]
 */
import { bn254 } from '@noble/curves/bn254.js';
import { normalizeZ, pippenger } from '@noble/curves/abstract/curve.js';
import { buildBn128 } from 'ffjavascript';
import { buildPoseidon } from 'circomlibjs';
import { encodeFields, encodePoints, listBackends, loadKernels, toMontgomery, R } from '../src/index.js';
import type { WebGpuKernels } from '../src/kernels/webgpu.js';
import { requireCpuAddon } from '../src/kernels/cpu.js';
import { cliArg, fmt, machine, median, randomFieldBytes, table, writeResult } from './util.js';

const only = new Set((cliArg('only') ?? 'msm,ntt,poseidon').split(','));
const REPS = Number(cliArg('reps') ?? 5);

interface Row {
  kernel: string;
  size: string;
  oursMs: number;
  webgpuMs: number | null;
  peer: string | null;
  peerMs: number | null;
  speedup: number | null;
  floorMs: number;
  overFloor: number;
}

const addon = requireCpuAddon();
const k = await loadKernels({ backend: 'cpu' });
const T = k.threads;
const mulNs = async (f: 'q' | 'r' | 'v') => new Float64Array((await addon.fieldMulCost(f, 1_000_000)).buffer)[0]!;
const nsQ = Math.min(await mulNs('q'), await mulNs('q'));
const nsR = Math.min(await mulNs('r'), await mulNs('r'));
// Eight-lane IFMA Fr multiplication, per lane, where the CPU has it (else 0):
// the kernels' hot loops run on it, so their floors are counted in it.
const nsV = Math.min(await mulNs('v'), await mulNs('v')) || nsR;
const rows: Row[] = [];
const gpu = (await listBackends()).find((b) => b.name === 'webgpu')?.available
  ? ((await loadKernels({ backend: 'webgpu' })) as WebGpuKernels)
  : null;
const WEBGPU_REPS = 3;

/** The webgpu backend's median on the same call, or null without an adapter. */
async function onWebGpu(call: (kernels: WebGpuKernels) => Promise<unknown>): Promise<number | null> {
  return gpu ? median(() => call(gpu), WEBGPU_REPS) : null;
}

function record(kernel: string, size: string, oursMs: number, webgpuMs: number | null, peer: string | null, peerMs: number | null, floorMs: number) {
  const row = { kernel, size, oursMs, webgpuMs, peer, peerMs, speedup: peerMs ? peerMs / oursMs : null, floorMs, overFloor: oursMs / floorMs };
  rows.push(row);
  console.error(`${kernel} ${size}: ours ${fmt(oursMs)} ms, webgpu ${fmt(webgpuMs)} ms, ${peer ?? ''} ${fmt(peerMs)} ms, floor ${fmt(floorMs)} ms`);
}

const curve = await buildBn128();
try {
  if (only.has('msm')) {
    const G1 = bn254.G1.Point;
    const maxN = 2 ** 18;
    const walk = [];
    const step = G1.BASE.multiply(0x1234567890abcdefn);
    let p = G1.BASE.multiply(0xfedcba987654321n);
    for (let i = 0; i < maxN; i++) { walk.push(p); p = p.add(step); }
    const affine = normalizeZ(G1, walk);
    const allPoints = encodePoints(affine.map((q) => { const a = q.toAffine(); return { x: a.x, y: a.y }; }));
    const allScalars = randomFieldBytes(maxN);
    const allPointsMont = await toMontgomery(allPoints, 'q');
    for (const log of [12, 16, 18]) {
      const n = 2 ** log;
      const pts = allPoints.subarray(0, 64 * n), sc = allScalars.subarray(0, 32 * n);
      const ptsMont = allPointsMont.subarray(0, 64 * n);
      const ours = await median(() => k.msm(pts, sc), REPS);
      const webgpu = await onWebGpu((g) => g.msm(pts, sc));
      const ffj = await median(() => curve.G1.multiExpAffine(ptsMont, sc), log >= 18 ? 3 : REPS);
      const c = addon.msmWindowBits(n), windows = Math.ceil(255 / c);
      // Loading (5 a point), the batch additions (6 a point and window) and
      // the bucket reduction (24 a bucket) all run on the vector lanes.
      const floor = (5 * n + windows * (6 * n + 24 * 2 ** (c - 1))) * nsV / 1e6 / T;
      record('MSM G1', `2^${log}`, ours, webgpu, 'ffjavascript', ffj, floor);
      if (log === 12) {
        const sBig = Array.from({ length: n }, (_, i) => { let x = 0n; for (let b = 31; b >= 0; b--) x = (x << 8n) | BigInt(sc[32 * i + b]!); return x; });
        const noble = await median(() => pippenger(G1, affine.slice(0, n), sBig), 3);
        record('MSM G1', `2^${log}`, ours, webgpu, '@noble/curves', noble, floor);
      }
    }
  }

  if (only.has('ntt')) {
    for (const log of [16, 18, 20]) {
      const n = 2 ** log;
      const values = randomFieldBytes(n);
      const mont = await toMontgomery(values, 'r');
      const ours = await median(() => k.ntt(values), REPS);
      const webgpu = await onWebGpu((g) => g.ntt(values));
      const ffj = await median(() => curve.Fr.fft(mont), REPS);
      const muls = (n / 2) * (log - 1) + 2 * n;  // the last stage has no twiddles
      record('NTT Fr', `2^${log}`, ours, webgpu, 'ffjavascript', ffj, (muls * nsV) / 1e6 / T);
    }
  }

  if (only.has('poseidon')) {
    const poseidon = await buildPoseidon();
    const partial: Record<number, number> = { 2: 57, 16: 68 };
    for (const arity of [2, 16]) {
      const n = 2 ** 16, t = arity + 1;
      const inputs = randomFieldBytes(n * arity);
      const ours = await median(() => k.poseidon(inputs, arity), REPS);
      const webgpu = await onWebGpu((g) => g.poseidon(inputs, arity));
      const asBig: bigint[][] = [];
      for (let h = 0; h < n; h++) {
        const row: bigint[] = [];
        for (let i = 0; i < arity; i++) { let x = 0n; for (let b = 31; b >= 0; b--) x = (x << 8n) | BigInt(inputs[32 * (h * arity + i) + b]!); row.push(x % R); }
        asBig.push(row);
      }
      const peer = await median(() => { for (const row of asBig) poseidon(row); }, arity > 2 ? 1 : 3, arity > 2 ? 0 : 1);
      // Full rounds: t S-boxes (3 muls each) and a dense t×t mix; partial
      // rounds: one S-box and the sparse 2t-1 mix; one (t-1)² mix between; t conversions.
      const perHash = 8 * (3 * t + t * t) + partial[arity]! * (3 + 2 * t - 1) + (t - 1) ** 2 + t;
      record('Poseidon', `a=${arity}, 2^16 hashes`, ours, webgpu, 'circomlibjs', peer, (n * perHash * nsV) / 1e6 / T);
    }
    // The batch workload: a binary Merkle root over 2^16 leaves (2^16 - 1 hashes).
    const leaves = randomFieldBytes(2 ** 16);
    const ours = await median(() => k.poseidonMerkleRoot(leaves), REPS);
    const webgpu = await onWebGpu((g) => g.poseidonMerkleRoot(leaves));
    const leafBig = Array.from({ length: 2 ** 16 }, (_, i) => { let x = 0n; for (let b = 31; b >= 0; b--) x = (x << 8n) | BigInt(leaves[32 * i + b]!); return x; });
    const peer = await median(() => {
      let level: unknown[] = leafBig;
      while (level.length > 1) {
        const next = [];
        for (let i = 0; i < level.length; i += 2) next.push(poseidon([level[i], level[i + 1]]));
        level = next;
      }
    }, 1, 0);
    const perHash = 8 * 18 + partial[2]! * 8 + 4;
    record('Poseidon Merkle root', '2^16 leaves', ours, webgpu, 'circomlibjs', peer, ((2 ** 16 - 1) * perHash * nsV) / 1e6 / T);
  }
} finally {
  await curve.terminate();
}

const header = ['kernel', 'size', 'galactic cpu (ms)', 'galactic webgpu (ms)', 'peer', 'peer (ms)', 'speed-up', 'floor (ms)', 'ours / floor'];
const md = table(header, rows.map((r) => [r.kernel, r.size, fmt(r.oursMs), fmt(r.webgpuMs), r.peer ?? '—', fmt(r.peerMs), r.speedup ? `${fmt(r.speedup, 1)}×` : '—', fmt(r.floorMs), `${fmt(r.overFloor)}×`]));
const m = machine();
console.log(`\nKernels on ${m.cpu}, ${m.logicalCores} threads, Node ${m.node}; one Fq mul ${nsQ.toFixed(2)} ns, one Fr mul ${nsR.toFixed(2)} ns, eight-lane IFMA Fr mul ${nsV.toFixed(2)} ns a lane\n`);
if (gpu) {
  const a = gpu.adapter;
  console.log(`webgpu: ${a.device || a.description} through ${a.backend}${a.software ? ' — a software adapter: the CPU emulating a GPU, not a GPU figure' : ''}\n`);
}
console.log(md);
// A partial run (--only) writes beside the full results instead of over them.
const file = writeResult(cliArg('only') ? `kernels-${[...only].join('-')}` : 'kernels', { date: new Date().toISOString(), machine: m, threads: T, mulNs: { q: nsQ, r: nsR, rVector: nsV }, webgpuAdapter: gpu?.adapter ?? null, rows });
console.log(`\nJSON: ${file}`);
