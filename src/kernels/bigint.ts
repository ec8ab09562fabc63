/**
 * Field arithmetic on bigints for the few values the hosts compute outside
 * the kernels: shader constants, twiddle and coset tables, roots of unity.
 */
import { R } from './encoding.js';

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n, b = mod(base, m), e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** a⁻¹ mod a prime m (Fermat). */
export const modInverse = (a: bigint, m: bigint) => modPow(a, m - 2n, m);

/** a⁻¹ mod 2^bits for odd a, by Newton's iteration (each step doubles the correct bits). */
export function inverseMod2k(a: bigint, bits: number): bigint {
  let x = 1n;
  for (let i = 0; i < 6; i++) x = mod(x * (2n - a * x), 1n << BigInt(bits));
  return x;
}

const TWO_ADICITY = 28n;
const ROOT_2_28 = modPow(5n, (R - 1n) >> TWO_ADICITY, R);

/** ω of order 2^log in Fr as ffjavascript defines it (5^((r−1)/2^28), squared down), or its inverse. */
export function rootOfUnity(log: number, inverse = false): bigint {
  const w = modPow(ROOT_2_28, 1n << (TWO_ADICITY - BigInt(log)), R);
  return inverse ? modInverse(w, R) : w;
}
