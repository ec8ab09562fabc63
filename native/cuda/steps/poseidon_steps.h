// One Poseidon permutation, one state: what a GPU thread runs per hash (see
// msm_steps.h for why these live apart from the kernels). The same optimised
// form as the CPU kernel (native/cpu/poseidon.cpp): full rounds, then partial
// rounds with one constant and a sparse matrix each, the tail matrix, the
// first full round after them with the carried constants, the last full rounds.
//
// K reads the constants, laid out as the CPU addon exports them:
//   c: (rf + rp)·t, m: t·t, then partial_c: rp, sparse: rp·(2t-1),
//   tail: (t-1)², after_c: t — each in Montgomery form.
#pragma once
#include "gal/bn254.h"

namespace gal {
namespace gpu {

using bn254::Fr;

constexpr int kPoseidonMaxWidth = 17;
constexpr int kPoseidonFullRounds = 8;

// Offsets of each table in the flat constant array for width t.
struct PoseidonLayout {
  int t, rp;
  GAL_HD int c() const { return 0; }
  GAL_HD int m() const { return (kPoseidonFullRounds + rp) * t; }
  GAL_HD int partial_c() const { return m() + t * t; }
  GAL_HD int sparse() const { return partial_c() + rp; }
  GAL_HD int tail() const { return sparse() + rp * (2 * t - 1); }
  GAL_HD int after_c() const { return tail() + (t - 1) * (t - 1); }
  GAL_HD int size() const { return after_c() + t; }
  // The layout of `total` constants for width t, solving size() for rp;
  // false if no round count gives that many.
  static bool from_size(int t, int total, PoseidonLayout &out) {
    const int fixed = kPoseidonFullRounds * t + t * t + (t - 1) * (t - 1) + t, per_round = t + 1 + 2 * t - 1;
    out = PoseidonLayout{t, total > fixed ? (total - fixed) / per_round : 0};
    return total > fixed && out.size() == total;
  }
};

template <int Width, class K>
GAL_HD GAL_INLINE void poseidon_full_round(Fr *s, int t, const K &k, int c_at, int m_at) {
  Fr x[Width ? Width : kPoseidonMaxWidth];
  GAL_UNROLL for (int i = 0; i < t; ++i) {
    const Fr a = s[i] + k(c_at + i);
    x[i] = a.sqr().sqr() * a;
  }
  GAL_UNROLL for (int i = 0; i < t; ++i) {
    Fr acc = k(m_at + i * t) * x[0];
    GAL_UNROLL for (int j = 1; j < t; ++j) acc += k(m_at + i * t + j) * x[j];
    s[i] = acc;
  }
}

// s[0] the capacity, s[1..t) the inputs; the hash is s[0] afterwards.
// Width > 0 fixes t at compile time, so the loops over the state unroll and
// the state stays in registers; 0 reads t from the layout.
template <int Width = 0, class K>
GAL_HD inline void poseidon_permute(Fr *s, const PoseidonLayout &at, const K &k) {
  const int t = Width ? Width : at.t, u = t - 1, half = kPoseidonFullRounds / 2;
  for (int r = 0; r < half; ++r) poseidon_full_round<Width>(s, t, k, at.c() + r * t, at.m());
  for (int r = 0; r < at.rp; ++r) {
    const int e = at.sparse() + r * (2 * t - 1);
    Fr x0 = s[0] + k(at.partial_c() + r);
    x0 = x0.sqr().sqr() * x0;
    Fr acc = k(e) * x0;
    GAL_UNROLL for (int j = 1; j < t; ++j) acc += k(e + j) * s[j];
    GAL_UNROLL for (int i = 1; i < t; ++i) s[i] += k(e + u + i) * x0;
    s[0] = acc;
  }
  Fr y[Width ? Width : kPoseidonMaxWidth];
  GAL_UNROLL for (int i = 0; i < u; ++i) {
    Fr acc = k(at.tail() + i * u) * s[1];
    GAL_UNROLL for (int j = 1; j < u; ++j) acc += k(at.tail() + i * u + j) * s[j + 1];
    y[i] = acc;
  }
  GAL_UNROLL for (int i = 0; i < u; ++i) s[i + 1] = y[i];
  poseidon_full_round<Width>(s, t, k, at.after_c(), at.m());
  for (int r = half + at.rp + 1; r < kPoseidonFullRounds + at.rp; ++r) poseidon_full_round<Width>(s, t, k, at.c() + r * t, at.m());
}

}  // namespace gpu
}  // namespace gal
