/**
 * Host side of kernels/msm.wgsl: chunks of points through the GPU passes
 * into one set of bucket sums, one bucket reduction after the last chunk,
 * window sums back, the Horner combination Σ_w 2^(c·w)·S_w on the CPU with
 * @noble/curves (about 254 doublings and a few dozen additions a call).
 */
import { bn254 } from '@noble/curves/bn254.js';
import { GalacticError } from '../../errors.js';
import { POINT_BYTES, Q, readField, writeField } from '../encoding.js';
import { NONE, type GpuContext } from './gpu.js';
import { modInverse } from '../bigint.js';
import { MONT_R } from './wgsl.js';

type G1Point = InstanceType<typeof bn254.G1.Point>;

/** Bits in a scalar below r; signed digits need one window more than they cover. */
const SCALAR_BITS = 254;
const MAX_WINDOW_BITS = 16;
const REDUCE_GROUPS = 64;
const SOFTWARE_LOOP_LIMIT = 65535;
// Entries one bucket_sum invocation walks: on a GPU enough to even out the
// lanes of a warp while keeping tens of thousands of invocations; on a
// software adapter (a few SIMD lanes a core) more. llvmpipe, bucket_sum of
// 65,535 points in 15-bit windows: 785 ms at one bucket an invocation (4
// entries), 567 ms at 16 entries, 448 ms at 256, 420 ms at 512; the whole
// MSM of 2^16 points (13-bit windows): 659 ms at 64 entries, 636 at 128,
// 638 at 256, 700 at 512 (too few invocations).
const ENTRIES_PER_INVOCATION = 64;
const SOFTWARE_ENTRIES_PER_INVOCATION = 256;
const MAX_BUCKET_RUN = 512;
/** Points a chunk at most: a bucket list entry has 22 bits for the point's index. */
const MAX_CHUNK = 2 ** 22;
const BINDINGS: GPUBufferBindingType[] = ['uniform', 'storage', 'read-only-storage', 'storage', 'storage', 'storage', 'storage', 'storage'];
const ENTRY_POINTS = ['prepare_points', 'count_digits', 'scan_buckets', 'scatter', 'bucket_sum', 'reduce_groups', 'combine_windows'] as const;
const R_INV_Q = modInverse(MONT_R, Q);

/** Window bits from n: total work ≈ (n + 2^c)·254/c bucket additions. */
function webgpuWindowBits(n: number, requested: number): number {
  if (requested > 0) return Math.min(requested, MAX_WINDOW_BITS);
  return Math.max(4, Math.min(MAX_WINDOW_BITS, Math.ceil(Math.log2(n)) - 3));
}

/**
 * Buckets one bucket_sum invocation walks, a power of two: enough for its
 * share of entries at this chunk's mean fill (n entries over a window's
 * buckets), at most MAX_BUCKET_RUN (a list entry has 9 bits for its place
 * in the run).
 */
function bucketRun(n: number, buckets: number, software: boolean): number {
  const entries = software ? SOFTWARE_ENTRIES_PER_INVOCATION : ENTRIES_PER_INVOCATION;
  const log = Math.round(Math.log2((entries * buckets) / n));
  return 2 ** Math.max(0, Math.min(Math.log2(Math.min(buckets, MAX_BUCKET_RUN)), log));
}

interface Shape {
  c: number;
  windows: number;
  buckets: number;
  groups: number;
}

function shape(c: number): Shape {
  const buckets = 2 ** (c - 1);
  return { c, windows: Math.floor(SCALAR_BITS / c) + 1, buckets, groups: Math.min(buckets, REDUCE_GROUPS) };
}

export async function webgpuMsm(ctx: GpuContext, points: Uint8Array, scalars: Uint8Array, n: number, requestedWindow: number): Promise<Uint8Array> {
  const s = shape(webgpuWindowBits(n, requestedWindow));
  // The largest chunk whose points (64 bytes each) and bucket lists
  // (4 bytes per point per window) each fit one storage binding.
  // llvmpipe cuts any shader loop off after 65,535 iterations, and a bucket
  // can hold every point of a chunk (equal scalars): keep its chunks below that.
  const loopLimit = ctx.adapter.software ? SOFTWARE_LOOP_LIMIT : Infinity;
  const chunk = Math.max(1, Math.min(n, Math.floor(ctx.maxBinding / POINT_BYTES), Math.floor(ctx.maxBinding / (4 * s.windows)), MAX_CHUNK, loopLimit));
  // One status buffer for the call: each check keeps its lowest failing index over all chunks.
  const statusBuffer = ctx.status();
  const chunkOf = (lo: number, hi: number) => runChunk(ctx, points.subarray(64 * lo, 64 * hi), scalars.subarray(32 * lo, 32 * hi), lo, hi === n, statusBuffer, s);
  let lo = 0;
  for (; lo + chunk < n; lo += chunk) await chunkOf(lo, lo + chunk);
  const { sums, status: failures } = (await chunkOf(lo, n))!;
  // The same order of checks, and lowest index, as the CPU backend.
  if (failures[0] !== NONE) throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected scalar ${failures[0]} to be below r but received a larger value`);
  if (failures[1] !== NONE) throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected point ${failures[1]} coordinates below q but received a larger value`);
  if (failures[2] !== NONE) throw new GalacticError('GAL_ERR_NOT_ON_CURVE', `Expected point ${failures[2]} on BN254 G1 but received a point off the curve`);
  const total = horner(sums, s);
  const out = new Uint8Array(POINT_BYTES);
  if (!total.is0()) {
    const a = total.toAffine();
    writeField(a.x, out, 0, Q);
    writeField(a.y, out, 32, Q);
  }
  return out;
}

/**
 * One chunk's passes: its points' digits summed into the buckets (the first
 * chunk sets them, later chunks add to them). After the last chunk the
 * buckets are reduced to window sums, which come back with the status words.
 */
async function runChunk(ctx: GpuContext, points: Uint8Array, scalars: Uint8Array, base: number, last: boolean, statusBuffer: GPUBuffer, s: Shape) {
  const n = points.length / POINT_BYTES;
  const cells = s.windows * s.buckets;
  const passes = last ? ENTRY_POINTS : ENTRY_POINTS.slice(0, ENTRY_POINTS.indexOf('bucket_sum') + 1);
  const pipelines = passes.map((e) => ctx.pipeline('msm', e, BINDINGS));
  const run = bucketRun(n, s.buckets, ctx.adapter.software);
  const params = new Uint32Array([n, s.c, s.windows, s.buckets, s.groups, s.buckets / s.groups, base, base > 0 ? 1 : 0, run]);
  const [uniform] = ctx.uniforms('msm.params', [params.buffer]);
  const cursor = ctx.storage('msm.cursor', 4 * cells);
  // Bucket sums, then two partial sums a group, then the window sums.
  const windowSumsAt = 128 * (cells + 2 * s.windows * s.groups);
  const sumsBuffer = ctx.storage('msm.sums', windowSumsAt + 128 * s.windows);
  const buffers = [
    uniform!,
    ctx.upload('msm.points', points),
    ctx.upload('msm.scalars', scalars),
    cursor,
    ctx.storage('msm.starts', 4 * cells),
    ctx.storage('msm.list', 4 * s.windows * n),
    sumsBuffer,
    statusBuffer,
  ];
  const group = ctx.bindGroup(pipelines[0]!, buffers);
  const threads = [n, n, 0, n, s.windows * Math.ceil(s.buckets / run), s.windows * s.groups, s.windows];
  const read = await ctx.run(
    (encoder) => {
      encoder.clearBuffer(cursor, 0, 4 * cells);
      // Zeros are infinity (ZZ = 0) for every bucket the chunks leave empty.
      if (base === 0) encoder.clearBuffer(sumsBuffer, 0, 128 * cells);
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, group);
      pipelines.forEach((p, i) => {
        pass.setPipeline(p);
        if (passes[i] === 'scan_buckets') pass.dispatchWorkgroups(s.windows);
        else ctx.dispatch(pass, threads[i]!);
      });
      pass.end();
    },
    last
      ? [
          { buffer: sumsBuffer, offset: windowSumsAt, size: 128 * s.windows },
          { buffer: statusBuffer, offset: 0, size: 12 },
        ]
      : [],
  );
  if (!last) return null;
  const [sums, status] = read;
  return { sums: sums!, status: Array.from(new Uint32Array(status!.buffer, status!.byteOffset, 3)) };
}

/** A window sum in XYZZ (Montgomery words) as a projective point: (X·ZZZ : Y·ZZ : ZZ·ZZZ). */
function toPoint(words: Uint8Array, at: number): G1Point {
  const coord = (k: number) => (readField(words, at + 32 * k) * R_INV_Q) % Q;
  const [x, y, zz, zzz] = [coord(0), coord(1), coord(2), coord(3)];
  if (zz === 0n) return bn254.G1.Point.ZERO;
  return new bn254.G1.Point((x * zzz) % Q, (y * zz) % Q, (zz * zzz) % Q);
}

function horner(sums: Uint8Array, s: Shape): G1Point {
  let acc: G1Point = bn254.G1.Point.ZERO;
  for (let w = s.windows - 1; w >= 0; w--) {
    for (let i = 0; i < s.c && !acc.is0(); i++) acc = acc.double();
    acc = acc.add(toPoint(sums, 128 * w));
  }
  return acc;
}
