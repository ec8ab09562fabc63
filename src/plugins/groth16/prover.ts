/**
 * A Groth16 prover over BN254 for snarkjs proving keys, on our kernels:
 * the three inverse NTTs, three coset NTTs, four G1 MSMs and the G2 MSM
 * run through `loadKernels` (a backend without a G2 MSM falls back to
 * @noble/curves for it); the final few point operations use @noble/curves. Output is snarkjs's proof.json / public.json format.
 *
 * The quotient is evaluated on the odd 2n-th roots of unity (the coset
 * ω_2n·H): A, B, C are interpolated from their values on H and re-evaluated
 * there, where Z(x) = xⁿ − 1 = −2 is constant, so the zkey's H bases (which
 * fold in 1/Z) take (A·B − C) there directly as scalars.
 */
import { randomBytes } from 'node:crypto';
import { pippenger } from '@noble/curves/abstract/curve.js';
import { bn254 } from '@noble/curves/bn254.js';
import { GalacticError } from '../../errors.js';
import { encodeFields, fromMontgomery, readField, writeField, type Kernels } from '../../kernels/index.js';
import { leBigint, readZkey, type Zkey } from './files.js';

const R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
const G1 = bn254.G1.Point;
const G2 = bn254.G2.Point;
type G1P = InstanceType<typeof G1>;
type G2P = InstanceType<typeof G2>;
const Fp2 = bn254.fields.Fp2;

/** ω of order 2^k, as ffjavascript defines it (5^((r−1)/2^28), squared down). */
function rootOfUnity(log2n: number): bigint {
  let w = modPow(5n, (R - 1n) >> 28n, R);
  for (let k = 28; k > log2n; k--) w = (w * w) % R;
  return w;
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

/** A G2 point from 128 standard-form bytes (x.c0‖x.c1‖y.c0‖y.c1; zeros: infinity). */
function toG2(std: Uint8Array, at = 0): G2P {
  const [x0, x1, y0, y1] = [0, 1, 2, 3].map((i) => readField(std, at + 32 * i));
  if (x0 === 0n && x1 === 0n && y0 === 0n && y1 === 0n) return G2.ZERO;
  return G2.fromAffine({ x: Fp2.fromBigTuple([x0!, x1!]), y: Fp2.fromBigTuple([y0!, y1!]) });
}

const randomScalar = () => (leBigint(randomBytes(48)) % (R - 1n)) + 1n;

export interface SnarkjsProof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
  protocol: 'groth16';
  curve: 'bn128';
}

interface Coef {
  matrix: number;
  constraint: number;
  signal: number;
  value: bigint;
}

export class Groth16Prover {
  private constructor(
    readonly zkey: Zkey,
    private readonly kernels: Kernels,
    private readonly coefs: Coef[],
    /** G1 bases in standard form, as our MSM takes them. */
    private readonly bases: { a: Uint8Array; b1: Uint8Array; c: Uint8Array; h: Uint8Array },
    /** B2 bases: standard-form bytes for the G2 MSM kernel, or points for the fallback. */
    private readonly b2: { bytes: Uint8Array; points: G2P[] | null },
    private readonly vk: { alpha1: G1P; beta1: G1P; beta2: G2P; delta1: G1P; delta2: G2P },
  ) {}

  /** Parses and prepares a proving key once; prove() may then run many times (performance mode). */
  static async load(bytes: Uint8Array, kernels: Kernels): Promise<Groth16Prover> {
    const zk = readZkey(bytes);
    const g1 = async (mont: Uint8Array) => fromMontgomery(mont, 'q');
    const toG1 = (std: Uint8Array): G1P => {
      const x = readField(std, 0), y = readField(std, 32);
      return x === 0n && y === 0n ? G1.ZERO : G1.fromAffine({ x, y });
    };
    // The key stores coefficients as c·R² (Montgomery form of c's Montgomery form): two conversions give c.
    const n = (zk.coefs.length - 4) / 44;
    const packed = new Uint8Array(n * 32);
    for (let i = 0; i < n; i++) packed.set(zk.coefs.subarray(4 + i * 44 + 12, 4 + i * 44 + 44), i * 32);
    const values = await fromMontgomery(await fromMontgomery(packed, 'r'), 'r');
    const view = new DataView(zk.coefs.buffer, zk.coefs.byteOffset, zk.coefs.byteLength);
    const coefs: Coef[] = [];
    for (let i = 0; i < n; i++) {
      const at = 4 + i * 44;
      const coef = { matrix: view.getUint32(at, true), constraint: view.getUint32(at + 4, true), signal: view.getUint32(at + 8, true), value: readField(values, i * 32) };
      if (coef.matrix > 1 || coef.constraint >= zk.domainSize || coef.signal >= zk.nVars)
        throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a valid .zkey file but coefficient ${i} points outside the circuit`);
      coefs.push(coef);
    }
    const b2std = await g1(zk.pointsB2);
    const b2 = { bytes: b2std, points: kernels.msmG2 ? null : Array.from({ length: zk.nVars }, (_, i) => toG2(b2std, i * 128)) };
    const vk = {
      alpha1: toG1(await g1(zk.alpha1)),
      beta1: toG1(await g1(zk.beta1)),
      beta2: toG2(await g1(zk.beta2)),
      delta1: toG1(await g1(zk.delta1)),
      delta2: toG2(await g1(zk.delta2)),
    };
    const bases = { a: await g1(zk.pointsA), b1: await g1(zk.pointsB1), c: await g1(zk.pointsC), h: await g1(zk.pointsH) };
    return new Groth16Prover(zk, kernels, coefs, bases, b2, vk);
  }

  /** Proves for a witness (nVars × 32 bytes, standard form, as in a .wtns). */
  async prove(witness: Uint8Array, progress: (fraction: number) => void = () => {}): Promise<{ proof: SnarkjsProof; publicSignals: string[] }> {
    const zk = this.zkey, k = this.kernels, n = zk.domainSize;
    if (witness.length !== zk.nVars * 32)
      throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a witness of ${zk.nVars} values for this key but received ${witness.length / 32}`);
    const w: bigint[] = new Array(zk.nVars);
    for (let i = 0; i < zk.nVars; i++) {
      w[i] = readField(witness, i * 32);
      if (w[i]! >= R) throw new GalacticError('GAL_ERR_FIELD_RANGE', `Expected witness value ${i} below r`);
    }

    // A and B on H from the sparse matrices; C = A·B pointwise.
    const a = new Array<bigint>(n).fill(0n), b = new Array<bigint>(n).fill(0n);
    for (const c of this.coefs) {
      const target = c.matrix === 0 ? a : b;
      target[c.constraint] = (target[c.constraint]! + c.value * w[c.signal]!) % R;
    }
    const c = a.map((x, i) => (x * b[i]!) % R);
    progress(0.1);

    // Each of A, B, C: interpolate, then evaluate on the odd coset ω_2n·H.
    const shift = rootOfUnity(Math.log2(n) + 1);
    const odd = async (values: bigint[]) => k.ntt(await k.ntt(encodeFields(values), { inverse: true }), { coset: shift });
    const [ao, bo, co] = [await odd(a), await odd(b), await odd(c)];
    const h = new Uint8Array(n * 32);
    for (let i = 0; i < n; i++) writeField((((readField(ao, i * 32) * readField(bo, i * 32) - readField(co, i * 32)) % R) + R) % R, h, i * 32);
    progress(0.35);

    const g1 = (bytes: Uint8Array): G1P => {
      const x = readField(bytes, 0), y = readField(bytes, 32);
      return x === 0n && y === 0n ? G1.ZERO : G1.fromAffine({ x, y });
    };
    const privateScalars = witness.subarray((zk.nPublic + 1) * 32);
    const piA = g1(await k.msm(this.bases.a, witness));
    const piB1 = g1(await k.msm(this.bases.b1, witness));
    const piC0 = g1(await k.msm(this.bases.c, privateScalars));
    const piH = g1(await k.msm(this.bases.h, h));
    progress(0.6);
    let piB2: G2P;
    if (k.msmG2) piB2 = toG2(await k.msmG2(this.b2.bytes, witness));
    else {
      const nonzero = w.map((x, i) => [x, i] as const).filter(([x]) => x !== 0n);
      piB2 = nonzero.length ? pippenger(G2, nonzero.map(([, i]) => this.b2.points![i]!), nonzero.map(([x]) => x)) : G2.ZERO;
    }
    progress(0.95);

    // Blinding: r, s fresh per proof.
    const r = randomScalar(), s = randomScalar();
    const { alpha1, beta1, beta2, delta1, delta2 } = this.vk;
    const A = piA.add(alpha1).add(delta1.multiply(r));
    const B = piB2.add(beta2).add(delta2.multiply(s));
    const B1 = piB1.add(beta1).add(delta1.multiply(s));
    const C = piC0.add(piH).add(A.multiplyUnsafe(s)).add(B1.multiplyUnsafe(r)).subtract(delta1.multiply((r * s) % R));

    const a1 = A.toAffine(), b2 = B.toAffine(), c1 = C.toAffine();
    const proof: SnarkjsProof = {
      pi_a: [a1.x.toString(), a1.y.toString(), '1'],
      pi_b: [
        [b2.x.c0.toString(), b2.x.c1.toString()],
        [b2.y.c0.toString(), b2.y.c1.toString()],
        ['1', '0'],
      ],
      pi_c: [c1.x.toString(), c1.y.toString(), '1'],
      protocol: 'groth16',
      curve: 'bn128',
    };
    return { proof, publicSignals: w.slice(1, zk.nPublic + 1).map(String) };
  }
}
