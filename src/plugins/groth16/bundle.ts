/**
 * The continuation bundle a `zkp-aggregation` task outputs: the segments'
 * Groth16 proofs and public signals, checked to chain (each segment's start
 * is the previous one's end), and a Poseidon commitment to all of them.
 * This is a bundle of verified proofs, not recursive aggregation.
 */
import { encodeFields, readField, type Kernels } from '../../kernels/index.js';
import { verifyGroth16, type PreparedKey } from './verify.js';

export const BUNDLE_KIND = 'galactic/continuation-bundle/1';
const R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;

export interface Segment {
  op: string;
  proof: { pi_a: string[]; pi_b: string[][]; pi_c: string[] };
  /** [end, start, offset]: the segment circuit's public signals. */
  publicSignals: string[];
}

export interface Bundle {
  kind: typeof BUNDLE_KIND;
  segments: Segment[];
  start: string;
  end: string;
  commitment: string;
}

/** Every segment's proof verifies and the segments chain; returns why not, or null. */
export async function checkSegments(key: PreparedKey, segments: Segment[]): Promise<string | null> {
  if (!Array.isArray(segments) || segments.length === 0) return 'no segments';
  for (const [i, s] of segments.entries()) {
    const v = await verifyGroth16(key, s.publicSignals, s.proof);
    if (!v.valid) return `segment ${s.op}: ${v.reason}`;
    if (i > 0 && s.publicSignals[1] !== segments[i - 1]!.publicSignals[0])
      return `segment ${s.op} starts at ${s.publicSignals[1]}, not where ${segments[i - 1]!.op} ended (${segments[i - 1]!.publicSignals[0]})`;
  }
  return null;
}

/** Poseidon(…Poseidon(Poseidon(0, x₀), x₁)…) over every proof coordinate and public signal, reduced mod r. */
export async function commitment(kernels: Kernels, segments: Segment[]): Promise<string> {
  const xs: bigint[] = [];
  for (const s of segments) {
    const { pi_a, pi_b, pi_c } = s.proof;
    for (const v of [pi_a[0], pi_a[1], ...pi_b[0]!, ...pi_b[1]!, pi_c[0], pi_c[1], ...s.publicSignals]) xs.push(BigInt(v!) % R);
  }
  let c = 0n;
  for (const x of xs) c = readField(await kernels.poseidon(encodeFields([c, x]), 2));
  return c.toString();
}
