// What one GPU thread does at each step of the NTT (see msm_steps.h for why
// these live apart from the kernels).
//
// The transform is decimation in frequency from natural order: stage s
// (s = log n - 1 … 0) pairs elements 2^s apart with the twiddle ω_{2^(s+1)}^t,
// t = index mod 2^s, and leaves the result in bit-reversed order; the last
// step writes it back in natural order. Stages run in passes of up to
// kTileLog stages: a pass over stages s_hi … s_lo loads tiles of
// 2^k × C elements (k = s_hi - s_lo + 1 butterfly levels by C = 2^cl
// neighbouring columns, cl ≤ s_lo) into shared memory, so each pass reads
// and writes the data once.
#pragma once
#include "gal/bn254.h"

namespace gal {
namespace gpu {

using u32 = uint32_t;
using bn254::Fr;

constexpr unsigned kTileLog = 10;  // 1024 elements, 32 KiB of shared memory a block

// One pass's geometry.
struct NttPass {
  unsigned s_hi, s_lo;  // stages s_hi down to s_lo
  unsigned k, cl;       // butterfly levels, log of the columns
  GAL_HD static NttPass make(unsigned s_hi, unsigned s_lo) {
    const unsigned k = s_hi - s_lo + 1, room = kTileLog - k;
    return NttPass{s_hi, s_lo, k, s_lo < room ? s_lo : room};
  }
  GAL_HD unsigned tile_log() const { return k + cl; }
  // Global index of element e of tile `block`.
  GAL_HD size_t index(size_t block, u32 e) const {
    const size_t lowhigh = block & ((size_t(1) << (s_lo - cl)) - 1), hi = block >> (s_lo - cl);
    const size_t col = e & ((1u << cl) - 1), g = e >> cl;
    return (hi << (s_hi + 1)) | (g << s_lo) | (lowhigh << cl) | col;
  }
  // Butterfly q (< tile / 2) of level j (0 = stage s_hi) on the tile in
  // shared memory. twiddles[i] = ω_{2^tab_log}^i, i < 2^(tab_log-1).
  GAL_HD void butterfly(Fr *tile, size_t block, u32 q, unsigned j, const Fr *twiddles, unsigned tab_log) const {
    const unsigned s = s_hi - j, half_log = k - 1 - j;
    const u32 col = q & ((1u << cl) - 1), gq = q >> cl;
    const u32 low = gq & ((1u << half_log) - 1);
    const u32 g0 = ((gq >> half_log) << (half_log + 1)) | low, g1 = g0 + (1u << half_log);
    const size_t lowhigh = block & ((size_t(1) << (s_lo - cl)) - 1);
    const size_t t = ((size_t)low << s_lo) | (lowhigh << cl) | col;  // global index mod 2^s
    Fr &a = tile[(g0 << cl) | col], &b = tile[(g1 << cl) | col];
    const Fr sum = a + b, diff = a - b;
    a = sum;
    b = diff * twiddles[t << (tab_log - s - 1)];
  }
};

// The passes for n = 2^log_n: as few as kTileLog allows, of near-equal size.
// Returns how many were written into passes (at most 3 for log_n ≤ 28).
GAL_HD inline unsigned ntt_plan(unsigned log_n, NttPass passes[3]) {
  if (log_n == 0) return 0;
  const unsigned count = (log_n + kTileLog - 1) / kTileLog;
  unsigned s_hi = log_n - 1;
  for (unsigned p = 0; p < count; ++p) {
    const unsigned levels = log_n / count + (p < log_n % count ? 1 : 0);
    passes[p] = NttPass::make(s_hi, s_hi + 1 - levels);
    s_hi -= levels;
  }
  return count;
}

GAL_HD inline u32 bit_reverse(u32 i, unsigned bits) {
  u32 r = 0;
  for (unsigned b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
  return r;
}

// x^e for a 32-bit exponent (the table builders' starting points).
GAL_HD inline Fr pow_u32(Fr x, u32 e) {
  Fr r = Fr::one();
  for (int b = 31; b >= 0; --b) {
    r = r.sqr();
    if ((e >> b) & 1) r = r * x;
  }
  return r;
}

constexpr u32 kPowerRun = 32;  // consecutive powers one thread writes

// Thread i: base^j for j in [i·kPowerRun, (i+1)·kPowerRun) ∩ [0, n).
GAL_HD inline void powers_run(Fr base, u32 i, u32 n, Fr *out) {
  const u32 lo = i * kPowerRun;
  Fr x = pow_u32(base, lo);
  for (u32 j = lo; j < n && j < lo + kPowerRun; ++j) {
    out[j] = x;
    x = x * base;
  }
}

}  // namespace gpu
}  // namespace gal
