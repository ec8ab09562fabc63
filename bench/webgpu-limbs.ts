/**
 * Which limb layout for the WGSL field multiplication: WGSL has only 32-bit
 * integers and no high half of a product. Measured on this machine's WebGPU
 * adapter, in one process, both checked against bigint first:
 *
 *   16-bit digits, CIOS   16×16 digit products and a carry per step — 512
 *                          products; a product plus two digits fits a u32
 *   13-bit limbs, lazy    20 limbs (R = 2^260), kernels/field.wgsl: 800
 *                          products of 26 bits accumulated without carries,
 *                          one pass of carries at the end
 *
 *   npm run bench:webgpu-limbs
 */
import { R } from '../src/kernels/encoding.js';
import { acquireContext } from '../src/kernels/webgpu/gpu.js';
import { inverseMod2k, mod, modInverse, modPow } from '../src/kernels/bigint.js';
import { MONT_R, moduleSource, words } from '../src/kernels/webgpu/wgsl.js';
import { fmt, machine, median, table, writeResult } from './util.js';

const CHAIN = 64;          // dependent multiplications per invocation
const INVOCATIONS = 2 ** 14;

/** An entry point that runs CHAIN dependent products with `mul` per invocation. */
const chain = (entry: string, mul: string) => `
@compute @workgroup_size(64)
fn ${entry}(@builtin(global_invocation_id) gid: vec3u) {
  var x: Fe;
  var y: Fe;
  for (var k = 0u; k < 8u; k++) { x[k] = data[16u * gid.x + k]; y[k] = data[16u * gid.x + 8u + k]; }
  for (var n = 0u; n < ${CHAIN}u; n++) { x = ${mul}(x, y); }
  for (var k = 0u; k < 8u; k++) { data[16u * gid.x + k] = x[k]; }
}`;

// The 16-bit variant, written here only for this comparison.
const digits16 = Array.from({ length: 16 }, (_, i) => Number((R >> BigInt(16 * i)) & 0xffffn));
const cios16 = `
const P16 = array<u32, 16>(${digits16.map((d) => `${d}u`).join(', ')});
fn mul16(a: Fe, b: Fe) -> Fe {
  var x: array<u32, 16>;
  var y: array<u32, 16>;
  for (var i = 0u; i < 8u; i++) {
    x[2u * i] = a[i] & 0xffffu;
    x[2u * i + 1u] = a[i] >> 16u;
    y[2u * i] = b[i] & 0xffffu;
    y[2u * i + 1u] = b[i] >> 16u;
  }
  var t: array<u32, 17>;
  for (var i = 0u; i < 16u; i++) {
    let xi = x[i];
    var c = 0u;
    for (var j = 0u; j < 16u; j++) {
      let s = t[j] + xi * y[j] + c;
      t[j] = s & 0xffffu;
      c = s >> 16u;
    }
    let top = t[16] + c;
    let m = (t[0] * ${Number(mod(-inverseMod2k(R, 16), 65536n))}u) & 0xffffu;
    c = (t[0] + m * P16[0]) >> 16u;
    for (var j = 1u; j < 16u; j++) {
      let s = t[j] + m * P16[j] + c;
      t[j - 1u] = s & 0xffffu;
      c = s >> 16u;
    }
    let s = (top & 0xffffu) + c;
    t[15] = s & 0xffffu;
    t[16] = (top >> 16u) + (s >> 16u);
  }
  var r: Fe;
  for (var i = 0u; i < 8u; i++) { r[i] = t[2u * i] | (t[2u * i + 1u] << 16u); }
  return fr_reduce_once(r);
}
@group(0) @binding(0) var<storage, read_write> data: array<u32>;
${chain('chain16', 'mul16')}
${chain('chain13', 'fr_mul')}`;

const ctx = await acquireContext();
const device = ctx.device;
const frModule = moduleSource('ntt').split('struct Params')[0]!;

const variants = [
  { name: '16-bit digits, CIOS', entry: 'chain16', montR: 1n << 256n },
  { name: '13-bit limbs, lazy carries (the kernels\' fr_mul)', entry: 'chain13', montR: MONT_R },
];
const code = frModule + cios16;
const perValue = 8;

const x0 = 0x1234567890abcdef1234567890abcdefn % R, y0 = 0xfedcba0987654321fedcba0987654321n % R;
const rows: { layout: string; msPerDispatch: number; nsPerMul: number }[] = [];
for (const v of variants) {
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: v.entry } });
  const data = new Uint32Array(2 * perValue * INVOCATIONS);
  for (let i = 0; i < INVOCATIONS; i++) data.set([...words(x0), ...words(y0)], 2 * perValue * i);
  const buffer = ctx.upload(`limbs.${v.entry}`, new Uint8Array(data.buffer));
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
  const run = () =>
    ctx.run(
      (encoder) => {
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(INVOCATIONS / 64);
        pass.end();
      },
      [{ buffer, offset: 0, size: 4 * perValue }],
    );
  // Correctness first: x·y^CHAIN / R^CHAIN, limb by limb (x is reloaded each run).
  device.queue.writeBuffer(buffer, 0, data);
  const [got] = await run();
  const expected = mod(x0 * modPow(y0 * modInverse(v.montR % R, R), BigInt(CHAIN), R), R);
  const gotLimbs = Array.from(new Uint32Array(got!.buffer, got!.byteOffset, perValue));
  if (gotLimbs.join() !== words(expected).join()) throw new Error(`${v.name}: wrong product`);
  const ms = await median(() => run(), 5);
  rows.push({ layout: v.name, msPerDispatch: ms, nsPerMul: (ms * 1e6) / (CHAIN * INVOCATIONS) });
  console.error(`${v.name}: ${fmt(ms)} ms`);
}
const a = ctx.adapter;
console.log(`\nField multiplication on ${a.device || a.description} (${a.backend}${a.software ? ', software' : ''}): ${INVOCATIONS} invocations × ${CHAIN} dependent products\n`);
console.log(table(['layout', 'ms a dispatch', 'ns a multiplication'], rows.map((r) => [r.layout, fmt(r.msPerDispatch), fmt(r.nsPerMul)])));
console.log(`\nJSON: ${writeResult('webgpu-limbs', { date: new Date().toISOString(), machine: machine(), adapter: a, rows })}`);
ctx.destroy();
