/**
 * A Groth16 prover over BN254 for snarkjs proving keys, on our kernels:
 * the three inverse NTTs, three coset NTTs, four G1 MSMs, the G2 MSM and
 * the blinding (as small MSMs) run through `loadKernels`; a backend without
 * a G2 MSM borrows the CPU backend's, and the sparse and pointwise products
 * run on the CPU addon (`sparseMulFr`, `mulSubFr`). Output is snarkjs's
 * proof.json / public.json format.
 *
 * The quotient is evaluated on the odd 2n-th roots of unity (the coset
 * ω_2n·H): A, B, C are interpolated from their values on H and re-evaluated
 * there, where Z(x) = xⁿ − 1 = −2 is constant, so the zkey's H bases (which
 * fold in 1/Z) take (A·B − C) there directly as scalars.
 */
import { randomBytes } from 'node:crypto';
import { GalacticError } from '../../errors.js';
import { rootOfUnity } from '../../kernels/bigint.js';
import { R, SPARSE_RECORD_BYTES, encodeFields, fromMontgomery, loadKernels, mulSubFr, readField, sparseMulFr, type Kernels } from '../../kernels/index.js';
import { inMemory, leBigint, readZkey, zkeyVerificationKey, type SnarkjsVerificationKey, type Zkey } from './files.js';
import { prepareKey, verifyGroth16, type PreparedKey } from './verify.js';

const randomScalar = () => (leBigint(randomBytes(48)) % (R - 1n)) + 1n;
const concat = (...parts: Uint8Array[]) => Buffer.concat(parts);
const decimal = (bytes: Uint8Array, at: number) => readField(bytes, at).toString();

export interface SnarkjsProof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
  protocol: 'groth16';
  curve: 'bn128';
}

export class Groth16Prover {
  private constructor(
    readonly zkey: Zkey,
    private readonly kernels: Kernels,
    /** The key's coefficients as sparseMulFr records (values canonical). */
    private readonly coefs: Uint8Array,
    /** The backend's G2 MSM, or the CPU backend's. */
    private readonly msmG2: NonNullable<Kernels['msmG2']>,
    /** Bases and key points in standard form, as the MSM kernels take them (G1: 64 bytes, G2: 128). */
    private readonly bases: { a: Uint8Array; b1: Uint8Array; b2: Uint8Array; c: Uint8Array; h: Uint8Array },
    private readonly vk: { alpha1: Uint8Array; beta1: Uint8Array; beta2: Uint8Array; delta1: Uint8Array; delta2: Uint8Array },
    /** The key's own verification key, as snarkjs exports it (verification_key.json). */
    readonly verificationKey: SnarkjsVerificationKey,
  ) {}

  private ownKey: Promise<PreparedKey> | null = null;

  /**
   * Whether a proof verifies against the key's own verification key. Ours
   * always do for a witness that satisfies the circuit, so one that does not
   * verify means the witness does not: the requester's input, not the prover.
   */
  async verifies(result: { proof: SnarkjsProof; publicSignals: string[] }): Promise<boolean> {
    this.ownKey ??= prepareKey(this.verificationKey);
    return (await verifyGroth16(await this.ownKey, result.publicSignals, result.proof)).valid;
  }

  /** Parses and prepares a proving key once; prove() may then run many times (performance mode). */
  static async load(bytes: Uint8Array, kernels: Kernels): Promise<Groth16Prover> {
    const zk = readZkey(bytes);
    const std = async (mont: Uint8Array) => fromMontgomery(mont, 'q');
    // The key stores coefficients as c·R² (Montgomery form of c's Montgomery form): two conversions give c.
    const n = (zk.coefs.length - 4) / 44;
    const packed = new Uint8Array(n * 32);
    for (let i = 0; i < n; i++) packed.set(zk.coefs.subarray(4 + i * 44 + 12, 4 + i * 44 + 44), i * 32);
    const values = await fromMontgomery(await fromMontgomery(packed, 'r'), 'r');
    const view = new DataView(zk.coefs.buffer, zk.coefs.byteOffset, zk.coefs.byteLength);
    // The same records with canonical values, as sparseMulFr takes them.
    const coefs = new Uint8Array(n * SPARSE_RECORD_BYTES);
    for (let i = 0; i < n; i++) {
      const at = 4 + i * 44;
      const matrix = view.getUint32(at, true), constraint = view.getUint32(at + 4, true), signal = view.getUint32(at + 8, true);
      if (matrix > 1 || constraint >= zk.domainSize || signal >= zk.nVars)
        throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a valid .zkey file but coefficient ${i} points outside the circuit`);
      coefs.set(zk.coefs.subarray(at, at + 12), i * SPARSE_RECORD_BYTES);
      coefs.set(values.subarray(i * 32, i * 32 + 32), i * SPARSE_RECORD_BYTES + 12);
    }
    const vk = {
      alpha1: await std(zk.alpha1),
      beta1: await std(zk.beta1),
      beta2: await std(zk.beta2),
      delta1: await std(zk.delta1),
      delta2: await std(zk.delta2),
    };
    const bases = { a: await std(zk.pointsA), b1: await std(zk.pointsB1), b2: await std(zk.pointsB2), c: await std(zk.pointsC), h: await std(zk.pointsH) };
    const msmG2 = kernels.msmG2 ? kernels.msmG2.bind(kernels) : (await loadKernels({ backend: 'cpu' })).msmG2!;
    return new Groth16Prover(zk, kernels, coefs, msmG2, bases, vk, zkeyVerificationKey(inMemory(bytes), bytes.length));
  }

  /** Proves for a witness (nVars × 32 bytes, standard form, as in a .wtns). */
  async prove(witness: Uint8Array, progress: (fraction: number) => void = () => {}): Promise<{ proof: SnarkjsProof; publicSignals: string[] }> {
    const zk = this.zkey, k = this.kernels, n = zk.domainSize;
    if (witness.length !== zk.nVars * 32)
      throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a witness of ${zk.nVars} values for this key but received ${witness.length / 32}`);

    // A and B on H from the sparse matrices; C = A·B pointwise. The native
    // product checks every witness value; only when it refuses one is the
    // witness decoded here, to name the value in the witness's own terms.
    const ab = await sparseMulFr(this.coefs, witness, n, 2).catch((e: unknown) => {
      throw firstValueOutOfRange(witness) ?? e;
    });
    const aH = ab.subarray(0, n * 32), bH = ab.subarray(n * 32);
    const cH = await mulSubFr(aH, bH);
    progress(0.1);

    // Each of A, B, C: interpolate, then evaluate on the odd coset ω_2n·H.
    const shift = rootOfUnity(Math.log2(n) + 1);
    const odd = async (values: Uint8Array) => k.ntt(await k.ntt(values, { inverse: true }), { coset: shift });
    const [ao, bo, co] = [await odd(aH), await odd(bH), await odd(cH)];
    const h = await mulSubFr(ao, bo, co);
    progress(0.35);

    const privateScalars = witness.subarray((zk.nPublic + 1) * 32);
    const piA = await k.msm(this.bases.a, witness);
    const piB1 = await k.msm(this.bases.b1, witness);
    const piC = await k.msm(this.bases.c, privateScalars);
    const piH = await k.msm(this.bases.h, h);
    progress(0.6);
    const piB2 = await this.msmG2(this.bases.b2, witness);
    progress(0.95);

    // Blinding with fresh r, s, each combination one small MSM:
    //   A = πA + α + r·δ,  B = πB2 + β + s·δ (G2),  B1 = πB1 + β + s·δ,
    //   C = πC + πH + s·A + r·B1 − rs·δ.
    const r = randomScalar(), s = randomScalar();
    const { alpha1, beta1, beta2, delta1, delta2 } = this.vk;
    const A = await k.msm(concat(piA, alpha1, delta1), encodeFields([1n, 1n, r]));
    const B = await this.msmG2(concat(piB2, beta2, delta2), encodeFields([1n, 1n, s]));
    const B1 = await k.msm(concat(piB1, beta1, delta1), encodeFields([1n, 1n, s]));
    const C = await k.msm(concat(piC, piH, A, B1, delta1), encodeFields([1n, 1n, s, r, (R - ((r * s) % R)) % R]));

    const proof: SnarkjsProof = {
      pi_a: [decimal(A, 0), decimal(A, 32), '1'],
      pi_b: [
        [decimal(B, 0), decimal(B, 32)],
        [decimal(B, 64), decimal(B, 96)],
        ['1', '0'],
      ],
      pi_c: [decimal(C, 0), decimal(C, 32), '1'],
      protocol: 'groth16',
      curve: 'bn128',
    };
    const publicSignals = Array.from({ length: zk.nPublic }, (_, i) => String(readField(witness, (i + 1) * 32)));
    return { proof, publicSignals };
  }
}

/** The error naming the first witness value not below r, or null when every value is. */
function firstValueOutOfRange(witness: Uint8Array): GalacticError | null {
  for (let i = 0; i < witness.length / 32; i++)
    if (readField(witness, i * 32) >= R) return new GalacticError('GAL_ERR_FIELD_RANGE', `Expected witness value ${i} below r`);
  return null;
}
