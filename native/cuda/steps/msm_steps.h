// What one GPU thread does at each step of the MSM. The CUDA kernels
// (msm.cu) are thin wrappers around these functions and the host harness
// (native/test/cuda_steps_check.cpp) runs the same functions over the same
// grid, so the CPU test suite exercises the GPU's per-thread logic.
//
// The plan for c-bit windows: W = ceil(255 / c) windows of signed digits in
// [-2^(c-1), 2^(c-1)], so B = 2^(c-1) buckets a window. Every (digit, point)
// pair becomes a key (global bucket w·B + |d| - 1, or the sentinel W·B for a
// zero digit, which sorts last and is dropped) and a value (point index, the
// sign in bit 31). After the sort, a bucket's entries are contiguous; they
// are summed in segments of at most kSegment points, so a bucket holding
// most of the points (skewed scalars) is spread over many threads, and the
// segments of a bucket are then folded pairwise in log rounds.
#pragma once
#include "gal/bn254.h"

namespace gal {
namespace gpu {

using u32 = uint32_t;
using bn254::Fq;
using bn254::G1Affine;
using Point = bn254::G1XYZZ;

constexpr u32 kSignBit = 0x80000000u;
constexpr u32 kSegment = 64;  // points one thread sums into a bucket segment

GAL_HD inline unsigned msm_windows(unsigned c) { return (255 + c - 1) / c; }

// The c bits of a 256-bit little-endian integer starting at `bit`.
GAL_HD inline unsigned scalar_bits(const u64 s[4], unsigned bit, unsigned c) {
  const unsigned limb = bit / 64, off = bit % 64;
  if (limb >= 4) return 0;
  u64 v = s[limb] >> off;
  if (off + c > 64 && limb + 1 < 4) v |= s[limb + 1] << (64 - off);
  return (unsigned)(v & ((u64(1) << c) - 1));
}

// Thread i of a chunk of n scalars: the keys and values of its W digits,
// window-major (keys[w·n + i]). False if the scalar is not below r.
GAL_HD inline bool msm_digits(const u64 *scalar, u32 i, u32 n, unsigned c, u32 *keys, u32 *vals) {
  const unsigned windows = msm_windows(c);
  const u32 buckets = u32(1) << (c - 1), sentinel = windows * buckets;
  u64 s[4] = {scalar[0], scalar[1], scalar[2], scalar[3]};
  const bool ok = bn254::Fr::limbs_below_modulus(s);
  if (!ok) s[0] = s[1] = s[2] = s[3] = 0;  // the call fails; keep the sort well-defined
  unsigned carry = 0;
  for (unsigned w = 0; w < windows; ++w) {
    int d = (int)(scalar_bits(s, w * c, c) + carry);
    carry = d > (int)buckets;  // digits above 2^(c-1) borrow from the next window
    if (carry) d -= 1 << c;
    const size_t at = (size_t)w * n + i;
    keys[at] = d == 0 ? sentinel : w * buckets + (u32)(d < 0 ? -d : d) - 1;
    vals[at] = i | (d < 0 ? kSignBit : 0);
  }
  return ok;
}

// Thread j of the m sorted keys: marks where its bucket starts and ends
// (start and end are zeroed first, so empty buckets read as empty).
GAL_HD inline void msm_bucket_bounds(const u32 *keys, u32 j, u32 m, u32 sentinel, u32 *start, u32 *end) {
  const u32 k = keys[j];
  if (k >= sentinel) return;
  if (j == 0 || keys[j - 1] != k) start[k] = j;
  if (j + 1 == m || keys[j + 1] != k) end[k] = j + 1;
}

GAL_HD inline u32 msm_segments(const u32 *start, const u32 *end, u32 b) {
  return (end[b] - start[b] + kSegment - 1) / kSegment;
}

// The bucket segment k belongs to: the last bucket whose first segment is ≤ k
// (seg_first is the exclusive prefix sum of the segment counts).
GAL_HD inline u32 msm_segment_bucket(const u32 *seg_first, u32 buckets, u32 k) {
  u32 lo = 0, hi = buckets;  // seg_first[lo] <= k < seg_first[hi] (hi = buckets: past the end)
  while (hi - lo > 1) {
    const u32 mid = (lo + hi) / 2;
    if (seg_first[mid] <= k) lo = mid;
    else hi = mid;
  }
  return lo;
}

// Thread k: the sum of segment k's points into partial[k].
GAL_HD inline void msm_segment_sum(const G1Affine *points, const u32 *vals, const u32 *start, const u32 *end,
                                   const u32 *seg_first, u32 buckets, u32 k, u32 *seg_bucket, Point *partial) {
  const u32 b = msm_segment_bucket(seg_first, buckets, k);
  const u32 lo = start[b] + (k - seg_first[b]) * kSegment, hi = lo + kSegment < end[b] ? lo + kSegment : end[b];
  Point acc = Point::inf();
  for (u32 j = lo; j < hi; ++j) {
    const u32 v = vals[j];
    const G1Affine p = points[v & ~kSignBit];
    acc = acc.add_affine(v & kSignBit ? p.neg() : p);
  }
  seg_bucket[k] = b;
  partial[k] = acc;
}

// Thread k in the round of stride s: folds segment k + s of the same bucket
// into segment k. Rounds s = 1, 2, 4 … leave each bucket's sum in its first
// segment; a round reads only segments it does not write.
GAL_HD inline void msm_fold_segments(const u32 *seg_first, const u32 *seg_bucket, const u32 *start, const u32 *end,
                                     u32 k, u32 s, Point *partial) {
  const u32 b = seg_bucket[k], l = k - seg_first[b];
  if (l % (2 * s) == 0 && l + s < msm_segments(start, end, b)) partial[k] = partial[k].add(partial[k + s]);
}

// Thread b: adds this chunk's sum of bucket b into the running bucket sums.
GAL_HD inline void msm_accumulate(const u32 *seg_first, const u32 *start, const u32 *end, const Point *partial, u32 b,
                                  Point *bucket) {
  if (end[b] > start[b]) bucket[b] = bucket[b].add(partial[seg_first[b]]);
}

// Window reduction, level by level. Each window holds `items` items; item j
// stands for the buckets j·M … j·M + M - 1 and carries T_j (their sum) and
// R_j, so that the window's sum Σ_b (b+1)·B_b = Σ_j (R_j + j·M·T_j) + Σ_j T_j.
// At first the items are the buckets: T = B, R = 0, M = 1. Thread (w, h)
// merges items hL … hL + L - 1 into one: T' = Σ T_j and
// R' = Σ R_j + M·Σ_j (j - hL)·T_j, the last sum by running sums; M' = M·L.
// With one item left the window's sum is R + T.
GAL_HD inline void msm_group_level(const Point *T, const Point *R, u32 items, u32 L, unsigned log_span, u32 idx,
                                   Point *T_out, Point *R_out) {
  const u32 groups = items / L, w = idx / groups, h = idx % groups;
  const size_t first = (size_t)w * items + (size_t)h * L;
  Point run = Point::inf(), weighted = Point::inf();
  for (u32 i = L - 1; i >= 1; --i) {  // Σ_i i·T_i = Σ_{k≥1} Σ_{i≥k} T_i
    run = run.add(T[first + i]);
    weighted = weighted.add(run);
  }
  run = run.add(T[first]);
  for (unsigned k = 0; k < log_span; ++k) weighted = weighted.dbl();
  if (R)
    for (u32 i = 0; i < L; ++i) weighted = weighted.add(R[first + i]);
  T_out[idx] = run;
  R_out[idx] = weighted;
}

// Items a thread merges at each level: four (two when two are left). A
// thread adds about 3L points in sequence, plus the span's doublings, and
// the reduction's time is the sum of its levels' chains of dependent
// additions: with 32 a level, 2^15 buckets took three levels of about 63,
// 100 and 105 additions, the last two on 512 and 16 threads (5.1 ms of an
// H200's 14.3 at 2^20, and 1.65 ms even at 2^10). With four: eight levels
// of 7 to 23.
GAL_HD inline u32 msm_level_width(u32 items) { return items < 4 ? items : 4; }

// The MSM from the window sums (T_w + R_w, R null when no level ran):
// Σ_w 2^(c·w)·sum_w by Horner's rule, W·c doublings. Runs on the host.
inline Point msm_horner(const Point *T, const Point *R, unsigned windows, unsigned c) {
  Point acc = Point::inf();
  for (int w = (int)windows - 1; w >= 0; --w) {
    for (unsigned b = 0; b < c; ++b) acc = acc.dbl();
    acc = acc.add(T[w]);
    if (R) acc = acc.add(R[w]);
  }
  return acc;
}

// Thread i: a point from the wire (x‖y, 32 bytes each, standard form) into
// Montgomery affine form. 1: a coordinate not below q; 2: off the curve.
GAL_HD inline int msm_point_from_wire(const uint8_t *wire, G1Affine &out) {
  if (!Fq::from_bytes(wire, out.x) || !Fq::from_bytes(wire + 32, out.y)) {
    out = G1Affine::inf();
    return 1;
  }
  if (!out.on_curve()) {
    out = G1Affine::inf();
    return 2;
  }
  return 0;
}

}  // namespace gpu
}  // namespace gal
