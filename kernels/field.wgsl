// BN254 prime-field arithmetic on u32 words, Montgomery form with R = 2^256.
//
// Written once for both fields: every `F_` name is specialised to `fq_` or
// `fr_` by the host, which also supplies the constants F_P (the modulus),
// F_P16 (its 16-bit digits), F_NP (−p⁻¹ mod 2^16), F_R2 (R² mod p) and
// F_ONE (R mod p), computed from the modulus.
//
// An element is eight little-endian 32-bit words (the storage encoding).
// WGSL has no 64-bit integers and no high half of a product, so the
// multiplication works on sixteen 16-bit digits: a digit product plus two
// digits fits a u32 exactly ((2^16−1)² + 2·(2^16−1) = 2^32 − 1), which is
// what coarsely integrated operand scanning (CIOS) needs per step. Its
// loops have constant trip counts so compilers unroll them: llvmpipe limits
// every loop to 65,535 iterations in total, nested ones included, and a
// multiplication inside a long loop would otherwise exhaust that silently.

fn F_is_zero(a: Fe) -> bool {
  var acc = 0u;
  for (var i = 0u; i < 8u; i++) { acc |= a[i]; }
  return acc == 0u;
}

fn F_eq(a: Fe, b: Fe) -> bool {
  var acc = 0u;
  for (var i = 0u; i < 8u; i++) { acc |= a[i] ^ b[i]; }
  return acc == 0u;
}

// a < p, for the canonical-range checks of inputs.
fn F_is_canonical(a: Fe) -> bool {
  for (var i = 7i; i >= 0i; i--) {
    if (a[i] != F_P[i]) { return a[i] < F_P[i]; }
  }
  return false;
}

// a − p when a ≥ p, else a; a < 2p.
fn F_reduce_once(a: Fe) -> Fe {
  var r: Fe;
  var borrow = 0u;
  for (var i = 0u; i < 8u; i++) {
    let d = a[i] - F_P[i];
    let d2 = d - borrow;
    borrow = select(0u, 1u, a[i] < F_P[i]) | select(0u, 1u, d < borrow);
    r[i] = d2;
  }
  if (borrow != 0u) { return a; }
  return r;
}

fn F_add(a: Fe, b: Fe) -> Fe {
  // p < 2^254, so a + b < 2^255 never carries out of the top word.
  var r: Fe;
  var carry = 0u;
  for (var i = 0u; i < 8u; i++) {
    let s = a[i] + b[i];
    let s2 = s + carry;
    carry = select(0u, 1u, s < a[i]) | select(0u, 1u, s2 < s);
    r[i] = s2;
  }
  return F_reduce_once(r);
}

fn F_sub(a: Fe, b: Fe) -> Fe {
  var r: Fe;
  var borrow = 0u;
  for (var i = 0u; i < 8u; i++) {
    let d = a[i] - b[i];
    let d2 = d - borrow;
    borrow = select(0u, 1u, a[i] < b[i]) | select(0u, 1u, d < borrow);
    r[i] = d2;
  }
  if (borrow == 0u) { return r; }
  var carry = 0u;
  for (var i = 0u; i < 8u; i++) {
    let s = r[i] + F_P[i];
    let s2 = s + carry;
    carry = select(0u, 1u, s < r[i]) | select(0u, 1u, s2 < s);
    r[i] = s2;
  }
  return r;
}

fn F_neg(a: Fe) -> Fe {
  if (F_is_zero(a)) { return a; }
  return F_sub(Fe(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u), a);
}

fn F_dbl(a: Fe) -> Fe { return F_add(a, a); }

// Montgomery product a·b·R⁻¹ mod p (CIOS over 16-bit digits).
fn F_mul(a: Fe, b: Fe) -> Fe {
  var x: array<u32, 16>;
  var y: array<u32, 16>;
  for (var i = 0u; i < 8u; i++) {
    x[2u * i] = a[i] & 0xffffu;
    x[2u * i + 1u] = a[i] >> 16u;
    y[2u * i] = b[i] & 0xffffu;
    y[2u * i + 1u] = b[i] >> 16u;
  }
  var t: array<u32, 17>;
  // 17 trips for 16 digits: shader compilers unroll loops of up to 16
  // constant trips, and this one unrolled (inlined at every call site) makes
  // llvmpipe spend minutes compiling the MSM. The inner loops do unroll.
  for (var i = 0u; i < 16u; i++) {
    let xi = x[i];
    var c = 0u;
    for (var j = 0u; j < 16u; j++) {
      let s = t[j] + xi * y[j] + c;
      t[j] = s & 0xffffu;
      c = s >> 16u;
    }
    let top = t[16] + c;  // below 2^17: t stays below 2p < 2^255 between rounds
    let m = (t[0] * F_NP) & 0xffffu;
    c = (t[0] + m * F_P16[0]) >> 16u;
    for (var j = 1u; j < 16u; j++) {
      let s = t[j] + m * F_P16[j] + c;
      t[j - 1u] = s & 0xffffu;
      c = s >> 16u;
    }
    let s = (top & 0xffffu) + c;
    t[15] = s & 0xffffu;
    t[16] = (top >> 16u) + (s >> 16u);
  }
  var r: Fe;
  for (var i = 0u; i < 8u; i++) { r[i] = t[2u * i] | (t[2u * i + 1u] << 16u); }
  return F_reduce_once(r);
}

fn F_sqr(a: Fe) -> Fe { return F_mul(a, a); }

fn F_to_mont(a: Fe) -> Fe { return F_mul(a, F_R2); }

fn F_from_mont(a: Fe) -> Fe { return F_mul(a, Fe(1u, 0u, 0u, 0u, 0u, 0u, 0u, 0u)); }
