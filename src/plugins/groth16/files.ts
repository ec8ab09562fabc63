/**
 * Readers for the iden3 binary files a circom/snarkjs toolchain produces:
 * the Groth16 proving key (`.zkey`) and the witness (`.wtns`). Both are
 * `magic, u32 version, u32 section count`, then sections of
 * `u32 id, u64 size, bytes`, all little-endian.
 */
import { GalacticError } from '../../errors.js';

const R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
const Q = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n;

function fail(file: string, what: string): never {
  throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a valid ${file} file but ${what}`);
}

/** Reads `length` bytes at `offset`: a whole file in memory, or a file on disk read piece by piece. */
export type ReadAt = (offset: number, length: number) => Uint8Array;

export const inMemory = (bytes: Uint8Array): ReadAt => (offset, length) => bytes.subarray(offset, offset + length);

/** The sections of an iden3 file (the first of each id); only those in `wanted` are read when it is given. */
export function readSections(readAt: ReadAt, size: number, magic: string, file: string, wanted?: ReadonlySet<number>): Map<number, Uint8Array> {
  const head = readAt(0, 12);
  if (size < 12 || Buffer.from(head.subarray(0, 4)).toString('latin1') !== magic) fail(file, `it does not start with "${magic}"`);
  const count = new DataView(head.buffer, head.byteOffset, 12).getUint32(8, true);
  const sections = new Map<number, Uint8Array>();
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 12 > size) fail(file, `section ${i} is cut short`);
    const header = readAt(at, 12);
    const view = new DataView(header.buffer, header.byteOffset, 12);
    const id = view.getUint32(0, true);
    const length = Number(view.getBigUint64(4, true));
    at += 12;
    if (at + length > size) fail(file, `section ${id} claims ${length} bytes past the end`);
    if (!sections.has(id) && (!wanted || wanted.has(id))) sections.set(id, readAt(at, length));
    at += length;
  }
  return sections;
}

export function leBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function section(sections: Map<number, Uint8Array>, id: number, file: string, size?: number): Uint8Array {
  const s = sections.get(id);
  if (!s) fail(file, `section ${id} is missing`);
  if (size !== undefined && s.length !== size) fail(file, `section ${id} holds ${s.length} bytes, expected ${size}`);
  return s;
}

export interface Zkey {
  nVars: number;
  nPublic: number;
  domainSize: number;
  /** Curve points as stored: coordinates in Montgomery form, 32 bytes each (G1: x‖y, G2: x.c0‖x.c1‖y.c0‖y.c1). */
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  gamma2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
  ic: Uint8Array;
  /** Raw coefficient section: u32 count, then (u32 matrix, u32 constraint, u32 signal, 32-byte value). */
  coefs: Uint8Array;
  pointsA: Uint8Array;
  pointsB1: Uint8Array;
  pointsB2: Uint8Array;
  pointsC: Uint8Array;
  pointsH: Uint8Array;
}

type KeyPart = 'nVars' | 'nPublic' | 'domainSize' | 'alpha1' | 'beta1' | 'beta2' | 'gamma2' | 'delta1' | 'delta2' | 'ic';

/** The key's header (sections 1 and 2) and its IC (section 3). */
function readKeyPart(sections: Map<number, Uint8Array>, file: string): Pick<Zkey, KeyPart> {
  const header = section(sections, 1, file);
  if (header.length < 4 || new DataView(header.buffer, header.byteOffset).getUint32(0, true) !== 1) fail(file, 'it is not a Groth16 key (protocol id 1)');
  const g = section(sections, 2, file);
  const view = new DataView(g.buffer, g.byteOffset, g.byteLength);
  let at = 0;
  const u32 = () => {
    if (at + 4 > g.length) fail(file, 'its Groth16 header is cut short');
    return (at += 4), view.getUint32(at - 4, true);
  };
  const take = (n: number) => {
    if (at + n > g.length) fail(file, 'its Groth16 header is cut short');
    return g.subarray(at, (at += n));
  };
  const n8q = u32();
  if (n8q !== 32 || leBigint(take(32)) !== Q) fail(file, 'its base field is not BN254');
  const n8r = u32();
  if (n8r !== 32 || leBigint(take(32)) !== R) fail(file, 'its scalar field is not BN254');
  const nVars = u32(), nPublic = u32(), domainSize = u32();
  if (domainSize < 2 || (domainSize & (domainSize - 1)) !== 0 || nPublic >= nVars) fail(file, `its sizes do not fit (vars ${nVars}, public ${nPublic}, domain ${domainSize})`);
  return {
    nVars,
    nPublic,
    domainSize,
    alpha1: take(64),
    beta1: take(64),
    beta2: take(128),
    gamma2: take(128),
    delta1: take(64),
    delta2: take(128),
    ic: section(sections, 3, file, (nPublic + 1) * 64),
  };
}

/** Parses a snarkjs Groth16 `.zkey` over BN254. */
export function readZkey(bytes: Uint8Array): Zkey {
  const file = '.zkey';
  const sections = readSections(inMemory(bytes), bytes.length, 'zkey', file);
  const key = readKeyPart(sections, file);
  const { nVars, nPublic, domainSize } = key;
  const zk: Zkey = {
    ...key,
    coefs: section(sections, 4, file),
    pointsA: section(sections, 5, file, nVars * 64),
    pointsB1: section(sections, 6, file, nVars * 64),
    pointsB2: section(sections, 7, file, nVars * 128),
    pointsC: section(sections, 8, file, (nVars - nPublic - 1) * 64),
    pointsH: section(sections, 9, file, domainSize * 64),
  };
  const nCoefs = zk.coefs.length >= 4 ? new DataView(zk.coefs.buffer, zk.coefs.byteOffset).getUint32(0, true) : -1;
  if (zk.coefs.length !== 4 + nCoefs * 44) fail(file, 'its coefficient section does not match its count');
  return zk;
}

export interface SnarkjsVerificationKey {
  protocol: 'groth16';
  curve: 'bn128';
  nPublic: number;
  vk_alpha_1: [string, string, string];
  vk_beta_2: [[string, string], [string, string], [string, string]];
  vk_gamma_2: [[string, string], [string, string], [string, string]];
  vk_delta_2: [[string, string], [string, string], [string, string]];
  IC: [string, string, string][];
}

/**
 * The verification key inside a `.zkey`, as snarkjs exports it, reading
 * only its first three sections (a key of gigabytes is not loaded).
 */
export function zkeyVerificationKey(readAt: ReadAt, size: number): SnarkjsVerificationKey {
  const k = readKeyPart(readSections(readAt, size, 'zkey', '.zkey', new Set([1, 2, 3])), '.zkey');
  // Coordinates are stored in Montgomery form: x·2^256 mod q.
  const rInverse = modInverse((1n << 256n) % Q, Q);
  const coordinate = (b: Uint8Array, at: number) => ((leBigint(b.subarray(at, at + 32)) * rInverse) % Q).toString();
  const g1 = (b: Uint8Array, at = 0): [string, string, string] => [coordinate(b, at), coordinate(b, at + 32), '1'];
  const g2 = (b: Uint8Array): [[string, string], [string, string], [string, string]] => [
    [coordinate(b, 0), coordinate(b, 32)],
    [coordinate(b, 64), coordinate(b, 96)],
    ['1', '0'],
  ];
  return {
    protocol: 'groth16',
    curve: 'bn128',
    nPublic: k.nPublic,
    vk_alpha_1: g1(k.alpha1),
    vk_beta_2: g2(k.beta2),
    vk_gamma_2: g2(k.gamma2),
    vk_delta_2: g2(k.delta2),
    IC: Array.from({ length: k.nPublic + 1 }, (_, i) => g1(k.ic, i * 64)),
  };
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1) [r0, r1, s0, s1] = [r1, r0 % r1, s1, s0 - (r0 / r1) * s1];
  return ((s0 % m) + m) % m;
}

/** Parses a circom `.wtns` over BN254: the witness values, 32 bytes each, standard form. */
export function readWtns(bytes: Uint8Array): { nWitness: number; values: Uint8Array } {
  const file = '.wtns';
  const sections = readSections(inMemory(bytes), bytes.length, 'wtns', file);
  const h = section(sections, 1, file);
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  if (h.length < 40 || view.getUint32(0, true) !== 32 || leBigint(h.subarray(4, 36)) !== R) fail(file, 'its field is not BN254 Fr');
  const nWitness = view.getUint32(36, true);
  return { nWitness, values: section(sections, 2, file, nWitness * 32) };
}
