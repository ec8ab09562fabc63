// BN254 prime-field arithmetic on u32 words, Montgomery form with R = 2^260.
//
// Written once for both fields: every `F_` name is specialised to `fq_` or
// `fr_` by the host, which also supplies the constants F_P (the modulus),
// F_P13 (its 13-bit limbs), F_NP (−p⁻¹ mod 2^13), F_R2 (R² mod p) and
// F_ONE (R mod p), computed from the modulus; R = 2^260.
//
// An element is eight little-endian 32-bit words (the storage encoding),
// for additions and storage. WGSL has no 64-bit integers and no high half
// of a product, so the multiplication works on twenty 13-bit limbs (see
// F_mul); bench/webgpu-limbs.ts measured it against CIOS over sixteen
// 16-bit digits (exact per-step carries): 13.5 against 20.7 ns a product on
// llvmpipe, packing included. Its loops have constant trip counts so compilers unroll them:
// llvmpipe stops any loop after 65,535 iterations, nested ones counted
// together, and a multiplication whose loops stay loops inside a long loop
// gave wrong MSM results.

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

struct F_Difference { value: Fe, borrow: u32 }

// a − b over the eight words, and whether it borrowed (a < b).
fn F_sub_words(a: Fe, b: Fe) -> F_Difference {
  var r: Fe;
  var borrow = 0u;
  for (var i = 0u; i < 8u; i++) {
    let d = a[i] - b[i];
    r[i] = d - borrow;
    borrow = select(0u, 1u, a[i] < b[i]) | select(0u, 1u, d < borrow);
  }
  return F_Difference(r, borrow);
}

// a − p when a ≥ p, else a; a < 2p.
fn F_reduce_once(a: Fe) -> Fe {
  let d = F_sub_words(a, F_P);
  if (d.borrow != 0u) { return a; }
  return d.value;
}

// a + b mod 2^256 over the eight words.
fn F_add_words(a: Fe, b: Fe) -> Fe {
  var r: Fe;
  var carry = 0u;
  for (var i = 0u; i < 8u; i++) {
    let s = a[i] + b[i];
    let s2 = s + carry;
    carry = select(0u, 1u, s < a[i]) | select(0u, 1u, s2 < s);
    r[i] = s2;
  }
  return r;
}

// p < 2^254, so a + b < 2^255 never carries out of the top word.
fn F_add(a: Fe, b: Fe) -> Fe { return F_reduce_once(F_add_words(a, b)); }

fn F_sub(a: Fe, b: Fe) -> Fe {
  let d = F_sub_words(a, b);
  if (d.borrow == 0u) { return d.value; }
  return F_add_words(d.value, F_P);  // wraps past 2^256 back into [0, p)
}

fn F_neg(a: Fe) -> Fe {
  if (F_is_zero(a)) { return a; }
  return F_sub(Fe(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u), a);
}

fn F_dbl(a: Fe) -> Fe { return F_add(a, a); }

// a as twenty 13-bit limbs.
fn F_limbs(a: Fe) -> array<u32, 20> {
  var l: array<u32, 20>;
  for (var k = 0u; k < 20u; k++) {
    let w = (13u * k) >> 5u;
    let s = (13u * k) & 31u;
    var v = a[w] >> s;
    if (s > 19u && w < 7u) { v |= a[w + 1u] << (32u - s); }
    l[k] = v & 8191u;
  }
  return l;
}

// Montgomery product a·b·R⁻¹ mod p, R = 2^260, over 13-bit limbs: a limb
// product is below 2^26, so the forty products a column receives add up
// without carries (< 2^32); one carry pass at the end.
fn F_mul(a: Fe, b: Fe) -> Fe {
  let x = F_limbs(a);
  let y = F_limbs(b);
  var t: array<u32, 21>;
  for (var i = 0u; i < 20u; i++) {
    let xi = x[i];
    for (var j = 0u; j < 20u; j++) { t[j] += xi * y[j]; }
    let m = (t[0] * F_NP) & 8191u;
    for (var j = 0u; j < 20u; j++) { t[j] += m * F_P13[j]; }
    let carry = t[0] >> 13u;
    for (var j = 0u; j < 20u; j++) { t[j] = t[j + 1u]; }
    t[0] += carry;
  }
  // Carries out, packed into words: the value is below 2p < 2^255.
  var r = Fe(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u);
  var c = 0u;
  for (var k = 0u; k < 20u; k++) {
    let v = t[k] + c;
    let limb = v & 8191u;
    c = v >> 13u;
    let w = (13u * k) >> 5u;
    let s = (13u * k) & 31u;
    r[w] |= limb << s;
    if (s > 19u && w < 7u) { r[w + 1u] |= limb >> (32u - s); }
  }
  return F_reduce_once(r);
}

fn F_sqr(a: Fe) -> Fe { return F_mul(a, a); }

fn F_to_mont(a: Fe) -> Fe { return F_mul(a, F_R2); }

fn F_from_mont(a: Fe) -> Fe { return F_mul(a, Fe(1u, 0u, 0u, 0u, 0u, 0u, 0u, 0u)); }
