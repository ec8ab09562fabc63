// Window digits shared by the G1 and G2 MSMs: the 255 bits of a scalar
// (r < 2^254, plus Booth's carry) cut into windows of equal width, each read
// as a signed digit so that a window of w bits needs 2^(w-1) buckets.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gal/bn254.h"

namespace gal {
namespace cpu {

constexpr int kScalarBits = 254;  // r < 2^254

// Bits [pos, pos+len) of a 256-bit little-endian integer; pos may be -1 (bit
// -1 reads as zero) and bits past 255 read as zero. len ≤ 32.
inline uint32_t scalar_bits(const u64 s[4], int pos, int len) {
  u64 mask = (1ULL << len) - 1;
  if (pos < 0) return (uint32_t)((s[0] << 1) & mask);  // pos == -1
  int limb = pos >> 6, shift = pos & 63;
  if (limb > 3) return 0;
  u64 lo = s[limb] >> shift;
  if (shift && limb < 3) lo |= s[limb + 1] << (64 - shift);
  return (uint32_t)(lo & mask);
}

// A window of the scalars: bits [offset, offset + width).
struct Window {
  int offset, width;
};

// ⌈255/c⌉ windows of c or c-1 bits. Equal widths matter: a narrow top window
// reaches only a few buckets, its batches could never fill without
// conflicts, and every point of it would take the slow path.
inline std::vector<Window> cut_windows(int c) {
  const int total = kScalarBits + 1, count = (total + c - 1) / c;
  std::vector<Window> out;
  for (int i = 0, offset = 0; i < count; ++i) {
    const int width = total / count + (i < total % count ? 1 : 0);
    out.push_back({offset, width});
    offset += width;
  }
  return out;
}

// Booth digit of a window: in [-2^(width-1), 2^(width-1)].
inline int32_t booth_digit(const u64 s[4], const Window &win) {
  uint32_t bits = scalar_bits(s, win.offset - 1, win.width + 1);  // the window's bits plus the one below
  int32_t value = (int32_t)((bits >> 1) + (bits & 1));
  return (bits >> win.width) & 1 ? value - (1 << win.width) : value;
}

// The buckets a window's digits can reach: all 2^(width-1), except in the
// top window, whose digits stay within (r >> offset) + 1. A batch of
// additions must fit in the buckets reached, or it fills only through
// conflicts.
inline size_t window_reach(const Window &win) {
  const size_t nb = size_t(1) << (win.width - 1);
  if (kScalarBits - win.offset >= 31) return nb;
  const u64 r[4] = {bn254::Fr::p(0), bn254::Fr::p(1), bn254::Fr::p(2), bn254::Fr::p(3)};
  return std::min<size_t>(nb, scalar_bits(r, win.offset, kScalarBits - win.offset) + 1);
}

// A pending or deferred addition's point: its index in the MSM's points and
// whether it enters negated (a negative digit). Four bytes instead of a copy
// of the point.
using PointRef = uint32_t;  // index << 1 | negate
inline PointRef point_ref(size_t i, bool negate) { return (PointRef)(i << 1) | (negate ? 1u : 0u); }

// Window win's nonzero digits of points [lo, hi), a block at a time:
// prefetch(bucket) for each, then add(bucket, ref) for each. Buckets are
// reached in random order, and a cache miss per addition would stall the
// loop. skip(i): a point to leave out (infinity).
template <class Skip, class Prefetch, class Add>
void offer_digits(const uint8_t *scalars, size_t lo, size_t hi, const Window &win, Skip &&skip, Prefetch &&prefetch,
                  Add &&add) {
  constexpr size_t kBlock = 64;
  uint32_t bucket[kBlock];
  PointRef point[kBlock];
  for (size_t i0 = lo; i0 < hi; i0 += kBlock) {
    size_t m = 0;
    for (size_t i = i0; i < std::min(hi, i0 + kBlock); ++i) {
      u64 k[4];
      std::memcpy(k, scalars + 32 * i, 32);
      const int32_t d = booth_digit(k, win);
      if (d == 0 || skip(i)) continue;
      bucket[m] = (uint32_t)(d < 0 ? -d : d) - 1;
      point[m] = point_ref(i, d < 0);
      prefetch(bucket[m++]);
    }
    for (size_t j = 0; j < m; ++j) add(bucket[j], point[j]);
  }
}

}  // namespace cpu
}  // namespace gal
