/**
 * Host side of kernels/msm.wgsl: chunks of points through the GPU passes,
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
const BINDINGS: GPUBufferBindingType[] = ['uniform', 'storage', 'read-only-storage', 'storage', 'storage', 'storage', 'storage', 'storage'];
const ENTRY_POINTS = ['prepare_points', 'count_digits', 'scan_buckets', 'scatter', 'bucket_sum', 'reduce_groups', 'combine_windows'] as const;
const R_INV_Q = modInverse(MONT_R, Q);

/** Window bits from n: total work ≈ (n + 2^c)·254/c bucket additions. */
function webgpuWindowBits(n: number, requested: number): number {
  if (requested > 0) return Math.min(requested, MAX_WINDOW_BITS);
  return Math.max(4, Math.min(MAX_WINDOW_BITS, Math.ceil(Math.log2(n)) - 3));
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
  const chunk = Math.max(1, Math.min(n, Math.floor(ctx.maxBinding / POINT_BYTES), Math.floor(ctx.maxBinding / (4 * s.windows)), 2 ** 22, loopLimit));
  const failures = [NONE, NONE, NONE];
  let total: G1Point = bn254.G1.Point.ZERO;
  for (let lo = 0; lo < n; lo += chunk) {
    const hi = Math.min(n, lo + chunk);
    const { sums, status } = await runChunk(ctx, points.subarray(64 * lo, 64 * hi), scalars.subarray(32 * lo, 32 * hi), lo, s);
    status.forEach((v, i) => (failures[i] = Math.min(failures[i]!, v)));
    total = total.add(horner(sums, s));
  }
  // The same order of checks, and lowest index, as the CPU backend.
  if (failures[0] !== NONE) throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected scalar ${failures[0]} to be below r but received a larger value`);
  if (failures[1] !== NONE) throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected point ${failures[1]} coordinates below q but received a larger value`);
  if (failures[2] !== NONE) throw new GalacticError('GAL_ERR_NOT_ON_CURVE', `Expected point ${failures[2]} on BN254 G1 but received a point off the curve`);
  const out = new Uint8Array(POINT_BYTES);
  if (!total.is0()) {
    const a = total.toAffine();
    writeField(a.x, out, 0, Q);
    writeField(a.y, out, 32, Q);
  }
  return out;
}

async function runChunk(ctx: GpuContext, points: Uint8Array, scalars: Uint8Array, base: number, s: Shape) {
  const n = points.length / POINT_BYTES;
  const cells = s.windows * s.buckets;
  const pipelines = ENTRY_POINTS.map((e) => ctx.pipeline('msm', e, BINDINGS));
  const params = new Uint32Array([n, s.c, s.windows, s.buckets, s.groups, s.buckets / s.groups, base, 0]);
  const [uniform] = ctx.uniforms('msm.params', [params.buffer]);
  const cursor = ctx.storage('msm.cursor', 4 * cells);
  // Bucket sums, then two partial sums a group, then the window sums.
  const windowSumsAt = 128 * (cells + 2 * s.windows * s.groups);
  const sumsBuffer = ctx.storage('msm.sums', windowSumsAt + 128 * s.windows);
  const statusBuffer = ctx.status();
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
  const threads = [n, n, 0, n, cells, s.windows * s.groups, s.windows];
  const [sums, status] = await ctx.run(
    (encoder) => {
      encoder.clearBuffer(cursor, 0, 4 * cells);
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, group);
      pipelines.forEach((p, i) => {
        pass.setPipeline(p);
        if (ENTRY_POINTS[i] === 'scan_buckets') pass.dispatchWorkgroups(s.windows);
        else ctx.dispatch(pass, threads[i]!);
      });
      pass.end();
    },
    [
      { buffer: sumsBuffer, offset: windowSumsAt, size: 128 * s.windows },
      { buffer: statusBuffer, offset: 0, size: 12 },
    ],
  );
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
