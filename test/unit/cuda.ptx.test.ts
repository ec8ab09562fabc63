/**
 * The GPU's field arithmetic (native/include/gal/field_ptx.h) is PTX
 * carry-chain assembly that only a GPU executes. Its asm texts are run here
 * through an interpreter of the few instructions they use, with PTX's
 * semantics (32-bit words, one carry flag), against BigInt arithmetic. The
 * interpreter refuses a carry that an instruction without .cc would drop, so
 * the header's claim that the ninth word never overflows is checked too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inverseMod2k, mod, modInverse } from '../../src/kernels/bigint.js';
import { Q, R } from '../../src/kernels/index.js';
import { rng } from '../helpers/references.js';

const header = readFileSync(new URL('../../native/include/gal/field_ptx.h', import.meta.url), 'utf8');

/** The instructions of a GAL_PTX_* macro, one per line. */
function macro(name: string): string[] {
  const body = header.match(new RegExp(`#define ${name} \\\\\\n((?:\\s*".*"(?: \\\\)?\\n)+)`));
  if (!body) throw new Error(`${name} not found in field_ptx.h`);
  const text = [...body[1]!.matchAll(/"(.*)"/g)].map((m) => m[1]!.replace(/\\n|\\t/g, ' ')).join(' ');
  return text.split(';').map((s) => s.replace(/^\s*\{?\s*/, '').trim()).filter((s) => s && s !== '}' && !s.startsWith('.reg'));
}

const WORD = 0xffffffffn;

/**
 * Runs PTX instructions over registers named %0, %1 … (and locals). Unless
 * `wraps`, a carry out of an instruction without .cc is an error.
 */
function execute(program: string[], regs: Map<string, bigint>, wraps = false): void {
  let carry = 0n;
  for (const line of program) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join('').split(',');
    const value = (a: string) => (/^\d+$/.test(a) ? BigInt(a) : regs.get(a) ?? (() => { throw new Error(`${a} read before written in "${line}"`); })());
    const parts = op!.split('.');
    const setsCarry = parts.includes('cc');
    let result: bigint;
    switch (parts[0]) {
      case 'mad':
      case 'madc': {
        const product = value(args[1]!) * value(args[2]!);
        const half = parts[1] === 'lo' ? product & WORD : product >> 32n;
        result = half + value(args[3]!) + (parts[0] === 'madc' ? carry : 0n);
        break;
      }
      case 'mul':
        expect(parts[1]).toBe('lo');
        result = (value(args[1]!) * value(args[2]!)) & WORD;
        break;
      case 'add':
      case 'addc':
        result = value(args[1]!) + value(args[2]!) + (parts[0] === 'addc' ? carry : 0n);
        break;
      case 'sub':
      case 'subc':
        result = value(args[1]!) - value(args[2]!) - (parts[0] === 'subc' ? carry : 0n);
        break;
      default:
        throw new Error(`unknown instruction ${op}`);
    }
    const out = result & WORD;
    if (setsCarry) carry = parts[0]!.startsWith('sub') ? (result < 0n ? 1n : 0n) : result >> 32n;
    else if (!wraps && parts[0] !== 'mul' && parts[0] !== 'subc' && result !== out) throw new Error(`"${line}" dropped a carry`);
    regs.set(args[0]!, out);
  }
}

const words = (x: bigint) => Array.from({ length: 8 }, (_, i) => (x >> BigInt(32 * i)) & WORD);
const join = (w: bigint[]) => w.reduce((acc, v, i) => acc | (v << BigInt(32 * i)), 0n);
function bind(first: number, values: bigint[], regs: Map<string, bigint>) {
  values.forEach((v, i) => regs.set(`%${first + i}`, v));
}
function read(first: number, count: number, regs: Map<string, bigint>): bigint[] {
  return Array.from({ length: count }, (_, i) => regs.get(`%${first + i}`)!);
}

const step = macro('GAL_PTX_MONT_STEP'), add8 = macro('GAL_PTX_ADD8'), sub8 = macro('GAL_PTX_SUB8');

function sub(a: bigint, b: bigint): { diff: bigint; wrapped: bigint } {
  const regs = new Map<string, bigint>();
  bind(9, words(a), regs);
  bind(17, words(b), regs);
  execute(sub8, regs);
  return { diff: join(read(0, 8, regs)), wrapped: regs.get('%8')! };
}
function add(a: bigint, b: bigint, wraps = false): bigint {
  const regs = new Map<string, bigint>();
  bind(8, words(a), regs);
  bind(16, words(b), regs);
  execute(add8, regs, wraps);
  return join(read(0, 8, regs));
}
// As Field::reduced, add_device, sub_device and mul_device compose them.
function reduced(x: bigint, p: bigint): bigint {
  const { diff, wrapped } = sub(x, p);
  return wrapped ? x : diff;
}
const addMod = (a: bigint, b: bigint, p: bigint) => reduced(add(a, b), p);
function subMod(a: bigint, b: bigint, p: bigint): bigint {
  const { diff, wrapped } = sub(a, b);
  return add(diff, p & (wrapped ? (1n << 256n) - 1n : 0n), true);  // a − b + 2^256 + p wraps back below p
}
function montMul(a: bigint, b: bigint, p: bigint): bigint {
  const inv = (1n << 32n) - inverseMod2k(p & WORD, 32);
  let t = Array<bigint>(9).fill(0n);
  for (const bi of words(b)) {
    const regs = new Map<string, bigint>();
    bind(0, t, regs);
    bind(9, words(a), regs);
    regs.set('%17', bi);
    bind(18, words(p), regs);
    regs.set('%26', inv);
    execute(step, regs);
    expect(regs.get('%0')).toBe(0n);
    t = [...read(1, 8, regs), 0n];
  }
  const x = join(t);
  expect(x < 2n * p).toBe(true);
  return reduced(x, p);
}
describe('the GPU field arithmetic (PTX, interpreted)', () => {
  const r = rng(31);
  for (const [name, p] of [['Fq', Q], ['Fr', R]] as const) {
    const rInv = modInverse((1n << 256n) % p, p);
    const values = [0n, 1n, 2n, p - 1n, p - 2n, (1n << 253n) - 1n, WORD, ...Array.from({ length: 200 }, () => r.field(p))];
    it(`${name}: Montgomery products, sums and differences on edge and random values`, () => {
      for (let i = 0; i < values.length; i++) {
        const a = values[i]!, b = values[(i * 7 + 3) % values.length]!;
        expect(montMul(a, b, p)).toBe(mod(a * b * rInv, p));
        expect(montMul(a, a, p)).toBe(mod(a * a * rInv, p));
        expect(addMod(a, b, p)).toBe(mod(a + b, p));
        expect(subMod(a, b, p)).toBe(mod(a - b, p));
        expect(subMod(b, a, p)).toBe(mod(b - a, p));
      }
    });
  }

  it('the interpreter catches a dropped carry and a wrong chain', () => {
    // A step whose last high word is written without its carry-in would be wrong:
    const broken = step.map((l) => l.replace(/^madc\.hi\.u32 %8, m/, 'mad.hi.u32 %8, m'));
    expect(broken).not.toEqual(step);
    const regs = new Map<string, bigint>();
    bind(0, Array(9).fill(0n), regs);
    bind(9, words(R - 1n), regs);
    regs.set('%17', WORD);
    bind(18, words(R), regs);
    regs.set('%26', (1n << 32n) - inverseMod2k(R & WORD, 32));
    const good = new Map(regs);
    execute(step, good);
    execute(broken, regs);
    expect(read(0, 9, regs)).not.toEqual(read(0, 9, good));
    expect(() => execute(['add.u32 %0, %1, %2'], new Map([['%1', WORD], ['%2', 1n]]))).toThrow(/dropped a carry/);
  });
});
