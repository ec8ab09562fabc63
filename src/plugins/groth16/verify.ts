/**
 * Groth16 verification over BN254 for snarkjs-format keys and proofs, with
 * the pairing from @noble/curves: e(−A, B)·e(α, β)·e(vk_x, γ)·e(C, δ) = 1,
 * vk_x = IC₀ + Σ sᵢ·ICᵢ. A key that cannot be used is the verifier's
 * problem (VerifierError); a proof that does not verify, or is not even a
 * proof, is the prover's (valid: false).
 */
import { bn254 } from '@noble/curves/bn254.js';

const G1 = bn254.G1.Point;
const G2 = bn254.G2.Point;
const Fp2 = bn254.fields.Fp2;
const Fp12 = bn254.fields.Fp12;
const R = bn254.fields.Fr.ORDER;
type G1P = InstanceType<typeof G1>;
type G2P = InstanceType<typeof G2>;

export class VerifierError extends Error {}

export interface PreparedKey {
  nPublic: number;
  alpha: G1P;
  beta: G2P;
  gamma: G2P;
  delta: G2P;
  ic: G1P[];
}

const int = (v: unknown): bigint => {
  if (typeof v !== 'string' || !/^\d{1,80}$/.test(v)) throw new Error(`expected a decimal string, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return BigInt(v);
};

function g1(v: unknown): G1P {
  if (!Array.isArray(v) || v.length !== 3 || int(v[2]) !== 1n) throw new Error('expected a G1 point [x, y, "1"]');
  const p = G1.fromAffine({ x: int(v[0]), y: int(v[1]) });
  p.assertValidity();
  return p;
}

function g2(v: unknown): G2P {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((c) => Array.isArray(c) && c.length === 2)) throw new Error('expected a G2 point [[x0, x1], [y0, y1], ["1", "0"]]');
  const [x, y, z] = v as unknown[][];
  if (int(z![0]) !== 1n || int(z![1]) !== 0n) throw new Error('expected an affine G2 point');
  const p = G2.fromAffine({ x: Fp2.fromBigTuple([int(x![0]), int(x![1])]), y: Fp2.fromBigTuple([int(y![0]), int(y![1])]) });
  p.assertValidity();
  return p;
}

/** Checks a snarkjs verification key (verification_key.json) and prepares its points. */
export function prepareKey(json: unknown): PreparedKey {
  try {
    const k = json as Record<string, unknown>;
    if (!k || k.protocol !== 'groth16' || (k.curve !== 'bn128' && k.curve !== 'bn254')) throw new Error('not a Groth16 key over bn128');
    const nPublic = Number(k.nPublic);
    if (!Number.isInteger(nPublic) || nPublic < 0 || !Array.isArray(k.IC) || k.IC.length !== nPublic + 1) throw new Error('nPublic and IC disagree');
    return { nPublic, alpha: g1(k.vk_alpha_1), beta: g2(k.vk_beta_2), gamma: g2(k.vk_gamma_2), delta: g2(k.vk_delta_2), ic: k.IC.map(g1) };
  } catch (err) {
    throw new VerifierError(`the verification key is unusable: ${(err as Error).message}`);
  }
}

export function verifyGroth16(key: PreparedKey, publicSignals: unknown, proof: unknown): { valid: boolean; reason?: string } {
  let A: G1P, B: G2P, C: G1P, signals: bigint[];
  try {
    const p = proof as Record<string, unknown>;
    if (!p || typeof p !== 'object') throw new Error('not a JSON object');
    A = g1(p.pi_a);
    B = g2(p.pi_b);
    C = g1(p.pi_c);
    if (!Array.isArray(publicSignals) || publicSignals.length !== key.nPublic) throw new Error(`expected ${key.nPublic} public signals`);
    signals = publicSignals.map(int);
    if (signals.some((s) => s >= R)) throw new Error('a public signal is not below r');
  } catch (err) {
    return { valid: false, reason: `not a proof for this key: ${(err as Error).message}` };
  }
  let vkX = key.ic[0]!;
  signals.forEach((s, i) => {
    if (s !== 0n) vkX = vkX.add(key.ic[i + 1]!.multiplyUnsafe(s));
  });
  const gt = bn254.pairingBatch([
    { g1: A.negate(), g2: B },
    { g1: key.alpha, g2: key.beta },
    { g1: vkX, g2: key.gamma },
    { g1: C, g2: key.delta },
  ]);
  return Fp12.eql(gt, Fp12.ONE) ? { valid: true } : { valid: false, reason: 'the pairing check fails' };
}
