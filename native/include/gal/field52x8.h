// Eight field elements at once with AVX-512 IFMA: each element in five 52-bit
// limbs, limb j of all eight lanes in one 512-bit register, in Montgomery
// form with R = 2^260. vpmadd52{lo,hi}uq multiply eight 52-bit pairs and
// accumulate into 64-bit lanes, so the operand-scanning Montgomery product
// needs no carry flags: limbs grow past 52 bits and are normalised once.
//
// Values move in and out of this domain from the scalar Montgomery form
// (R = 2^256): x·2^260 = (x·2^256)·16. Host-only; callers keep a scalar path.
#pragma once
#if defined(__AVX512F__) && defined(__AVX512IFMA__) && !defined(__CUDACC__) && !defined(GAL_PORTABLE)
#define GAL_FIELD52X8 1
#include <immintrin.h>

#include "field.h"

static_assert(sizeof(void *) == 8, "gathers take 64-bit addresses");

// The additions, subtractions and reductions are a few instructions each and
// must be inlined: out of line they pass five registers through memory, and
// g++ outlines them once a translation unit has grown past its inlining
// budget (adding one kernel slowed another's by 10-40 %).
#define GAL_LANE_OP inline __attribute__((always_inline))

namespace gal {

// A value's five radix-2^52 limbs, little-endian.
struct Limbs52 {
  u64 l[5];
};

constexpr Limbs52 split52(const u64 v[4]) {
  constexpr u64 M = (1ULL << 52) - 1;
  return Limbs52{{v[0] & M, ((v[0] >> 52) | (v[1] << 12)) & M, ((v[1] >> 40) | (v[2] << 24)) & M,
                  ((v[2] >> 28) | (v[3] << 36)) & M, v[3] >> 16}};
}

inline void join52(const u64 l[5], u64 v[4]) {
  v[0] = l[0] | (l[1] << 52);
  v[1] = (l[1] >> 12) | (l[2] << 40);
  v[2] = (l[2] >> 24) | (l[3] << 28);
  v[3] = (l[3] >> 36) | (l[4] << 16);
}

template <class Params>
struct Field52x8 {
  using Scalar = Field<Params>;
  __m512i l[5];

  GAL_LANE_OP static __m512i mask() { return _mm512_set1_epi64((long long)((1ULL << 52) - 1)); }
  // The limbs of p, or of 2p (p < 2^254: 2p still fits the four words
  // split52 reads).
  static constexpr Limbs52 modulus_limbs(bool twice) {
    u64 p[4] = {Params::modulus(0), Params::modulus(1), Params::modulus(2), Params::modulus(3)};
    if (twice) {
      for (int i = 3; i > 0; --i) p[i] = (p[i] << 1) | (p[i - 1] >> 63);
      p[0] <<= 1;
    }
    return split52(p);
  }
  // Limb j of p or 2p in every lane, fixed at compile time: wherever g++
  // leaves a caller out of line, computing the limbs at run time through
  // the stack costs more than the caller's work.
  template <bool twice = false>
  GAL_LANE_OP static __m512i modulus(int j) {
    constexpr Limbs52 m = modulus_limbs(twice);
    return _mm512_set1_epi64((long long)m.l[j]);
  }

  // A scalar constant (scalar Montgomery form) in this domain, for broadcast.
  static Limbs52 constant(const Scalar &x) {
    Scalar y = x.dbl().dbl().dbl().dbl();  // ·16: from R = 2^256 to R = 2^260
    return split52(y.v);
  }
  static Field52x8 broadcast(const Limbs52 &c) {
    Field52x8 r;
    for (int j = 0; j < 5; ++j) r.l[j] = _mm512_set1_epi64((long long)c.l[j]);
    return r;
  }

  // Lane i takes x[i] (scalar Montgomery form).
  static Field52x8 load(const Scalar *const x[8]) {
    alignas(64) u64 t[5][8];
    for (int i = 0; i < 8; ++i) {
      Limbs52 s = constant(*x[i]);
      for (int j = 0; j < 5; ++j) t[j][i] = s.l[j];
    }
    Field52x8 r;
    for (int j = 0; j < 5; ++j) r.l[j] = _mm512_load_si512(t[j]);
    return r;
  }

  // Writes lane i to *out[i] in scalar Montgomery form.
  void store(Scalar *const out[8]) const {
    // mont(x·2^260, 2^256 mod p) = x·2^256: the product leaves this domain.
    const Scalar r1 = Scalar::one();
    Field52x8 y = *this * broadcast(split52(r1.v));
    alignas(64) u64 t[5][8];
    for (int j = 0; j < 5; ++j) _mm512_store_si512(t[j], y.l[j]);
    for (int i = 0; i < 8; ++i) {
      const u64 limbs[5] = {t[0][i], t[1][i], t[2][i], t[3][i], t[4][i]};
      join52(limbs, out[i]->v);
    }
  }

  // Lane i ← the limbs of *x[i] as they are (no change of Montgomery form);
  // scatter is the inverse. Values must be fully reduced. Hardware gathers
  // and scatters of the four 64-bit limbs, then the 52-bit split in vectors.
  static Field52x8 gather(const Scalar *const x[8]) {
    const __m512i addr = _mm512_loadu_si512(reinterpret_cast<const void *>(x));
    __m512i w[4];
    for (int j = 0; j < 4; ++j)
      w[j] = _mm512_i64gather_epi64(_mm512_add_epi64(addr, _mm512_set1_epi64(8 * j)), nullptr, 1);
    return from_words(w);
  }
  void scatter(Scalar *const out[8]) const {
    const __m512i addr = _mm512_loadu_si512(reinterpret_cast<const void *>(out));
    __m512i w[4];
    to_words(w);
    for (int j = 0; j < 4; ++j)
      _mm512_i64scatter_epi64(nullptr, _mm512_add_epi64(addr, _mm512_set1_epi64(8 * j)), w[j], 1);
  }

  // The same from and to base + offsets[i] bytes, lanes past `lanes` left
  // alone by the scatter: for callers that hold indices rather than
  // pointers (eight pointers stored one by one and loaded as a vector stall
  // the load until the stores complete).
  static Field52x8 gather_at(const Scalar *base, __m512i offsets) {
    __m512i w[4];
    for (int j = 0; j < 4; ++j) w[j] = _mm512_i64gather_epi64(offsets, reinterpret_cast<const u64 *>(base) + j, 1);
    return from_words(w);
  }
  void scatter_at(Scalar *base, __m512i offsets, __mmask8 lanes) const {
    __m512i w[4];
    to_words(w);
    for (int j = 0; j < 4; ++j) _mm512_mask_i64scatter_epi64(reinterpret_cast<u64 *>(base) + j, lanes, offsets, w[j], 1);
  }

  // The four 64-bit words at base + offsets[i] of the lanes in `lanes`
  // (others zero), as they are: a wire value's raw limbs, say.
  static void gather_words(const void *base, __m512i offsets, __mmask8 lanes, __m512i w[4]) {
    for (int j = 0; j < 4; ++j)
      w[j] = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), lanes, offsets, static_cast<const u64 *>(base) + j, 1);
  }
  // Lanes whose four 64-bit words w[0..3] (little-endian) hold an integer below p.
  GAL_LANE_OP static __mmask8 below_modulus(const __m512i w[4]) {
    const auto p = [](int j) { return _mm512_set1_epi64((long long)Params::modulus(j)); };
    __mmask8 lt = _mm512_cmplt_epu64_mask(w[3], p(3)), eq = _mm512_cmpeq_epu64_mask(w[3], p(3));
    for (int j = 2; j >= 0; --j) {
      lt |= eq & _mm512_cmplt_epu64_mask(w[j], p(j));
      eq &= _mm512_cmpeq_epu64_mask(w[j], p(j));
    }
    return lt;
  }

  // From and to four 64-bit limb vectors (limb j of the eight lanes in w[j]).
  static Field52x8 from_words(const __m512i w[4]) {
    const __m512i M = mask();
    Field52x8 v;
    v.l[0] = _mm512_and_si512(w[0], M);
    v.l[1] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(w[0], 52), _mm512_slli_epi64(w[1], 12)), M);
    v.l[2] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(w[1], 40), _mm512_slli_epi64(w[2], 24)), M);
    v.l[3] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(w[2], 28), _mm512_slli_epi64(w[3], 36)), M);
    v.l[4] = _mm512_srli_epi64(w[3], 16);
    return v;
  }
  void to_words(__m512i w[4]) const {
    w[0] = _mm512_or_si512(l[0], _mm512_slli_epi64(l[1], 52));
    w[1] = _mm512_or_si512(_mm512_srli_epi64(l[1], 12), _mm512_slli_epi64(l[2], 40));
    w[2] = _mm512_or_si512(_mm512_srli_epi64(l[2], 24), _mm512_slli_epi64(l[3], 28));
    w[3] = _mm512_or_si512(_mm512_srli_epi64(l[3], 36), _mm512_slli_epi64(l[4], 16));
  }

  GAL_LANE_OP __mmask8 zero_lanes() const {
    __m512i any = _mm512_or_si512(_mm512_or_si512(l[0], l[1]), _mm512_or_si512(_mm512_or_si512(l[2], l[3]), l[4]));
    return _mm512_cmpeq_epi64_mask(any, _mm512_setzero_si512());
  }

  GAL_LANE_OP static Field52x8 blend(__mmask8 take_b, const Field52x8 &a, const Field52x8 &b) {
    Field52x8 r;
    for (int j = 0; j < 5; ++j) r.l[j] = _mm512_mask_blend_epi64(take_b, a.l[j], b.l[j]);
    return r;
  }

  // Carries every limb's excess into the next one (limbs may be negative).
  GAL_LANE_OP static void normalize(__m512i t[5]) {
    for (int j = 0; j < 4; ++j) {
      t[j + 1] = _mm512_add_epi64(t[j + 1], _mm512_srai_epi64(t[j], 52));
      t[j] = _mm512_and_si512(t[j], mask());
    }
  }

  // t − p where that is non-negative, else t (t normalised, t < 2p); with
  // `twice`, t − 2p else t (t < 4p).
  template <bool twice = false>
  GAL_LANE_OP static Field52x8 reduce_once(const __m512i t[5]) {
    __m512i d[5];
    for (int j = 0; j < 5; ++j) d[j] = _mm512_sub_epi64(t[j], modulus<twice>(j));
    normalize(d);
    const __mmask8 negative = _mm512_cmplt_epi64_mask(d[4], _mm512_setzero_si512());
    Field52x8 r;
    for (int j = 0; j < 5; ++j) r.l[j] = _mm512_mask_blend_epi64(negative, d[j], t[j]);
    return r;
  }

  GAL_LANE_OP Field52x8 operator+(const Field52x8 &b) const { return sum_reduced<false>(b); }

  // a + b, less p (or 2p) where that is non-negative.
  template <bool twice>
  GAL_LANE_OP Field52x8 sum_reduced(const Field52x8 &b) const {
    __m512i t[5];
    for (int j = 0; j < 5; ++j) t[j] = _mm512_add_epi64(l[j], b.l[j]);
    normalize(t);
    return reduce_once<twice>(t);
  }

  // a − b + p lies in [1, 2p): one conditional subtraction reduces it.
  GAL_LANE_OP Field52x8 operator-(const Field52x8 &b) const { return reduce_once(sub_lazy(b).l); }

  // a − b + p, normalised but not reduced: in [1, 2p), which the product
  // accepts as an operand (its result is reduced). Saves the select of a
  // full subtraction where the difference only feeds a product.
  GAL_LANE_OP Field52x8 sub_lazy(const Field52x8 &b) const { return plus_modulus_minus<false>(b); }

  // a − b + p (or + 2p), normalised.
  template <bool twice>
  GAL_LANE_OP Field52x8 plus_modulus_minus(const Field52x8 &b) const {
    __m512i d[5];
    for (int j = 0; j < 5; ++j) d[j] = _mm512_add_epi64(_mm512_sub_epi64(l[j], b.l[j]), modulus<twice>(j));
    normalize(d);
    Field52x8 r;
    for (int j = 0; j < 5; ++j) r.l[j] = d[j];
    return r;
  }

  // Lazy forms for chains of additions and products that reduce only at
  // their end (the NTT's butterflies, the Poseidon permutation, the MSM
  // batch's inverse chains): values stay in [0, 2p) instead of
  // [0, p), and a product's result, below a·b/2^260 + p, needs no final
  // subtraction when a < 4p and b < 2p (p < 2^254: below 1.125p).
  GAL_LANE_OP Field52x8 add_2p(const Field52x8 &b) const { return sum_reduced<true>(b); }  // a, b < 2p: a + b mod 2p
  GAL_LANE_OP Field52x8 sub_2p(const Field52x8 &b) const { return reduce_once<true>(sub_lazy_2p(b).l); }  // in [0, 2p)
  GAL_LANE_OP Field52x8 sub_lazy_2p(const Field52x8 &b) const { return plus_modulus_minus<true>(b); }  // in (0, 4p): a product's operand
  Field52x8 mul_lazy(const Field52x8 &b) const {  // this < 4p, b < 2p: the product, below 2p
    Field52x8 r;
    products<1, false>({this}, {&b}, {&r});
    return r;
  }
  GAL_LANE_OP Field52x8 reduced() const { return reduce_once(l); }  // below 2p → below p

  // Montgomery product, operand scanning over b's limbs: each row adds a·b_i
  // and m·p (m making the low limb vanish) and shifts one limb down.
  Field52x8 operator*(const Field52x8 &b) const {
    Field52x8 r;
    products<1>({this}, {&b}, {&r});
    return r;
  }

  // K independent products with their instructions interleaved. One product
  // waits on its rows' chain (m needs the row's low limb, the next row the
  // shifted carry); K of them keep the multipliers busy meanwhile. Outputs
  // may be inputs: they are written after every input is read. Without
  // `reduce` they are left below 2p, as mul_lazy's.
  template <int K, bool reduce = true>
  static void products(const Field52x8 *const (&a)[K], const Field52x8 *const (&b)[K], Field52x8 *const (&out)[K]) {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i inv = _mm512_set1_epi64((long long)(Params::inv() & ((1ULL << 52) - 1)));
    __m512i p[5];
    for (int j = 0; j < 5; ++j) p[j] = modulus(j);
    __m512i t[K][6];
    for (int k = 0; k < K; ++k)
      for (int j = 0; j < 6; ++j) t[k][j] = zero;
    for (int i = 0; i < 5; ++i) {
      for (int k = 0; k < K; ++k)
        for (int j = 0; j < 5; ++j) {
          t[k][j] = _mm512_madd52lo_epu64(t[k][j], a[k]->l[j], b[k]->l[i]);
          t[k][j + 1] = _mm512_madd52hi_epu64(t[k][j + 1], a[k]->l[j], b[k]->l[i]);
        }
      for (int k = 0; k < K; ++k) {
        const __m512i m = _mm512_madd52lo_epu64(zero, t[k][0], inv);  // -t0/p mod 2^52
        for (int j = 0; j < 5; ++j) {
          t[k][j] = _mm512_madd52lo_epu64(t[k][j], p[j], m);
          t[k][j + 1] = _mm512_madd52hi_epu64(t[k][j + 1], p[j], m);
        }
        t[k][1] = _mm512_add_epi64(t[k][1], _mm512_srli_epi64(t[k][0], 52));
        for (int j = 0; j < 5; ++j) t[k][j] = t[k][j + 1];
        t[k][5] = zero;
      }
    }
    for (int k = 0; k < K; ++k) {
      normalize(t[k]);
      if (reduce) {
        *out[k] = reduce_once(t[k]);
      } else {
        for (int j = 0; j < 5; ++j) out[k]->l[j] = t[k][j];
      }
    }
  }

  Field52x8 sqr() const { return *this * *this; }
  Field52x8 &operator+=(const Field52x8 &b) { return *this = *this + b; }
  Field52x8 &operator*=(const Field52x8 &b) { return *this = *this * b; }
};

}  // namespace gal
#endif
