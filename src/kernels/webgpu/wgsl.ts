/**
 * Assembles the WGSL modules of kernels/: a preamble of constants computed
 * here from the moduli, the field code specialised per field, then the
 * kernel. Nothing numeric is written into the .wgsl files by hand.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inverseMod2k, mod } from '../bigint.js';
import { Q, R } from '../encoding.js';

const kernelsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'kernels');
const sources = new Map<string, string>();

function source(name: string): string {
  let text = sources.get(name);
  if (text === undefined) sources.set(name, (text = readFileSync(join(kernelsDir, name), 'utf8')));
  return text;
}

/** The shaders' Montgomery radix: twenty 13-bit limbs. */
export const MONT_R = 1n << 260n;

/** Little-endian u32 words of a 256-bit value. */
export function words(x: bigint, count = 8): number[] {
  return Array.from({ length: count }, (_, i) => Number((x >> BigInt(32 * i)) & 0xffffffffn));
}

const feLiteral = (x: bigint) => `Fe(${words(x).map((w) => `${w}u`).join(', ')})`;

function fieldPreamble(prefix: 'fq' | 'fr', p: bigint): string {
  const limbs = Array.from({ length: 20 }, (_, i) => Number((p >> BigInt(13 * i)) & 8191n));
  const np = Number(mod(-inverseMod2k(p, 13), 1n << 13n));
  return [
    `const ${prefix}_P = ${feLiteral(p)};`,
    `const ${prefix}_P13 = array<u32, 20>(${limbs.map((d) => `${d}u`).join(', ')});`,
    `const ${prefix}_NP = ${np}u;`,
    `const ${prefix}_R2 = ${feLiteral(mod(MONT_R * MONT_R, p))};`,
    `const ${prefix}_ONE = ${feLiteral(mod(MONT_R, p))};`,
    source('field.wgsl').replace(/\bF_/g, `${prefix}_`),
  ].join('\n');
}

export type ModuleName = 'msm' | 'ntt' | 'poseidon';

/** Invocations per workgroup of every kernel; GpuContext.dispatch sizes its grids with it. */
export const WORKGROUP = 64;

/** The full module text for one kernel; `defines` become WGSL constants. */
export function moduleSource(name: ModuleName, defines: Record<string, number> = {}): string {
  const parts = [
    'alias Fe = array<u32, 8>;',
    'const FE_ZERO = Fe(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u);',
    `const WG = ${WORKGROUP}u;`,
    // An invocation's index across a grid that dispatch() spilled into y.
    'fn linear_id(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }',
  ];
  for (const [key, value] of Object.entries(defines)) parts.push(`const ${key} = ${value}u;`);
  if (name === 'msm') {
    parts.push(fieldPreamble('fq', Q), `const fq_B = ${feLiteral(mod(3n * MONT_R, Q))};`, source('curve.wgsl'));
  }
  parts.push(fieldPreamble('fr', R), source(`${name}.wgsl`));
  return parts.join('\n');
}

