/**
 * Host side of kernels/ntt.wgsl. Roots are ffjavascript's (ω_{2^28} =
 * 5^((r−1)/2^28)), so results agree bit for bit with the CPU backend.
 * Twiddle tables stay on the device per (size, direction); the short
 * two-level power tables they and coset shifts are built from are made
 * here with bigints (2·√n products).
 */
import { GalacticError } from '../../errors.js';
import { FIELD_BYTES, R, readField } from '../encoding.js';
import { NONE, type GpuContext } from './gpu.js';
import { modInverse, modPow, rootOfUnity } from '../bigint.js';
import { MONT_R, words } from './wgsl.js';

const BINDINGS: GPUBufferBindingType[] = ['uniform', 'storage', 'storage', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage'];
const PARAM_BYTES = 64;
/** Twiddle tables kept per context, oldest dropped first. */
const TWIDDLE_CACHE = 4;

/** lo[k] = g^k (k < 2^split) and hi[k] = g^(k·2^split) (k < count/2^split), Montgomery words. */
function powerTables(g: bigint, count: number): { split: number; lo: Uint8Array; hi: Uint8Array } {
  const log = Math.max(0, Math.ceil(Math.log2(Math.max(count, 1))));
  const split = Math.ceil(log / 2);
  const table = (step: bigint, length: number) => {
    const out = new Uint32Array(8 * Math.max(length, 1));
    let x = MONT_R % R;  // g^0 in Montgomery form
    for (let k = 0; k < length; k++) {
      out.set(words(x), 8 * k);
      x = (x * step) % R;
    }
    return new Uint8Array(out.buffer);
  };
  return { split, lo: table(g, 2 ** split), hi: table(modPow(g, 1n << BigInt(split), R), Math.ceil(count / 2 ** split)) };
}

function params(n: number, stride: number, split: number, scale: bigint): ArrayBuffer {
  const p = new Uint32Array(PARAM_BYTES / 4);
  p.set([n, stride, split, 0, 0, 0, 0, 0]);
  p.set(words(scale), 8);
  return p.buffer;
}

const twiddleCache = new WeakMap<GpuContext, Map<string, GPUBuffer>>();

function twiddles(ctx: GpuContext, encoder: GPUCommandEncoder, log: number, inverse: boolean, status: GPUBuffer): GPUBuffer {
  let cache = twiddleCache.get(ctx);
  if (!cache) twiddleCache.set(ctx, (cache = new Map()));
  const key = `${log}:${inverse}`;
  const have = cache.get(key);
  if (have) return have;
  const n = 2 ** log;
  const table = ctx.device.createBuffer({ size: Math.max(32, 16 * n), usage: ctx.usage.storage });
  const { split, lo, hi } = powerTables(rootOfUnity(log, inverse), n / 2);
  const pipeline = ctx.pipeline('ntt', 'make_twiddles', BINDINGS);
  const [uniform] = ctx.uniforms('ntt.twiddle-params', [params(n, 0, split, 0n)]);
  const scratch = ctx.storage('ntt.twiddle-scratch', 32);
  const group = ctx.bindGroup(pipeline, [uniform!, scratch, table, ctx.storage('ntt.twiddle-none', 32), ctx.upload('ntt.twiddle-lo', lo), ctx.upload('ntt.twiddle-hi', hi), status]);
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  ctx.dispatch(pass, n / 2);
  pass.end();
  cache.set(key, table);
  if (cache.size > TWIDDLE_CACHE) {
    const [oldest] = cache.keys();
    cache.get(oldest!)!.destroy();
    cache.delete(oldest!);
  }
  return table;
}

export async function webgpuNtt(ctx: GpuContext, values: Uint8Array, n: number, inverse: boolean, shift: Uint8Array | null): Promise<Uint8Array> {
  if (values.length > ctx.maxBinding)
    throw new GalacticError('GAL_ERR_SIZE_LIMIT', `Expected at most ${Math.floor(ctx.maxBinding / FIELD_BYTES)} values on this WebGPU adapter (its largest storage binding is ${ctx.maxBinding} bytes) but received ${n}`);
  let g: bigint | null = null;
  if (shift) {
    g = readField(shift);
    if (g >= R) throw new GalacticError('GAL_ERR_FIELD_RANGE', 'Expected coset shift below r but received a larger value');
    if (g === 0n) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', 'Expected a non-zero coset shift but received 0');
  }
  const log = Math.round(Math.log2(n));
  const a = ctx.upload('ntt.a', values);
  const b = ctx.storage('ntt.b', values.length);
  // Forward: multiply by g^i on the way in; inverse: by g^−i on the way out.
  const coset = g === null ? null : powerTables(inverse ? modInverse(g, R) : g, n);
  const split = coset?.split ?? 0;
  const lo = coset ? ctx.upload('ntt.coset-lo', coset.lo) : ctx.storage('ntt.coset-lo', 32);
  const hi = coset ? ctx.upload('ntt.coset-hi', coset.hi) : ctx.storage('ntt.coset-hi', 32);
  const scale = inverse ? modInverse(BigInt(n), R) : 1n;
  // Stages of strides 1, 2, 4 … n/2: two at a time, the last alone when log n is odd.
  const passes: { stride: number; radix: 2 | 4 }[] = [];
  for (let k = 0; k < log; k += 2) passes.push({ stride: 2 ** k, radix: k + 1 < log ? 4 : 2 });
  const slots = [params(n, 0, split, 0n)];
  for (const { stride } of passes) slots.push(params(n, stride, split, 0n));
  slots.push(params(n, 0, split, scale));
  const status = ctx.status();
  const out = passes.length % 2 === 0 ? a : b;
  const [result, failed] = await ctx.run(
    (encoder) => {
      const table = log > 0 ? twiddles(ctx, encoder, log, inverse, status) : ctx.storage('ntt.twiddle-none', 32);
      const uniforms = ctx.uniforms('ntt.params', slots);
      const group = (slot: number, src: GPUBuffer, dst: GPUBuffer) =>
        ctx.bindGroup(ctx.pipeline('ntt', 'enter', BINDINGS), [uniforms[slot]!, src, dst, table, lo, hi, status]);
      const pass = encoder.beginComputePass();
      pass.setPipeline(ctx.pipeline('ntt', coset && !inverse ? 'enter_coset' : 'enter', BINDINGS));
      pass.setBindGroup(0, group(0, a, b));
      ctx.dispatch(pass, n);
      passes.forEach(({ radix }, k) => {
        pass.setPipeline(ctx.pipeline('ntt', radix === 4 ? 'stage4' : 'stage', BINDINGS));
        pass.setBindGroup(0, k % 2 === 0 ? group(1 + k, a, b) : group(1 + k, b, a));
        ctx.dispatch(pass, n / radix);
      });
      pass.setPipeline(ctx.pipeline('ntt', coset && inverse ? 'leave_coset' : 'leave', BINDINGS));
      pass.setBindGroup(0, group(1 + passes.length, out, out === a ? b : a));
      ctx.dispatch(pass, n);
      pass.end();
    },
    [
      { buffer: out, offset: 0, size: values.length },
      { buffer: status, offset: 0, size: 4 },
    ],
  );
  const bad = new Uint32Array(failed!.buffer, failed!.byteOffset, 1)[0]!;
  if (bad !== NONE) throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected value ${bad} below r but received a larger value`);
  return result!;
}
