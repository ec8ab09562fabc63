/**
 * Groth16 verification over BN254 for snarkjs-format keys and proofs, on the
 * native pairing (kernels/pairing.ts): e(−A, B)·e(vk_x, γ)·e(C, δ) must equal
 * e(α, β)⁻¹, with vk_x = IC₀ + Σ sᵢ·ICᵢ (an MSM, IC₀'s scalar 1). Preparing
 * a key checks each of its points once (on the curve, G2 in the subgroup)
 * and computes e(α, β) in the same call. A key that cannot be used is the
 * verifier's problem (VerifierError); a proof that does not verify, or is
 * not even a proof, is the prover's (valid: false).
 */
import { GalacticError } from '../../errors.js';
import { createCpuKernels } from '../../kernels/cpu.js';
import { FIELD_BYTES, POINT_BYTES, Q, R, writeField } from '../../kernels/encoding.js';
import { G2_POINT_BYTES, inverseInGt, pairingProduct } from '../../kernels/pairing.js';
import type { Kernels } from '../../kernels/types.js';

export class VerifierError extends Error {}

export interface PreparedKey {
  nPublic: number;
  /** e(α, β)⁻¹: what the proof's three pairings must multiply to. */
  target: Uint8Array;
  /** γ and δ, 128 bytes each, as `pairingProduct` takes them. */
  gamma: Uint8Array;
  delta: Uint8Array;
  /** IC₀ … ICₙ, 64 bytes each. */
  ic: Uint8Array;
}

const int = (v: unknown, below: bigint): bigint => {
  if (typeof v !== 'string' || !/^\d{1,80}$/.test(v)) throw new Error(`expected a decimal string, got ${JSON.stringify(v)?.slice(0, 40)}`);
  const n = BigInt(v);
  if (n >= below) throw new Error(`${v.slice(0, 20)}… is not below ${below === Q ? 'q' : 'r'}`);
  return n;
};

/** Writes a snarkjs G1 point [x, y, "1"] (negated: −P) at out[offset…]. */
function writeG1(v: unknown, out: Uint8Array, offset: number, negate = false): void {
  if (!Array.isArray(v) || v.length !== 3 || int(v[2], Q) !== 1n) throw new Error('expected a G1 point [x, y, "1"]');
  const x = int(v[0], Q), y = int(v[1], Q);
  writeField(x, out, offset, Q);
  writeField(negate && y !== 0n ? Q - y : y, out, offset + FIELD_BYTES, Q);
}

/** Writes a snarkjs G2 point [[x0, x1], [y0, y1], ["1", "0"]] at out[offset…]. */
function writeG2(v: unknown, out: Uint8Array, offset: number): void {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((c) => Array.isArray(c) && c.length === 2)) throw new Error('expected a G2 point [[x0, x1], [y0, y1], ["1", "0"]]');
  const [x, y, z] = v as unknown[][];
  if (int(z![0], Q) !== 1n || int(z![1], Q) !== 0n) throw new Error('expected an affine G2 point');
  [x![0], x![1], y![0], y![1]].forEach((c, i) => writeField(int(c, Q), out, offset + i * FIELD_BYTES, Q));
}

/**
 * Runs a pairing product; a refused point comes back as an Error naming it
 * (`names(group, index)`), anything else is thrown as it is.
 */
async function pairOrName(g1: Uint8Array, g2: Uint8Array, names: (group: 'G1' | 'G2', i: number) => string): Promise<Uint8Array | Error> {
  try {
    return await pairingProduct(g1, g2);
  } catch (err) {
    const refused = err instanceof GalacticError && ['GAL_ERR_FIELD_RANGE', 'GAL_ERR_NOT_ON_CURVE', 'GAL_ERR_NOT_IN_SUBGROUP'].includes(err.code);
    if (!refused) throw err;
    const m = /(G[12]) point (\d+)/.exec(err.message);
    const what = err.code === 'GAL_ERR_NOT_IN_SUBGROUP' ? 'is not in the order-r subgroup' : err.code === 'GAL_ERR_NOT_ON_CURVE' ? 'is not on the curve' : 'has a coordinate not below q';
    return new Error(`${m ? names(m[1] as 'G1' | 'G2', Number(m[2])) : 'a point'} ${what}`);
  }
}

/** Checks a snarkjs verification key (verification_key.json) and prepares it. */
export async function prepareKey(json: unknown): Promise<PreparedKey> {
  const unusable = (why: string) => new VerifierError(`the verification key is unusable: ${why}`);
  const k = json as Record<string, unknown>;
  let nPublic: number;
  let g1: Uint8Array, g2: Uint8Array, pairs: number;
  try {
    if (!k || k.protocol !== 'groth16' || (k.curve !== 'bn128' && k.curve !== 'bn254')) throw new Error('not a Groth16 key over bn128');
    nPublic = Number(k.nPublic);
    if (!Number.isInteger(nPublic) || nPublic < 0 || !Array.isArray(k.IC) || k.IC.length !== nPublic + 1) throw new Error('nPublic and IC disagree');
    // One product checks every point and gives e(α, β): the pairs (α, β),
    // (ICᵢ, O) and (O, γ), (O, δ), where O (zeros) contributes one.
    pairs = nPublic + 4;
    g1 = new Uint8Array(pairs * POINT_BYTES);
    g2 = new Uint8Array(pairs * G2_POINT_BYTES);
    writeG1(k.vk_alpha_1, g1, 0);
    writeG2(k.vk_beta_2, g2, 0);
    k.IC.forEach((p, i) => writeG1(p, g1, (i + 1) * POINT_BYTES));
    writeG2(k.vk_gamma_2, g2, (pairs - 2) * G2_POINT_BYTES);
    writeG2(k.vk_delta_2, g2, (pairs - 1) * G2_POINT_BYTES);
  } catch (err) {
    throw unusable((err as Error).message);
  }
  const names = (group: 'G1' | 'G2', i: number) =>
    group === 'G1' ? (i === 0 ? 'vk_alpha_1' : `IC[${i - 1}]`) : i === 0 ? 'vk_beta_2' : i === pairs - 2 ? 'vk_gamma_2' : 'vk_delta_2';
  const alphaBeta = await pairOrName(g1, g2, names);
  if (alphaBeta instanceof Error) throw unusable(alphaBeta.message);
  return {
    nPublic,
    target: inverseInGt(alphaBeta),
    gamma: g2.slice((pairs - 2) * G2_POINT_BYTES, (pairs - 1) * G2_POINT_BYTES),
    delta: g2.slice((pairs - 1) * G2_POINT_BYTES),
    ic: g1.slice(POINT_BYTES, (nPublic + 2) * POINT_BYTES),
  };
}

let kernels: Kernels | null = null;

export async function verifyGroth16(key: PreparedKey, publicSignals: unknown, proof: unknown): Promise<{ valid: boolean; reason?: string }> {
  const notAProof = (why: string) => ({ valid: false, reason: `not a proof for this key: ${why}` });
  // The pairs (−A, B), (vk_x, γ), (C, δ).
  const g1 = new Uint8Array(3 * POINT_BYTES), g2 = new Uint8Array(3 * G2_POINT_BYTES);
  const scalars = new Uint8Array((key.nPublic + 1) * FIELD_BYTES);
  try {
    const p = proof as Record<string, unknown>;
    if (!p || typeof p !== 'object') throw new Error('not a JSON object');
    writeG1(p.pi_a, g1, 0, true);
    writeG2(p.pi_b, g2, 0);
    writeG1(p.pi_c, g1, 2 * POINT_BYTES);
    if (!Array.isArray(publicSignals) || publicSignals.length !== key.nPublic) throw new Error(`expected ${key.nPublic} public signals`);
    writeField(1n, scalars, 0);
    publicSignals.forEach((s, i) => writeField(int(s, R), scalars, (i + 1) * FIELD_BYTES));
  } catch (err) {
    return notAProof((err as Error).message);
  }
  kernels ??= createCpuKernels({ threads: 1 });
  g1.set(await kernels.msm(key.ic, scalars), POINT_BYTES);
  g2.set(key.gamma, G2_POINT_BYTES);
  g2.set(key.delta, 2 * G2_POINT_BYTES);
  const product = await pairOrName(g1, g2, (group, i) => (group === 'G2' ? 'pi_b' : i === 0 ? 'pi_a' : 'pi_c'));
  if (product instanceof Error) return notAProof(product.message);
  return Buffer.from(product).equals(key.target) ? { valid: true } : { valid: false, reason: 'the pairing check fails' };
}
