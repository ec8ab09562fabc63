// Prime fields of four 64-bit limbs in Montgomery form (R = 2^256).
//
// Params supplies the modulus, R mod p, R^2 mod p and -p^-1 mod 2^64 as
// constexpr functions, so the same code compiles for host and device without
// static arrays that nvcc would have to place in device memory.
#pragma once
#include "config.h"
#include "field_ptx.h"
#include "mont_x86_64.h"
#include "safegcd.h"

namespace gal {

template <class Params>
struct Field {
  u64 v[4];

  GAL_HD static constexpr u64 p(int i) { return Params::modulus(i); }

  GAL_HD static Field zero() { return Field{{0, 0, 0, 0}}; }
  GAL_HD static Field one() { return Field{{Params::r1(0), Params::r1(1), Params::r1(2), Params::r1(3)}}; }
  GAL_HD static Field r2() { return Field{{Params::r2(0), Params::r2(1), Params::r2(2), Params::r2(3)}}; }

  GAL_HD bool is_zero() const { return (v[0] | v[1] | v[2] | v[3]) == 0; }
  GAL_HD bool operator==(const Field &o) const {
    return ((v[0] ^ o.v[0]) | (v[1] ^ o.v[1]) | (v[2] ^ o.v[2]) | (v[3] ^ o.v[3])) == 0;
  }
  GAL_HD bool operator!=(const Field &o) const { return !(*this == o); }

  // True when the raw limbs hold a value below the modulus.
  GAL_HD static bool limbs_below_modulus(const u64 l[4]) {
    for (int i = 3; i >= 0; --i) {
      if (l[i] < p(i)) return true;
      if (l[i] > p(i)) return false;
    }
    return false;
  }

  // Subtracts p once if v ≥ p. Branch-free: the outcome is data-dependent
  // and unpredictable, so a branch would mispredict half the time.
  GAL_HD GAL_INLINE void reduce_once() {
    u64 t[4], borrow = 0;
    for (int i = 0; i < 4; ++i) t[i] = sbb(v[i], p(i), borrow);
    const u64 keep = 0 - borrow;  // all ones: v < p, keep v
    for (int i = 0; i < 4; ++i) v[i] = (v[i] & keep) | (t[i] & ~keep);
  }

  GAL_HD GAL_INLINE Field operator+(const Field &b) const {
#if defined(__CUDA_ARCH__)
    return add_device(b);
#else
    // p < 2^254, so the sum of two reduced values never leaves 256 bits.
    Field r;
    u64 c = 0;
    for (int i = 0; i < 4; ++i) r.v[i] = adc(v[i], b.v[i], c);
    r.reduce_once();
    return r;
#endif
  }

  GAL_HD GAL_INLINE Field operator-(const Field &b) const {
#if defined(__CUDA_ARCH__)
    return sub_device(b);
#else
    Field r;
    u64 borrow = 0;
    for (int i = 0; i < 4; ++i) r.v[i] = sbb(v[i], b.v[i], borrow);
    const u64 mask = 0 - borrow;  // add p back when the difference went negative
    u64 c = 0;
    for (int i = 0; i < 4; ++i) r.v[i] = adc(r.v[i], p(i) & mask, c);
    return r;
#endif
  }

  GAL_HD GAL_INLINE Field neg() const { return is_zero() ? *this : zero() - *this; }
  GAL_HD GAL_INLINE Field dbl() const { return *this + *this; }

  // Montgomery multiplication, CIOS without the final carry word: valid
  // because the modulus' top limb is below (2^64 - 1) / 2 (BN254: 0x3064...).
  GAL_HD GAL_INLINE Field operator*(const Field &b) const {
#if defined(__CUDA_ARCH__)
    return mul_device(b);
#elif defined(GAL_MONT_X86_64)
    alignas(32) static constexpr u64 mod[4] = {p(0), p(1), p(2), p(3)};
    Field r;
    mont_mul_x86_64(r.v, v, b.v, mod, Params::inv());
    return r;
#else
    return mul_portable(b);
#endif
  }

  GAL_HD GAL_INLINE Field mul_portable(const Field &b) const {
    u64 t[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; ++i) {
      u64 A, C, m, discard;
      t[0] = mac(v[0], b.v[i], t[0], 0, A);
      m = t[0] * Params::inv();
      discard = mac(m, p(0), t[0], 0, C);
      (void)discard;
      for (int j = 1; j < 4; ++j) {
        t[j] = mac(v[j], b.v[i], t[j], A, A);
        t[j - 1] = mac(m, p(j), t[j], C, C);
      }
      t[3] = C + A;
    }
    Field r{{t[0], t[1], t[2], t[3]}};
    r.reduce_once();
    return r;
  }

#if defined(__CUDA_ARCH__)
  // The device's forms of +, − and ×: field_ptx.h, on 32-bit words.
  __device__ GAL_INLINE void words(uint32_t w[8]) const {
    GAL_UNROLL for (int i = 0; i < 4; ++i) w[2 * i] = (uint32_t)v[i], w[2 * i + 1] = (uint32_t)(v[i] >> 32);
  }
  __device__ GAL_INLINE static Field from_words(const uint32_t w[8]) {
    Field r;
    GAL_UNROLL for (int i = 0; i < 4; ++i) r.v[i] = (u64)w[2 * i] | ((u64)w[2 * i + 1] << 32);
    return r;
  }
  __device__ GAL_INLINE static void modulus_words(uint32_t w[8]) {
    GAL_UNROLL for (int j = 0; j < 8; ++j) w[j] = (uint32_t)(p(j / 2) >> (32 * (j % 2)));
  }
  // x − p when x ≥ p, else x.
  __device__ GAL_INLINE static Field reduced(const uint32_t x[8]) {
    uint32_t pw[8], d[8], w[8];
    modulus_words(pw);
    const uint32_t keep = ptx::sub8(d, x, pw);  // all ones: x < p
    GAL_UNROLL for (int j = 0; j < 8; ++j) w[j] = (x[j] & keep) | (d[j] & ~keep);
    return from_words(w);
  }
  __device__ GAL_INLINE Field add_device(const Field &b) const {
    uint32_t x[8], y[8], s[8];
    words(x), b.words(y);
    ptx::add8(s, x, y);
    return reduced(s);
  }
  __device__ GAL_INLINE Field sub_device(const Field &b) const {
    uint32_t x[8], y[8], d[8], pw[8], s[8];
    words(x), b.words(y);
    modulus_words(pw);
    const uint32_t wrapped = ptx::sub8(d, x, y);  // all ones: add p back
    GAL_UNROLL for (int j = 0; j < 8; ++j) pw[j] &= wrapped;
    ptx::add8(s, d, pw);
    return from_words(s);
  }
  __device__ GAL_INLINE Field mul_device(const Field &b) const {
    uint32_t x[8], y[8], pw[8], t[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    words(x), b.words(y);
    modulus_words(pw);
    GAL_UNROLL for (int i = 0; i < 8; ++i) {
      ptx::mont_step(t, x, y[i], pw, (uint32_t)Params::inv());
      GAL_UNROLL for (int j = 0; j < 8; ++j) t[j] = t[j + 1];  // t_0 is zero: divide by 2^32
      t[8] = 0;
    }
    return reduced(t);  // t < 2p
  }
#endif

  GAL_HD GAL_INLINE Field sqr() const { return *this * *this; }

  GAL_HD Field &operator+=(const Field &b) { return *this = *this + b; }
  GAL_HD Field &operator-=(const Field &b) { return *this = *this - b; }
  GAL_HD Field &operator*=(const Field &b) { return *this = *this * b; }

  // Exponentiation by a 256-bit little-endian exponent.
  // Left to right from e's top set bit: the kernels raise to small public
  // exponents (twiddle offsets) far more often than to 254-bit ones.
  GAL_HD Field pow(const u64 e[4]) const {
    Field r = one();
    bool started = false;
    for (int i = 3; i >= 0; --i)
      for (int b = 63; b >= 0; --b) {
        if (started) r = r.sqr();
        if ((e[i] >> b) & 1) {
          r = started ? r * *this : *this;
          started = true;
        }
      }
    return r;
  }

  GAL_HD Field pow(u64 e) const {
    const u64 ex[4] = {e, 0, 0, 0};
    return pow(ex);
  }

  // The inverse of zero is zero. The device raises to p - 2 (Fermat); the
  // host inverts the integer x·R by divsteps (safegcd.h, about ten times
  // faster) and multiplies by R^3 to land on x^-1·R.
  GAL_HD Field inverse() const {
#if defined(__CUDA_ARCH__)
    u64 e[4], borrow = 0;
    e[0] = sbb(p(0), 2, borrow);
    for (int i = 1; i < 4; ++i) e[i] = sbb(p(i), 0, borrow);
    return pow(e);
#else
    if (is_zero()) return zero();
    const u64 m[4] = {p(0), p(1), p(2), p(3)};
    Field y;
    safegcd::inverse(v, m, y.v);
    return y * (r2() * r2());  // r2·r2 in Montgomery form is R^3
#endif
  }

  // Standard-form integer (< p) into Montgomery form; false if out of range.
  GAL_HD static bool from_limbs(const u64 l[4], Field &out) {
    if (!limbs_below_modulus(l)) return false;
    Field raw{{l[0], l[1], l[2], l[3]}};
    out = raw * r2();
    return true;
  }

  GAL_HD static Field from_u64(u64 x) {
    Field raw{{x, 0, 0, 0}};
    return raw * r2();
  }

  // Montgomery form back to the standard-form integer.
  GAL_HD void to_limbs(u64 l[4]) const {
    Field unit{{1, 0, 0, 0}};
    Field s = *this * unit;
    for (int i = 0; i < 4; ++i) l[i] = s.v[i];
  }

  // Canonical 32-byte little-endian encoding (the wire format).
  GAL_HD static bool from_bytes(const uint8_t *b, Field &out) {
    u64 l[4];
    for (int i = 0; i < 4; ++i) {
      u64 w = 0;
      for (int k = 7; k >= 0; --k) w = (w << 8) | b[i * 8 + k];
      l[i] = w;
    }
    return from_limbs(l, out);
  }

  GAL_HD void to_bytes(uint8_t *b) const {
    u64 l[4];
    to_limbs(l);
    for (int i = 0; i < 4; ++i)
      for (int k = 0; k < 8; ++k) b[i * 8 + k] = (uint8_t)(l[i] >> (8 * k));
  }
};

// Montgomery's trick: inverts every element of a[0..n) with one inversion and
// about 3 multiplications each. `scratch` holds n elements. Zeros stay zero.
// Four interleaved product chains keep the multiplier busy: one chain would
// wait out the full latency of every multiplication.
template <class F>
GAL_HD void batch_inverse(F *a, F *scratch, long n) {
  constexpr int L = 4;
  F acc[L] = {F::one(), F::one(), F::one(), F::one()};
  for (long i = 0; i < n; ++i) {
    F &c = acc[i % L];
    scratch[i] = c;
    if (!a[i].is_zero()) c = c * a[i];
  }
  // inv[l] = 1 / acc[l], from one inversion of the product of all four.
  F p01 = acc[0] * acc[1], p23 = acc[2] * acc[3];
  F t = (p01 * p23).inverse();
  F t01 = t * p23, t23 = t * p01;
  F inv[L] = {t01 * acc[1], t01 * acc[0], t23 * acc[3], t23 * acc[2]};
  for (long i = n - 1; i >= 0; --i) {
    if (a[i].is_zero()) continue;
    F &c = inv[i % L];
    F ai = a[i];
    a[i] = c * scratch[i];
    c = c * ai;
  }
}

}  // namespace gal
