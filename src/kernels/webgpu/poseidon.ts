/**
 * Host side of kernels/poseidon.wgsl: a module per width, the constants
 * (derived by the CPU addon's Grain LFSR, see docs/kernels.md) uploaded once
 * per width in Montgomery form, batches chunked to the storage binding limit,
 * Merkle roots level by level on the device.
 */
import { GalacticError } from '../../errors.js';
import { FIELD_BYTES, R, decodeFields, fieldToBytes, readField } from '../encoding.js';
import { gpuPoseidonConstants } from '../cpu.js';
import { NONE, type GpuContext } from './gpu.js';
import { modInverse } from '../bigint.js';
import { MONT_R, words } from './wgsl.js';

const BINDINGS: GPUBufferBindingType[] = ['uniform', 'read-only-storage', 'read-only-storage', 'storage', 'storage'];
const FULL_ROUNDS = 8;
const R_INV = modInverse(MONT_R, R);

interface Width {
  defines: Record<string, number>;
  constants: GPUBuffer;
}

const widths = new WeakMap<GpuContext, Map<number, Width>>();

function width(ctx: GpuContext, arity: number): Width {
  let byArity = widths.get(ctx);
  if (!byArity) widths.set(ctx, (byArity = new Map()));
  let w = byArity.get(arity);
  if (w) return w;
  const t = arity + 1;
  const values = decodeFields(gpuPoseidonConstants(arity));
  const data = new Uint32Array(8 * values.length);
  values.forEach((v, i) => data.set(words((v * MONT_R) % R), 8 * i));
  const constants = ctx.device.createBuffer({ size: data.byteLength, usage: ctx.usage.storage | ctx.usage.copyDst });
  ctx.device.queue.writeBuffer(constants, 0, data);
  // Partial rounds from the count: (8 + p)·t + t² + p·(1 + 2t − 1) + (t − 1)² + t constants.
  const p = (values.length - (FULL_ROUNDS * t + t * t + (t - 1) ** 2 + t)) / (3 * t);
  const rounds = FULL_ROUNDS + p;
  // Where each table starts in the buffer (elements): c, M, then the
  // optimised partial rounds' partial_c ‖ sparse ‖ tail ‖ after_c.
  const mAt = rounds * t;
  const partialAt = mAt + t * t;
  const sparseAt = partialAt + p;
  const tailAt = sparseAt + p * (2 * t - 1);
  const afterAt = tailAt + (t - 1) ** 2;
  w = {
    defines: { T: t, FULL: FULL_ROUNDS, PARTIAL: p, M_AT: mAt, PARTIAL_C_AT: partialAt, SPARSE_AT: sparseAt, TAIL_AT: tailAt, AFTER_AT: afterAt },
    constants,
  };
  byArity.set(arity, w);
  return w;
}

function params(count: number, base: number, mode: number, width: number): ArrayBuffer {
  return new Uint32Array([count, base, mode, width]).buffer;
}

export async function webgpuPoseidon(ctx: GpuContext, inputs: Uint8Array, arity: number, count: number): Promise<Uint8Array> {
  const w = width(ctx, arity);
  const pipeline = ctx.pipeline('poseidon', 'hash', BINDINGS, w.defines);
  const perHash = FIELD_BYTES * arity;
  const chunk = Math.max(1, Math.floor(ctx.maxBinding / perHash));
  const out = new Uint8Array(count * FIELD_BYTES);
  let firstBad = NONE;
  for (let lo = 0; lo < count; lo += chunk) {
    const m = Math.min(chunk, count - lo);
    const input = ctx.upload('poseidon.inputs', inputs.subarray(lo * perHash, (lo + m) * perHash));
    const output = ctx.storage('poseidon.outputs', m * FIELD_BYTES);
    const status = ctx.status();
    const [uniform] = ctx.uniforms('poseidon.params', [params(m, lo * arity, 0, arity + 1)]);
    const group = ctx.bindGroup(pipeline, [uniform!, w.constants, input, output, status]);
    const [hashes, failed] = await ctx.run(
      (encoder) => {
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        ctx.dispatch(pass, m);
        pass.end();
      },
      [
        { buffer: output, offset: 0, size: m * FIELD_BYTES },
        { buffer: status, offset: 0, size: 4 },
      ],
    );
    out.set(hashes!, lo * FIELD_BYTES);
    firstBad = Math.min(firstBad, new Uint32Array(failed!.buffer, failed!.byteOffset, 1)[0]!);
  }
  if (firstBad !== NONE) throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected input ${firstBad} below r but received a larger value`);
  return out;
}

export async function webgpuMerkleRoot(ctx: GpuContext, leaves: Uint8Array, n: number): Promise<Uint8Array> {
  if (leaves.length > ctx.maxBinding)
    throw new GalacticError('GAL_ERR_SIZE_LIMIT', `Expected at most ${Math.floor(ctx.maxBinding / FIELD_BYTES)} leaves on this WebGPU adapter (its largest storage binding is ${ctx.maxBinding} bytes) but received ${n}`);
  const w = width(ctx, 2);
  const enter = ctx.pipeline('poseidon', 'enter', BINDINGS, w.defines);
  const hash = ctx.pipeline('poseidon', 'hash', BINDINGS, w.defines);
  const a = ctx.upload('merkle.a', leaves);
  const b = ctx.storage('merkle.b', Math.max(FIELD_BYTES, leaves.length / 2));
  const status = ctx.status();
  const levels = Math.round(Math.log2(n));
  const slots = [params(n, 0, 1, 3)];
  for (let k = 1; k <= levels; k++) slots.push(params(n >> k, 0, 1, 3));
  const uniforms = ctx.uniforms('merkle.params', slots);
  const root = levels % 2 === 0 ? a : b;
  const [top, failed] = await ctx.run(
    (encoder) => {
      const pass = encoder.beginComputePass();
      pass.setPipeline(enter);
      // `enter` converts its `outputs` binding in place; the inputs slot is unused.
      pass.setBindGroup(0, ctx.bindGroup(enter, [uniforms[0]!, w.constants, b, a, status]));
      ctx.dispatch(pass, n);
      pass.setPipeline(hash);
      for (let k = 1; k <= levels; k++) {
        const [src, dst] = k % 2 === 1 ? [a, b] : [b, a];
        pass.setBindGroup(0, ctx.bindGroup(hash, [uniforms[k]!, w.constants, src, dst, status]));
        ctx.dispatch(pass, n >> k);
      }
      pass.end();
    },
    [
      { buffer: root, offset: 0, size: FIELD_BYTES },
      { buffer: status, offset: 0, size: 4 },
    ],
  );
  const bad = new Uint32Array(failed!.buffer, failed!.byteOffset, 1)[0]!;
  if (bad !== NONE) throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected leaf ${bad} below r but received a larger value`);
  // The root is still in Montgomery form.
  return fieldToBytes((readField(top!) * R_INV) % R);
}
