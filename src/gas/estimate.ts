/**
 * Gas estimates: of kernel calls, of Groth16 proving for a circom circuit
 * (from its .r1cs header), and of a computation graph (the sum of its ops'
 * workloads). Price = P_gas × Gas.
 */
import { z } from 'zod';
import { GalacticError, invalidArgument } from '../errors.js';
import { POSEIDON_MAX_ARITY, msmPlan, nttGas, poseidonGas } from './table.js';

export interface GasItem {
  what: string;
  size: number;
  count: number;
  gas: number;
}

export interface GasEstimate {
  items: GasItem[];
  total: number;
}

export interface Workload {
  msm?: number[];
  msmG2?: number[];
  ntt?: number[];
  /** [hashes, arity] pairs. */
  poseidon?: [number, number][];
}

const MAX_SIZE = 2 ** 32;

function checkSize(value: unknown, name: string, powerOfTwo = false): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_SIZE)
    throw invalidArgument(`an integer from 1 to 2^32`, name, value, 'GAL_ERR_SIZE_LIMIT');
  if (powerOfTwo && (value & (value - 1)) !== 0 && value !== MAX_SIZE)
    throw invalidArgument('a power of two', name, value, 'GAL_ERR_NTT_SIZE');
  return value;
}

function total(items: GasItem[]): GasEstimate {
  return { items, total: items.reduce((s, i) => s + i.gas, 0) };
}

export function estimateWorkload(w: Workload): GasEstimate {
  if (w === null || typeof w !== 'object') throw invalidArgument('a workload object', 'workload', w);
  for (const key of ['msm', 'msmG2', 'ntt', 'poseidon'] as const)
    if (w[key] !== undefined && !Array.isArray(w[key])) throw invalidArgument('an array', `workload.${key}`, w[key]);
  const items: GasItem[] = [];
  for (const n of w.msm ?? []) items.push({ what: 'msm-g1', size: checkSize(n, 'msm'), count: 1, gas: msmPlan(n).gas });
  for (const n of w.msmG2 ?? []) items.push({ what: 'msm-g2', size: checkSize(n, 'msmG2'), count: 1, gas: msmPlan(n, 'g2').gas });
  for (const n of w.ntt ?? []) items.push({ what: 'ntt', size: checkSize(n, 'ntt', true), count: 1, gas: nttGas(n) });
  for (const pair of w.poseidon ?? []) {
    if (!Array.isArray(pair) || pair.length !== 2) throw invalidArgument('a [hashes, arity] pair', 'workload.poseidon', pair);
    const [count, arity] = pair;
    checkSize(count, 'poseidon hashes');
    if (!Number.isInteger(arity) || arity < 1 || arity > POSEIDON_MAX_ARITY)
      throw new GalacticError('GAL_ERR_ARITY', `Expected an integer from 1 to ${POSEIDON_MAX_ARITY} for poseidon arity but received ${arity}`);
    items.push({ what: `poseidon-${arity}`, size: arity, count, gas: count * poseidonGas(arity) });
  }
  return total(items);
}

export interface R1csHeader {
  primeBytes: number;
  prime: bigint;
  nWires: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nLabels: bigint;
  nConstraints: number;
}

/** Reads the header section of a circom .r1cs file (format version 1). */
export function readR1csHeader(bytes: Uint8Array): R1csHeader {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('the bytes of an .r1cs file', 'bytes', bytes);
  const bad = (why: string) => new GalacticError('GAL_ERR_R1CS', `Expected a circom .r1cs file but ${why}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (offset: number, size: number) => {
    if (offset + size > bytes.length) throw bad(`it ends at byte ${bytes.length}, inside a section`);
  };
  need(0, 12);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'r1cs') throw bad('its first four bytes are not "r1cs"');
  const version = view.getUint32(4, true);
  if (version !== 1) throw bad(`it has format version ${version} (1 is known)`);
  const sections = view.getUint32(8, true);
  let offset = 12;
  for (let i = 0; i < sections; i++) {
    need(offset, 12);
    const type = view.getUint32(offset, true);
    const size = view.getBigUint64(offset + 4, true);
    offset += 12;
    if (size > BigInt(bytes.length - offset)) throw bad(`section ${i} claims ${size} bytes, past the end of the file`);
    if (type === 1) {
      need(offset, 4);
      const n8 = view.getUint32(offset, true);
      if (n8 === 0 || n8 > 64 || n8 % 8) throw bad(`its field size is ${n8} bytes`);
      need(offset, 4 + n8 + 28);
      let prime = 0n;
      for (let b = n8 - 1; b >= 0; b--) prime = (prime << 8n) | BigInt(bytes[offset + 4 + b]!);
      let o = offset + 4 + n8;
      const u32 = () => {
        const v = view.getUint32(o, true);
        o += 4;
        return v;
      };
      const nWires = u32(), nPubOut = u32(), nPubIn = u32(), nPrvIn = u32();
      const nLabels = view.getBigUint64(o, true);
      o += 8;
      const nConstraints = u32();
      return { primeBytes: n8, prime, nWires, nPubOut, nPubIn, nPrvIn, nLabels, nConstraints };
    }
    offset += Number(size);
  }
  throw bad('it has no header section');
}

/**
 * Groth16 proving as snarkjs does it: the domain is the next power of two
 * ≥ constraints + public signals + 1; three inverse NTTs and three coset
 * NTTs over it; MSMs in G1 for A, B1 and C over the wires (C without the
 * public ones) and for H over the domain; one in G2 for B2.
 */
export function estimateGroth16(h: R1csHeader): GasEstimate & { domain: number } {
  for (const key of ['nWires', 'nPubOut', 'nPubIn', 'nConstraints'] as const)
    if (!Number.isInteger(h?.[key]) || h[key] < 0 || h[key] > MAX_SIZE) throw invalidArgument('a count from an .r1cs header', key, h?.[key], 'GAL_ERR_R1CS');
  const nPublic = h.nPubOut + h.nPubIn;
  let domain = 1;
  while (domain < h.nConstraints + nPublic + 1) domain *= 2;
  const items: GasItem[] = [
    { what: 'ntt (3 inverse, 3 coset)', size: domain, count: 6, gas: 6 * nttGas(domain) },
    { what: 'msm-g1 A, B1', size: h.nWires, count: 2, gas: 2 * msmPlan(h.nWires).gas },
    { what: 'msm-g1 C', size: h.nWires - nPublic - 1, count: 1, gas: msmPlan(Math.max(0, h.nWires - nPublic - 1)).gas },
    { what: 'msm-g1 H', size: domain, count: 1, gas: msmPlan(domain).gas },
    { what: 'msm-g2 B2', size: h.nWires, count: 1, gas: msmPlan(h.nWires, 'g2').gas },
  ];
  return { ...total(items), domain };
}

const WorkloadSchema = z
  .object({
    msm: z.array(z.number().int().positive()).optional(),
    msmG2: z.array(z.number().int().positive()).optional(),
    ntt: z.array(z.number().int().positive()).optional(),
    poseidon: z.array(z.tuple([z.number().int().positive(), z.number().int().positive()])).optional(),
  })
  .strict();

const GraphForGasSchema = z.object({
  ops: z.array(z.object({ id: z.string(), workload: WorkloadSchema.optional() })).min(1),
});

/** Sums the workloads of a graph's ops (PROTOCOL.md §3); ops without one cost nothing. */
export function estimateGraph(graph: unknown): GasEstimate & { perOp: { id: string; gas: number }[] } {
  const parsed = GraphForGasSchema.safeParse(graph);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: '/' + i.path.join('/'), code: i.code, message: i.message }));
    throw new GalacticError(
      'GAL_ERR_GRAPH_INVALID',
      `Expected a graph with ops and valid workloads but found ${problems.length} problem(s): ${problems[0]!.path} ${problems[0]!.message}`,
      { problems },
    );
  }
  const items: GasItem[] = [];
  const perOp = parsed.data.ops.map((op) => {
    const e = estimateWorkload(op.workload ?? {});
    items.push(...e.items.map((i) => ({ ...i, what: `${op.id}: ${i.what}` })));
    return { id: op.id, gas: e.total };
  });
  return { ...total(items), perOp };
}

/** P = P_gas × Gas. */
export function price(gas: number, pGas: number): number {
  if (typeof gas !== 'number' || !(gas >= 0)) throw invalidArgument('a non-negative number', 'gas', gas);
  if (typeof pGas !== 'number' || !(pGas >= 0) || !Number.isFinite(pGas)) throw invalidArgument('a non-negative number', 'pGas', pGas);
  return gas * pGas;
}
