// Pippenger multi-scalar multiplication over BN254 G1.
//
// Scalars are cut into windows of c or c-1 bits and signed (Booth) digits, so
// a window of w bits needs only 2^(w-1) buckets. Buckets are kept in affine form and filled by batches of
// independent additions that share one inversion (Montgomery's trick): about
// 6 field multiplications per point and window instead of 10 for a mixed
// XYZZ addition; msm_batch.h keeps the batches free of repeated buckets and
// sends skew to per-bucket XYZZ side sums.
// Tasks are (window, point chunk) pairs; a window's partial sums add up
// because a window's weighted bucket sum is linear in its points. Where the
// CPU has AVX-512 IFMA, the loading and checking of the points, the batches
// and the bucket reduction run eight lanes wide. A few points (unless a
// window is asked for) take Straus's method instead (msm_straus.h).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "gal/bn254.h"
#include "gal/field52x8.h"
#include "kernels.h"
#include "msm_batch.h"
#include "msm_digits.h"
#include "msm_straus.h"
#include "parallel.h"
#include "vector_domain.h"
#include "xyzz_lanes.h"

namespace gal {
namespace cpu {
namespace {

using bn254::Fq;
using bn254::G1Affine;
using bn254::G1XYZZ;

#ifdef GAL_FIELD52X8
using V = FqLanes;
#endif

// Estimated cost of window size c in field multiplications: a batch-affine
// addition is 6, weighted 8 for its loads, stores and deferrals (9 once the
// buckets outgrow 1 MiB and their random accesses miss L2), plus its share
// of a batch's fixed cost (~380 / (nb/2)); every bucket costs ~18 in the
// running-sum reduction on the lanes. The weights are fitted to the fastest
// windows measured on two threads: 10, 11, 12, 13, 13 at 2^12 … 2^16 and
// 15 at 2^20 and 2^22 (2^22: 1.99 s at 15, 2.07 at 16, 2.05–2.18 at 17).
double window_cost(size_t n, int c) {
  const int windows = (kScalarBits + 1 + c - 1) / c;
  const double nb = (double)(1u << (c - 1));
  const double addition = nb * sizeof(G1Affine) > (1 << 20) ? 9.0 : 8.0;
  return (double)windows * ((addition + 760.0 / nb) * (double)n + 18.0 * nb);
}

// At most 17 bits: wider windows' buckets (32 MiB a thread at 20 bits) miss
// every cache, which the model does not see; 20 bits measured 4.89 s at 2^23
// against 4.09–4.24 s at 15–17, and 9.9 s at 2^24 against 8.3 s at 17.
int choose_window(size_t n) {
  int best = 2;
  for (int c = 3; c <= 17; ++c)
    if (window_cost(n, c) < window_cost(n, best)) best = c;
  return best;
}

// Per-worker scratch, reused by every task the worker runs.
struct Scratch {
  const G1Affine *points = nullptr;  // the MSM's points, in this worker's domain
  std::vector<G1Affine> bucket;   // affine bucket sums; (0,0) = empty
  std::vector<G1XYZZ> side;       // overflow sums, valid where side_stamp == stamp
  std::vector<uint32_t> side_stamp;
  BatchQueue<Scratch> queue;
  std::vector<Fq> den, num, prefix;
#ifdef GAL_FIELD52X8
  // The batch as eight-lane vectors: the slope's denominator and numerator,
  // the prefix products, and the bucket's x and y and the point's x.
  std::vector<V> vden, vnum, vprefix, vax, vay, vpx;
  std::vector<__mmask8> vinf;  // lanes whose sum is infinity (p = -a)
#endif
  uint32_t stamp = 0;
  size_t capacity = 0;  // the largest batch the arrays hold
  bool vector = false;  // coordinates in the vector domain (see above)

  void reserve(size_t nb, size_t batch_size) {
    bucket.resize(nb);
    side.resize(nb);
    side_stamp.assign(nb, 0);
    queue.reserve(nb, batch_size);
    capacity = batch_size;
    den.resize(batch_size);
    num.resize(batch_size);
    prefix.resize(batch_size);
#ifdef GAL_FIELD52X8
    for (auto *v : {&vden, &vnum, &vprefix, &vax, &vay, &vpx}) v->resize((batch_size + 7) / 8);
    vinf.resize((batch_size + 7) / 8);
#endif
  }

  G1Affine point(PointRef r) const { return r & 1 ? points[r >> 1].neg() : points[r >> 1]; }

  void side_add(uint32_t b, PointRef r) {
    const G1Affine p = vector ? to_scalar_domain(point(r)) : point(r);
    side[b] = side_stamp[b] == stamp ? side[b].add_affine(p) : G1XYZZ::from_affine(p);
    side_stamp[b] = stamp;
  }

  // The queue's view of the buckets (msm_batch.h).
  bool empty(uint32_t b) const { return bucket[b].is_inf(); }
  void place(uint32_t b, PointRef r) { bucket[b] = point(r); }
  void complete(size_t count);
};

// The slope's denominator and numerator for a + p when a.x == p.x: a
// doubling when a.y == p.y (y ≠ 0 on BN254: no 2-torsion); false when p = -a
// and the sum is infinity.
bool same_x_slope(const Scratch &s, const G1Affine &a, const G1Affine &p, Fq &den, Fq &num) {
  if (a.y != p.y) return false;
  den = a.y.dbl();
  const Fq x2 = s.vector ? to_vector_domain(to_scalar_domain(a.x).sqr()) : a.x.sqr();
  num = x2.dbl() + x2;
  return true;
}

#ifdef GAL_FIELD52X8
// The batch on eight lanes. The first pass gathers buckets and points,
// forms the slopes' fractions and multiplies the denominators into eight
// interleaved prefix-product chains; one scalar inversion serves the eight
// chain totals; the second pass walks back through the chains and finishes
// the additions two vectors at a time, so that their products pair up (one
// product alone waits on its own latency). Lanes past `count` are padding.
void flush_vector(Scratch &s, size_t count) {
  static_assert(sizeof(G1Affine) == 64, "lane offsets are indices << 6");
  const size_t nv = (count + 7) / 8;
  const V one = broadcast_lanes(to_vector_domain(Fq::one())), zero = broadcast_lanes(Fq::zero());
  // Lane c of vector v is addition 8v + c; lanes past `count` read entry 0.
  auto bucket_offsets = [&](size_t v) {
    return lane_offsets(_mm256_maskz_loadu_epi32(live_lanes(count, v), &s.queue.pending_bucket[8 * v]), 6);
  };
  V acc = one;
  for (size_t v = 0; v < nv; ++v) {
    const __mmask8 live = live_lanes(count, v);
    const __m256i refs = _mm256_maskz_loadu_epi32(live, &s.queue.pending_point[8 * v]);
    const __mmask8 negate = _mm256_test_epi32_mask(refs, _mm256_set1_epi32(1));
    const __m512i at_bucket = bucket_offsets(v), at_point = lane_offsets(_mm256_srli_epi32(refs, 1), 6);
    const V x1 = V::gather_at(&s.bucket[0].x, at_bucket), y1 = V::gather_at(&s.bucket[0].y, at_bucket);
    const V x2 = V::gather_at(&s.points[0].x, at_point);
    V y2 = V::gather_at(&s.points[0].y, at_point);
    y2 = V::blend(negate, y2, zero - y2);
    V den = x2 - x1, num = y2 - y1;
    __mmask8 inf = 0;
    const __mmask8 same_x = den.zero_lanes() & live;
    for (int c = 0; c < 8; ++c)
      if ((same_x >> c) & 1) {
        const size_t k = 8 * v + c;
        Fq d, n;
        if (same_x_slope(s, s.bucket[s.queue.pending_bucket[k]], s.point(s.queue.pending_point[k]), d, n)) {
          set_lane_value(den, c, d);
          set_lane_value(num, c, n);
        } else {
          inf |= (__mmask8)(1u << c);
        }
      }
    s.vden[v] = V::blend((__mmask8)~live | inf, den, one);  // padding and infinities stay out of the chains
    s.vnum[v] = num, s.vax[v] = x1, s.vay[v] = y1, s.vpx[v] = x2;
    s.vinf[v] = inf;
    s.vprefix[v] = acc;
    acc = acc.mul_lazy(s.vden[v]);
  }
  acc = acc.reduced();
  // Invert the eight chain totals with one scalar inversion.
  Fq total[8], scratch[8];
  Fq *tp[8];
  const Fq *cp[8];
  for (int c = 0; c < 8; ++c) tp[c] = &total[c], cp[c] = &total[c];
  acc.scatter(tp);
  for (auto &t : total) t = to_scalar_domain(t);
  batch_inverse(total, scratch, 8);
  for (auto &t : total) t = to_vector_domain(t);
  V inv = V::gather(cp);
  auto write = [&](size_t v, const V &x3, const V &y3) {
    const __m512i at = bucket_offsets(v);
    V::blend(s.vinf[v], x3, zero).scatter_at(&s.bucket[0].x, at, live_lanes(count, v));  // infinity is (0, 0)
    V::blend(s.vinf[v], y3, zero).scatter_at(&s.bucket[0].y, at, live_lanes(count, v));
  };
  size_t v = nv;
  if (v % 2) {  // the last vector alone
    --v;
    const V inv_den = inv.mul_lazy(s.vprefix[v]);
    inv = inv.mul_lazy(s.vden[v]);
    const V lambda = s.vnum[v].mul_lazy(inv_den);
    const V x3 = lambda.sqr() - s.vax[v] - s.vpx[v];
    write(v, x3, lambda * (s.vax[v] - x3) - s.vay[v]);
  }
  for (; v > 0; v -= 2) {
    const size_t a = v - 1, b = v - 2;
    V inv_a, inv_b, lambda_a, lambda_b, sq_a, sq_b, y_a, y_b;
    V::products<2, false>({&inv, &inv}, {&s.vprefix[a], &s.vden[a]}, {&inv_a, &inv});
    V::products<2, false>({&inv, &inv}, {&s.vprefix[b], &s.vden[b]}, {&inv_b, &inv});
    V::products<2, false>({&s.vnum[a], &s.vnum[b]}, {&inv_a, &inv_b}, {&lambda_a, &lambda_b});
    V::products<2>({&lambda_a, &lambda_b}, {&lambda_a, &lambda_b}, {&sq_a, &sq_b});
    const V x3_a = sq_a - s.vax[a] - s.vpx[a], x3_b = sq_b - s.vax[b] - s.vpx[b];
    const V dx_a = s.vax[a] - x3_a, dx_b = s.vax[b] - x3_b;
    V::products<2>({&lambda_a, &lambda_b}, {&dx_a, &dx_b}, {&y_a, &y_b});
    write(a, x3_a, y_a - s.vay[a]);
    write(b, x3_b, y_b - s.vay[b]);
  }
}
#endif

// Completes `count` pending additions bucket[b] += p with one inversion.
void flush_batch(Scratch &s, size_t count) {
#ifdef GAL_FIELD52X8
  if (s.vector) return flush_vector(s, count);
#endif
  for (size_t k = 0; k < count; ++k) {
    const G1Affine &a = s.bucket[s.queue.pending_bucket[k]], p = s.point(s.queue.pending_point[k]);
    if (a.x != p.x) {
      s.den[k] = p.x - a.x;
      s.num[k] = p.y - a.y;
    } else if (!same_x_slope(s, a, p, s.den[k], s.num[k])) {
      s.den[k] = Fq::zero();  // p = -a: the sum is infinity
    }
  }
  batch_inverse(s.den.data(), s.prefix.data(), (long)count);
  // The slope and result four additions at a time, step by step, so the
  // four dependency chains (λ, λ², x3, y3) overlap in the core.
  constexpr size_t L = 4;
  for (size_t k0 = 0; k0 < count; k0 += L) {
    const size_t m = std::min(L, count - k0);
    Fq lambda[L], x3[L];
    for (size_t l = 0; l < m; ++l) lambda[l] = s.num[k0 + l] * s.den[k0 + l];
    for (size_t l = 0; l < m; ++l) x3[l] = lambda[l].sqr();
    for (size_t l = 0; l < m; ++l) {
      G1Affine &a = s.bucket[s.queue.pending_bucket[k0 + l]];
      if (s.den[k0 + l].is_zero()) {
        a = G1Affine::inf();
        continue;
      }
      Fq x = x3[l] - a.x - s.points[s.queue.pending_point[k0 + l] >> 1].x;
      a.y = lambda[l] * (a.x - x) - a.y;
      a.x = x;
    }
  }
}

void Scratch::complete(size_t count) { flush_batch(*this, count); }

// Weighted sum of window w's digits over points [lo, hi): Σ_b (b+1)·bucket_b.
G1XYZZ window_partial(Scratch &s, const G1Affine *points, const uint8_t *scalars, size_t lo, size_t hi,
                      const Window &win) {
  const size_t nb = size_t(1) << (win.width - 1);
  s.points = points;
  std::memset((void *)s.bucket.data(), 0, nb * sizeof(G1Affine));
  ++s.stamp;
  s.queue.start(std::min(s.capacity, std::max<size_t>(window_reach(win) / 2, 4)));
  offer_digits(
      scalars, lo, hi, win, [&](size_t i) { return points[i].is_inf(); },
      [&](uint32_t b) { __builtin_prefetch(&s.bucket[b]); }, [&](uint32_t b, PointRef r) { s.queue.add(s, b, r); });
  s.queue.finish(s);

#ifdef GAL_FIELD52X8
  if (s.vector && nb >= 64)
    return reduce_bucket_slices<V, G1XYZZ>(s.bucket.data(), nb,
                                           [&](size_t b) { return s.side_stamp[b] == s.stamp ? &s.side[b] : nullptr; });
#endif
  G1XYZZ running = G1XYZZ::inf(), total = G1XYZZ::inf();
  for (size_t b = nb; b-- > 0;) {
    running = running.add_affine(s.vector ? to_scalar_domain(s.bucket[b]) : s.bucket[b]);
    if (s.side_stamp[b] == s.stamp) running = running.add(s.side[b]);
    total = total.add(running);
  }
  return total;
}

void write_point(const G1Affine &p, uint8_t *out) {
  if (p.is_inf()) {
    std::memset(out, 0, 64);
    return;
  }
  p.x.to_bytes(out);
  p.y.to_bytes(out + 32);
}

#ifdef GAL_FIELD52X8
// Points [lo, hi) into the vector domain eight at a time: each coordinate
// is one product by 2^520 mod q away (x·2^520·2^-260), and the curve check
// y² = x³ + 3 runs on the lanes in that domain too. Reports an index through
// bad_point (a coordinate not below q) or off_curve.
template <class BadPoint, class OffCurve>
void load_points_vector(const uint8_t *points, size_t lo, size_t hi, G1Affine *mont, BadPoint &&bad_point,
                        OffCurve &&off_curve) {
  static_assert(sizeof(G1Affine) == 64, "the wire and memory layouts share offsets");
  const V b = V::broadcast(V::constant(Fq::from_u64(3))), zero = broadcast_lanes(Fq::zero());
  const __m512i at = _mm512_setr_epi64(0, 64, 128, 192, 256, 320, 384, 448);
  for (size_t i0 = lo; i0 < hi; i0 += 8) {
    const __mmask8 live = live_lanes(hi - i0, 0);
    __mmask8 bad = 0;
    const uint8_t *base = points + 64 * i0;
    V X = load_coordinates(base, at, live, &bad), Y = load_coordinates(base + 32, at, live, &bad);
    X = V::blend(bad, X, zero), Y = V::blend(bad, Y, zero);  // a bad point reads as infinity
    const __mmask8 inf = X.zero_lanes() & Y.zero_lanes();
    V XX, YY;
    V::products<2>({&X, &Y}, {&X, &Y}, {&XX, &YY});
    const __mmask8 off = live & ~inf & ~(YY - (XX * X + b)).zero_lanes();
    store_loaded_points(X, Y, live, bad, off, i0, at, mont, bad_point, off_curve);
  }
}
#endif

// Reads and checks the inputs; returns the index of the first bad one or n.
Status load_inputs(const uint8_t *points, const uint8_t *scalars, size_t n, unsigned threads,
                   [[maybe_unused]] bool vector, G1Affine *mont) {
  std::atomic<size_t> bad_point{n}, bad_scalar{n}, off_curve{n};
  parallel_range(n, threads, 4096, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      u64 k[4];
      std::memcpy(k, scalars + 32 * i, 32);
      if (!bn254::Fr::limbs_below_modulus(k)) keep_lowest(bad_scalar, i);
    }
#ifdef GAL_FIELD52X8
    if (vector)
      return load_points_vector(points, lo, hi, mont, [&](size_t i) { keep_lowest(bad_point, i); },
                                [&](size_t i) { keep_lowest(off_curve, i); });
#endif
    for (size_t i = lo; i < hi; ++i) {
      const uint8_t *p = points + 64 * i;
      G1Affine &a = mont[i];
      if (!Fq::from_bytes(p, a.x) || !Fq::from_bytes(p + 32, a.y)) {
        keep_lowest(bad_point, i);
        a = G1Affine::inf();
      } else if (!a.on_curve()) {
        keep_lowest(off_curve, i);
      }
    }
  });
  auto at = [](size_t i) { return std::to_string(i); };
  if (bad_scalar < n)
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected scalar " + at(bad_scalar) + " to be below r but received a larger value");
  if (bad_point < n)
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected point " + at(bad_point) + " coordinates below q but received a larger value");
  if (off_curve < n)
    return Status::fail("GAL_ERR_NOT_ON_CURVE", "Expected point " + at(off_curve) + " on BN254 G1 but received a point off the curve");
  return Status{};
}

}  // namespace

unsigned msm_window_bits(size_t n) { return (unsigned)choose_window(n); }

Status msm_g1(const uint8_t *points, const uint8_t *scalars, size_t n, unsigned threads, unsigned window_bits,
              uint8_t *out) {
  if (n >> 31)  // PointRef holds an index below 2^31
    return Status::fail("GAL_ERR_SIZE_LIMIT", "Expected fewer than 2^31 points but received " + std::to_string(n));
  if (threads == 0) threads = hardware_threads();
  try {
    std::unique_ptr<G1Affine[]> mont(new G1Affine[n ? n : 1]);
    const bool vector = vector_arithmetic();
    Status st = load_inputs(points, scalars, n, threads, vector, mont.get());
    if (!st.ok()) return st;

    if (window_bits == 0 && n <= kStrausPoints) {
      std::vector<G1Affine> few(mont.get(), mont.get() + n);
      if (vector)
        for (auto &p : few) p = to_scalar_domain(p);
      write_point(msm_straus<G1XYZZ>(few.data(), scalars, n).to_affine(), out);
      return Status{};
    }
    const int c = window_bits ? (int)window_bits : choose_window(n);
    const std::vector<Window> wins = cut_windows(c);
    const int windows = (int)wins.size();
    const size_t nb = size_t(1) << (wins[0].width - 1);  // the widest window's buckets
    // Batches of at most 1024: since the inversion became cheap, smaller
    // batches (fewer vectors in flight) measure faster than 2048 at 2^16 and
    // the same at 2^18.
    const size_t batch = std::clamp<size_t>(nb / 2, 4, 1024);
    // Enough tasks to keep every thread busy, but chunks no smaller than the
    // bucket count (below that the reduction dominates).
    size_t chunks = std::max<size_t>(1, ((size_t)threads * 2 + windows - 1) / windows);
    chunks = std::max<size_t>(1, std::min(chunks, n / std::max<size_t>(nb, 1)));
    const size_t step = (n + chunks - 1) / std::max<size_t>(chunks, 1);
    const unsigned workers = std::max(1u, std::min<unsigned>(threads, (unsigned)(windows * chunks)));

    std::vector<Scratch> scratch(workers);
    for (auto &s : scratch) {
      s.reserve(nb, batch);
      s.vector = vector;
    }
    std::vector<G1XYZZ> partial(windows * chunks, G1XYZZ::inf());

    parallel_for((size_t)windows * chunks, workers, [&](size_t task, unsigned worker) {
      size_t w = task / chunks, k = task % chunks;
      size_t lo = k * step, hi = std::min(n, lo + step);
      if (lo < hi) partial[task] = window_partial(scratch[worker], mont.get(), scalars, lo, hi, wins[w]);
    });

    G1XYZZ acc = G1XYZZ::inf();
    for (int w = windows - 1; w >= 0; --w) {
      for (int i = 0; i < wins[w].width; ++i) acc = acc.dbl();
      for (size_t k = 0; k < chunks; ++k) acc = acc.add(partial[w * chunks + k]);
    }
    write_point(acc.to_affine(), out);
    return Status{};
  } catch (const std::bad_alloc &) {
    return Status::fail("GAL_ERR_OUT_OF_MEMORY", "Expected memory for an MSM of " + std::to_string(n) + " points but the allocation failed");
  }
}

}  // namespace cpu
}  // namespace gal
