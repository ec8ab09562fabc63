/**
 * Every entry point of the cuda backend against the cpu backend, in one
 * process and in seconds: MSM (sizes 1 to 2^18 + 1 and a chunked 2^22 + 3,
 * every window width, skewed scalars, infinity, resident points), NTT (2^0
 * to 2^22, inverse, coset), Poseidon (arities 1–16) and Merkle roots, then
 * bad input and a call after each refusal and after release(). One line per
 * case; it never stops at the first failure and exits 1 if any failed.
 * `--small` keeps the sizes small enough for compute-sanitizer, `--ntt` runs
 * the NTT cases only (racecheck's target: the one kernel that shares memory
 * between threads).
 *
 *   npm run check:gpu [-- --small] [--ntt]
 *   compute-sanitizer --tool memcheck node --import tsx test/gpu-check.ts --small
 */
import { randomBytes } from 'node:crypto';
import { cudaRuntime, encodeFields, encodePoints, isCudaKernels, loadKernels, R, writeField } from '../src/kernels/index.js';
import { randomPoints, rng } from './helpers/references.js';

const small = process.argv.includes('--small');
const nttOnly = process.argv.includes('--ntt');
const runtime = cudaRuntime();
if (!runtime.available) {
  console.error(`check:gpu needs a CUDA device: ${runtime.reason}`);
  process.exit(1);
}
console.log(runtime.devices.map((d) => `${d.index}: ${d.name} (sm ${d.computeCapability})`).join('\n'));
const gpu = await loadKernels({ backend: 'cuda', cpuBelow: 0 });
const cpu = await loadKernels({ backend: 'cpu' });
if (!isCudaKernels(gpu)) throw new Error('expected the cuda backend');

const r = rng(5);
let failed = 0;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').slice(0, 24);
function report(ok: boolean, line: string) {
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`);
}
async function agrees(name: string, onGpu: () => Promise<Uint8Array>, onCpu: () => Promise<Uint8Array>) {
  const t = performance.now();
  try {
    const [x, y] = [await onGpu(), await onCpu()];
    const ok = Buffer.from(x).equals(Buffer.from(y));
    report(ok, `${name}${ok ? '' : `: cuda ${hex(x)}… cpu ${hex(y)}…`} (${(performance.now() - t).toFixed(0)} ms)`);
  } catch (e) {
    report(false, `${name}: threw ${(e as { code?: string }).code} ${(e as Error).message}`);
  }
}
async function refuses(name: string, call: () => Promise<unknown>, code: string, message?: RegExp) {
  const e = (await call().then(() => null, (x: unknown) => x)) as { code?: string; message?: string } | null;
  report(e?.code === code && (!message || message.test(e.message ?? '')), `${name}: ${e ? `${e.code} ${e.message}` : 'resolved'}`);
}

const base = randomPoints(512).map((p) => p.toAffine());
const points = (n: number) => encodePoints(Array.from({ length: n }, (_, i) => base[(i * 7) % base.length]!));
const edges = [0n, 1n, 2n, R - 1n, R - 2n, 1n << 253n];
const scalars = (n: number, value?: (i: number) => bigint) =>
  encodeFields(Array.from({ length: n }, (_, i) => (value ? value(i) : n > 8 && i < edges.length ? edges[i]! : r.field())));
const ANY = 1n << 256n;  // writeField's bound for values the kernels must refuse
/** Millions of scalars quickly: random bytes below 2^253 (so below r), with zeros and r − 1 spread through. */
function randomScalars(n: number): Uint8Array {
  const s = new Uint8Array(randomBytes(32 * n));
  for (let i = 0; i < n; i++) s[32 * i + 31] = s[32 * i + 31]! & 0x1f;
  for (let i = 0; i < n; i += 9973) writeField(i % 2 ? R - 1n : 0n, s, 32 * i, R);
  return s;
}

if (!nttOnly) {
  for (const n of small ? [1, 2, 3, 33, 1000, 5000] : [1, 2, 3, 33, 1000, 4096, 5000, 1 << 16, (1 << 18) + 1]) {
    const p = points(n), s = scalars(n);
    await agrees(`msm n=${n}`, () => gpu.msm(p, s), () => cpu.msm(p, s));
  }
  for (const windowBits of [8, 13, 16]) {
    const p = points(3000), s = scalars(3000);
    await agrees(`msm windowBits=${windowBits}`, () => gpu.msm(p, s, { windowBits }), () => cpu.msm(p, s));
  }
  const n = small ? 4096 : 1 << 16, p = points(n), same = r.field();
  const skews: [string, (i: number) => bigint][] = [
    ['all zero', () => 0n],
    ['all one', () => 1n],
    ['all equal', () => same],
    ['mostly zero', (i) => (i % 777 ? 0n : r.field())],
    ['all r-1', () => R - 1n],
  ];
  for (const [name, value] of skews) {
    const s = scalars(n, value);
    await agrees(`msm ${name} n=${n}`, () => gpu.msm(p, s), () => cpu.msm(p, s));
  }
  const bases = await gpu.uploadPoints(p);
  for (let round = 0; round < 2; round++) {
    const s = scalars(n);
    await agrees(`msm resident n=${n} #${round}`, () => gpu.msm(bases, s), () => cpu.msm(p, s));
  }
  await bases.release();
  const withInfinity = points(5000).fill(0, 64 * 10, 64 * 20), s = scalars(5000);
  await agrees('msm with points at infinity', () => gpu.msm(withInfinity, s), () => cpu.msm(withInfinity, s));
  if (!small) {
    // Past one chunk of 2^22 points: a second chunk of 3, through page-locked
    // staging; the same from resident points; a failure in the second chunk
    // named by its index in the whole input.
    const big = (1 << 22) + 3, p = points(big), s = randomScalars(big);
    await agrees(`msm chunked n=2^22+3`, () => gpu.msm(p, s), () => cpu.msm(p, s));
    const resident = await gpu.uploadPoints(p);
    await agrees(`msm chunked resident n=2^22+3`, () => gpu.msm(resident, s), () => cpu.msm(p, s));
    await resident.release();
    writeField(R, s, 32 * (big - 2), ANY);
    await refuses(`msm chunked, scalar ${big - 2} = r`, () => gpu.msm(p, s), 'GAL_ERR_FIELD_RANGE', new RegExp(`scalar ${big - 2} `));
  }
}

for (const log of small ? [0, 1, 2, 5, 10, 11, 12] : [0, 1, 2, 3, 5, 9, 10, 11, 12, 15, 16, 20, 21, 22]) {
  const v = scalars(2 ** log);
  for (const [name, options] of [['', {}], [' inverse', { inverse: true }], [' coset', { coset: true }], [' inverse coset', { inverse: true, coset: true }], [' coset 7', { coset: 7n }]] as const)
    await agrees(`ntt 2^${log}${name}`, () => gpu.ntt(v, options), () => cpu.ntt(v, options));
}

if (!nttOnly) {
  for (let arity = 1; arity <= 16; arity++) {
    const count = small ? 33 : 1000, v = scalars(count * arity);
    await agrees(`poseidon arity ${arity} ×${count}`, () => gpu.poseidon(v, arity), () => cpu.poseidon(v, arity));
  }
  const many = scalars(2 * (small ? 5000 : 100_003));
  await agrees(`poseidon arity 2 ×${many.length / 64}`, () => gpu.poseidon(many, 2), () => cpu.poseidon(many, 2));
  for (const log of small ? [0, 1, 2, 10] : [0, 1, 2, 10, 16, 18]) {
    const v = scalars(2 ** log);
    await agrees(`merkle root of 2^${log}`, () => gpu.poseidonMerkleRoot(v), () => cpu.poseidonMerkleRoot(v));
  }

  // Refusals name the element, and the device keeps working after them.
  const p = points(5000), s = scalars(5000);
  const badScalar = s.slice();
  writeField(R, badScalar, 32 * 4321, ANY);
  await refuses('msm scalar r', () => gpu.msm(p, badScalar), 'GAL_ERR_FIELD_RANGE');
  const offCurve = p.slice();
  offCurve[64 * 99 + 3] ^= 1;
  await refuses('msm point off the curve', () => gpu.msm(offCurve, s), 'GAL_ERR_NOT_ON_CURVE');
  const badValue = s.slice(0, 32 * 1024);
  writeField(R + 5n, badValue, 32 * 1000, ANY);
  await refuses('ntt value r + 5', () => gpu.ntt(badValue), 'GAL_ERR_FIELD_RANGE');
  await refuses('poseidon input r + 5', () => gpu.poseidon(badValue, 2), 'GAL_ERR_FIELD_RANGE');
  await agrees('msm after the refusals', () => gpu.msm(p, s), () => cpu.msm(p, s));
}
await gpu.release();
const v = scalars(4096);
await agrees('ntt after release()', () => gpu.ntt(v, { coset: true }), () => cpu.ntt(v, { coset: true }));

console.log(failed ? `check:gpu: ${failed} FAILED` : 'check:gpu: all agree');
process.exit(failed ? 1 : 0);
