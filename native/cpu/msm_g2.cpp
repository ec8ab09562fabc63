// Pippenger MSM over BN254 G2, for Groth16's B query: signed (Booth) window
// digits as in the G1 MSM, affine buckets filled by batched additions, a
// running-sum reduction per window in XYZZ, windows spread over the threads
// (split by point range when there are few windows). Where the CPU has
// AVX-512 IFMA the batches and the reduction run eight at a time, each Fq2
// value a pair of Field52x8 vectors. A few points take Straus's method
// instead (msm_straus.h).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "gal/bn254_g2.h"
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
using bn254::Fq2;
using bn254::Fr;
using bn254::G2Affine;
using bn254::G2XYZZ;

// 3/(9+u), the twist's b, in standard form.
const u64 kB2c0[4] = {0x3267e6dc24a138e5ULL, 0xb5b4c5e559dbefa3ULL, 0x81be18991be06ac3ULL, 0x2b149d40ceb8aaaeULL};
const u64 kB2c1[4] = {0xe4a2bd0685c315d2ULL, 0xa74fa084e52d1852ULL, 0xcd2cafadeed8fdf4ULL, 0x009713b03af0fed4ULL};

Fq2 twist_b() {
  Fq2 b;
  Fq::from_limbs(kB2c0, b.c0);
  Fq::from_limbs(kB2c1, b.c1);
  return b;
}

// The slope's denominator and numerator of a + p when a.x == p.x and a.y ==
// p.y: a doubling (y ≠ 0: the twist's group has odd order). `vector`: the
// values are in the vector domain, and so are the results.
void doubling_slope(const G2Affine &a, bool vector, Fq2 &den, Fq2 &num) {
  den = a.y.dbl();
  const Fq2 x2 = vector ? to_vector_domain(to_scalar_domain(a.x).sqr()) : a.x.sqr();
  num = x2.dbl() + x2;
}

// Bucket sums in affine form, filled by batches of independent additions
// that share one inversion (Montgomery's trick): about 17 Fq products an
// addition against 28 for a mixed XYZZ one, the batches kept by
// msm_batch.h's queue. With `vector`, points and buckets are in the vector
// domain; the side sums stay in the scalar one.
class AffineBuckets {
 public:
  void reset(const G2Affine *points_in, const Window &win, bool vector_in) {
    const size_t nb = size_t(1) << (win.width - 1);
    points = points_in;
    vector = vector_in;
    bucket.assign(nb, G2Affine::inf());
    side.assign(nb, G2XYZZ::inf());
    const size_t batch = std::max<size_t>(1, window_reach(win) / 2);  // measured best at 2^14 (a quarter, an eighth: more inversions)
    queue.reserve(nb, batch);
    queue.start(batch);
    den.resize(batch);
    num.resize(batch);
    scratch.resize(batch);
#ifdef GAL_FIELD52X8
    for (auto *v : {&vden, &vnum, &vprefix, &vax, &vay, &vpx}) v->resize((batch + 7) / 8);
    vinf.resize((batch + 7) / 8);
#endif
  }

  // bucket[b] += point r.
  void add(uint32_t b, PointRef r) { queue.add(*this, b, r); }

  // The first look at bucket b is its emptiness: fetch it ahead.
  void prefetch(uint32_t b) const { __builtin_prefetch(&bucket[b]); }

  // Completes the window's additions.
  void finish() { queue.finish(*this); }

  // The queue's view of the buckets (msm_batch.h).
  bool empty(uint32_t b) const { return bucket[b].is_inf(); }
  void place(uint32_t b, PointRef r) { bucket[b] = point(r); }
  void side_add(uint32_t b, PointRef r) { side[b] = side[b].add_affine(vector ? to_scalar_domain(point(r)) : point(r)); }
  void complete(size_t count) {
#ifdef GAL_FIELD52X8
    if (vector) return flush_vector(count);
#endif
    flush_scalar(count);
  }

  // Σ_b (b+1)·(bucket_b + side_b) as a running sum from the top.
  G2XYZZ weighted_sum() const {
#ifdef GAL_FIELD52X8
    if (vector && bucket.size() >= 64)
      return reduce_bucket_slices<Fq2Lanes, G2XYZZ>(bucket.data(), bucket.size(),
                                                    [&](size_t b) { return side[b].is_inf() ? nullptr : &side[b]; });
#endif
    G2XYZZ running = G2XYZZ::inf(), sum = G2XYZZ::inf();
    for (size_t b = bucket.size(); b-- > 0;) {
      running = running.add_affine(vector ? to_scalar_domain(bucket[b]) : bucket[b]);
      if (!side[b].is_inf()) running = running.add(side[b]);
      sum = sum.add(running);
    }
    return sum;
  }

 private:
  G2Affine point(PointRef r) const { return r & 1 ? points[r >> 1].neg() : points[r >> 1]; }

  void flush_scalar(size_t count) {
    for (size_t k = 0; k < count; ++k) {
      const G2Affine &a = bucket[queue.pending_bucket[k]], p = point(queue.pending_point[k]);
      if (!(a.x == p.x)) {
        den[k] = p.x - a.x;
        num[k] = p.y - a.y;
      } else if (a.y == p.y) {
        doubling_slope(a, false, den[k], num[k]);
      } else {
        den[k] = Fq2::zero();  // p = -a: the sum is infinity
      }
    }
    batch_inverse(den.data(), scratch.data(), (long)count);
    for (size_t k = 0; k < count; ++k) {
      G2Affine &a = bucket[queue.pending_bucket[k]];
      if (den[k].is_zero()) {
        a = G2Affine::inf();
        continue;
      }
      const Fq2 lambda = num[k] * den[k], x = lambda.sqr() - a.x - points[queue.pending_point[k] >> 1].x;
      a.y = lambda * (a.x - x) - a.y;
      a.x = x;
    }
  }

#ifdef GAL_FIELD52X8
  // The batch on eight lanes, as the G1 batch: gather the buckets and points
  // and form the slopes' fractions, multiply the denominators into eight
  // interleaved prefix chains, invert the eight chain totals with one scalar
  // batch inversion, then walk back finishing the additions. Lanes past
  // `count` are padding.
  void flush_vector(size_t count) {
    static_assert(sizeof(G2Affine) == 128, "lane offsets are indices << 7");
    const size_t nv = (count + 7) / 8;
    const Fq2Lanes one = broadcast_lanes(to_vector_domain(Fq2::one())), zero = broadcast_lanes(Fq2::zero());
    // Lane c of vector v is addition 8v + c; lanes past `count` read entry 0.
    auto bucket_offsets = [&](size_t v) {
      return lane_offsets(_mm256_maskz_loadu_epi32(live_lanes(count, v), &queue.pending_bucket[8 * v]), 7);
    };
    Fq2Lanes acc = one;
    for (size_t v = 0; v < nv; ++v) {
      const __mmask8 live = live_lanes(count, v);
      const __m256i refs = _mm256_maskz_loadu_epi32(live, &queue.pending_point[8 * v]);
      const __mmask8 negate = _mm256_test_epi32_mask(refs, _mm256_set1_epi32(1));
      const __m512i at_bucket = bucket_offsets(v), at_point = lane_offsets(_mm256_srli_epi32(refs, 1), 7);
      const Fq2Lanes x1 = Fq2Lanes::gather_at(&bucket[0].x, at_bucket), y1 = Fq2Lanes::gather_at(&bucket[0].y, at_bucket);
      const Fq2Lanes x2 = Fq2Lanes::gather_at(&points[0].x, at_point);
      Fq2Lanes y2 = Fq2Lanes::gather_at(&points[0].y, at_point);
      y2 = Fq2Lanes::blend(negate, y2, zero - y2);
      Fq2Lanes d = x2 - x1, n = y2 - y1;
      __mmask8 inf = 0;
      const __mmask8 same_x = d.zero_lanes() & live;
      for (int c = 0; c < 8; ++c)
        if ((same_x >> c) & 1) {
          const size_t k = 8 * v + c;
          const G2Affine &a = bucket[queue.pending_bucket[k]];
          if (a.y == point(queue.pending_point[k]).y) {
            Fq2 dd, nn;
            doubling_slope(a, true, dd, nn);
            set_lane_value(d, c, dd);
            set_lane_value(n, c, nn);
          } else {
            inf |= (__mmask8)(1u << c);
          }
        }
      vden[v] = Fq2Lanes::blend((__mmask8)~live | inf, d, one);  // padding and infinities stay out of the chains
      vnum[v] = n, vax[v] = x1, vay[v] = y1, vpx[v] = x2;
      vinf[v] = inf;
      vprefix[v] = acc;
      acc = acc.mul<true>(vden[v]);
    }
    // Invert the eight chain totals: 1/(a + bu) = (a − bu)/(a² + b²), the
    // norms and the conjugates' scaling on the lanes, the norms' inverses by
    // one scalar batch inversion in Fq.
    const Fq2Lanes total = acc.reduced();
    FqLanes aa, bb;
    FqLanes::products<2>({&total.c0, &total.c1}, {&total.c0, &total.c1}, {&aa, &bb});
    Fq norm[8], scratch8[8];
    Fq *np[8];
    const Fq *cp[8];
    for (int c = 0; c < 8; ++c) np[c] = &norm[c], cp[c] = &norm[c];
    (aa + bb).scatter(np);
    for (auto &x : norm) x = to_scalar_domain(x);
    batch_inverse(norm, scratch8, 8);
    for (auto &x : norm) x = to_vector_domain(x);
    const FqLanes norm_inv = FqLanes::gather(cp);
    FqLanes r0, r1;
    FqLanes::products<2>({&total.c0, &total.c1}, {&norm_inv, &norm_inv}, {&r0, &r1});
    Fq2Lanes inv{r0, zero.c0 - r1};
    for (size_t v = nv; v-- > 0;) {
      const Fq2Lanes inv_den = inv.mul<true>(vprefix[v]);
      inv = inv.mul<true>(vden[v]);
      const Fq2Lanes lambda = vnum[v].mul(inv_den);
      const Fq2Lanes x3 = lambda.sqr() - vax[v] - vpx[v];
      const Fq2Lanes y3 = lambda.mul(vax[v] - x3) - vay[v];
      const __m512i at = bucket_offsets(v);
      Fq2Lanes::blend(vinf[v], x3, zero).scatter_at(&bucket[0].x, at, live_lanes(count, v));  // infinity is (0, 0)
      Fq2Lanes::blend(vinf[v], y3, zero).scatter_at(&bucket[0].y, at, live_lanes(count, v));
    }
  }
#endif

  const G2Affine *points = nullptr;
  bool vector = false;
  std::vector<G2Affine> bucket;  // (0,0) = empty
  std::vector<G2XYZZ> side;
  BatchQueue<AffineBuckets> queue;
  std::vector<Fq2> den, num, scratch;
#ifdef GAL_FIELD52X8
  // The batch as eight-lane vectors: the slope's denominator and numerator,
  // the prefix products, the bucket's x and y and the point's x.
  std::vector<Fq2Lanes> vden, vnum, vprefix, vax, vay, vpx;
  std::vector<__mmask8> vinf;  // lanes whose sum is infinity (p = -a)
#endif
};

// Estimated cost of window size c: per point and window an addition (a
// batch's share of its inversion adds 1/16 at nb = 1024), per bucket about
// three times that in the running-sum reduction on IFMA lanes, nine times
// on scalar arithmetic. Fitted to 2^14 points, one thread: c = 9…13
// measured 51, 43, 40, 41, 49 ms on the lanes and 113, 106, 108, 117,
// 150 ms without them.
int choose_window(size_t n, bool vector) {
  const double per_bucket = vector ? 3.0 : 9.0;
  auto cost = [&](int c) {
    const double nb = (double)(1u << (c - 1)), windows = (double)cut_windows(c).size();
    return windows * ((1.0 + 64.0 / nb) * (double)n + per_bucket * nb);
  };
  int best = 2;
  for (int c = 3; c <= 20; ++c)
    if (cost(c) < cost(best)) best = c;
  return best;
}

#ifdef GAL_FIELD52X8
// Points [lo, hi) into the vector domain eight at a time, checked on the
// twist y² = x³ + b on the lanes, as the G1 load does. Reports an index
// through bad_point (a coordinate not below q) or off_curve.
template <class BadPoint, class OffCurve>
void load_points_vector(const uint8_t *points, size_t lo, size_t hi, const Fq2 &b, G2Affine *mont,
                        BadPoint &&bad_point, OffCurve &&off_curve) {
  static_assert(sizeof(G2Affine) == 128, "the wire and memory layouts share offsets");
  const Fq2Lanes twist_b = broadcast_lanes(to_vector_domain(b)), zero = broadcast_lanes(Fq2::zero());
  const __m512i at = _mm512_setr_epi64(0, 128, 256, 384, 512, 640, 768, 896);
  for (size_t i0 = lo; i0 < hi; i0 += 8) {
    const __mmask8 live = live_lanes(hi - i0, 0);
    __mmask8 bad = 0;
    const uint8_t *base = points + 128 * i0;
    Fq2Lanes X{load_coordinates(base, at, live, &bad), load_coordinates(base + 32, at, live, &bad)};
    Fq2Lanes Y{load_coordinates(base + 64, at, live, &bad), load_coordinates(base + 96, at, live, &bad)};
    X = Fq2Lanes::blend(bad, X, zero), Y = Fq2Lanes::blend(bad, Y, zero);  // a bad point reads as infinity
    const __mmask8 inf = X.zero_lanes() & Y.zero_lanes();
    const __mmask8 off = live & ~inf & ~(Y.sqr() - (X.sqr() * X + twist_b)).zero_lanes();
    store_loaded_points(X, Y, live, bad, off, i0, at, mont, bad_point, off_curve);
  }
}
#endif

G2XYZZ window_sum(const G2Affine *points, const uint8_t *scalars, size_t lo, size_t hi, const Window &win,
                  bool vector, AffineBuckets &buckets) {
  buckets.reset(points, win, vector);
  offer_digits(
      scalars, lo, hi, win, [&](size_t i) { return points[i].is_inf(); }, [&](uint32_t b) { buckets.prefetch(b); },
      [&](uint32_t b, PointRef r) { buckets.add(b, r); });
  buckets.finish();
  return buckets.weighted_sum();
}

// x.c0‖x.c1‖y.c0‖y.c1, affine; infinity as zeros.
void write_point(const G2XYZZ &p, uint8_t *out) {
  const G2Affine a = p.to_affine();  // (0, 0) at infinity
  a.x.c0.to_bytes(out);
  a.x.c1.to_bytes(out + 32);
  a.y.c0.to_bytes(out + 64);
  a.y.c1.to_bytes(out + 96);
}

}  // namespace

Status msm_g2(const uint8_t *points, const uint8_t *scalars, size_t n, unsigned threads, uint8_t *out) {
  if (n >> 31)  // PointRef holds an index below 2^31
    return Status::fail("GAL_ERR_SIZE_LIMIT", "Expected fewer than 2^31 points but received " + std::to_string(n));
  if (threads == 0) threads = hardware_threads();
  try {
    const Fq2 b = twist_b();
    const bool vector = vector_arithmetic();
    std::unique_ptr<G2Affine[]> mont(new G2Affine[n ? n : 1]);
    std::atomic<size_t> bad_scalar{n}, bad_point{n}, off_curve{n};
    parallel_range(n, threads, 1024, [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) {
        u64 k[4];
        std::memcpy(k, scalars + 32 * i, 32);
        if (!Fr::limbs_below_modulus(k)) keep_lowest(bad_scalar, i);
      }
#ifdef GAL_FIELD52X8
      if (vector)
        load_points_vector(points, lo, hi, b, mont.get(), [&](size_t i) { keep_lowest(bad_point, i); },
                           [&](size_t i) { keep_lowest(off_curve, i); });
      else
#endif
        for (size_t i = lo; i < hi; ++i) {
          const uint8_t *p = points + 128 * i;
          G2Affine &q = mont[i];
          if (!Fq::from_bytes(p, q.x.c0) || !Fq::from_bytes(p + 32, q.x.c1) || !Fq::from_bytes(p + 64, q.y.c0) ||
              !Fq::from_bytes(p + 96, q.y.c1)) {
            keep_lowest(bad_point, i);
            q = G2Affine::inf();
          } else if (!q.on_curve(b)) {
            keep_lowest(off_curve, i);
          }
        }
    });
    if (bad_scalar < n)
      return Status::fail("GAL_ERR_FIELD_RANGE", "Expected a scalar below r for scalar " + std::to_string(bad_scalar.load()));
    if (bad_point < n)
      return Status::fail("GAL_ERR_FIELD_RANGE", "Expected G2 coordinates below q for point " + std::to_string(bad_point.load()));
    if (off_curve < n)
      return Status::fail("GAL_ERR_NOT_ON_CURVE", "Expected a point on the BN254 G2 twist for point " + std::to_string(off_curve.load()));

    if (n <= kStrausPoints) {
      std::vector<G2Affine> few(mont.get(), mont.get() + n);
      if (vector)
        for (auto &p : few) p = to_scalar_domain(p);
      write_point(msm_straus<G2XYZZ>(few.data(), scalars, n), out);
      return Status{};
    }
    const int c = choose_window(n, vector);
    const std::vector<Window> wins = cut_windows(c);
    const int windows = (int)wins.size();
    size_t chunks = std::max<size_t>(1, ((size_t)threads * 2 + windows - 1) / windows);
    chunks = std::max<size_t>(1, std::min(chunks, n >> (c - 1)));
    const size_t step = (n + chunks - 1) / chunks;
    std::vector<G2XYZZ> partial(windows * chunks, G2XYZZ::inf());
    std::vector<AffineBuckets> buckets(threads);
    parallel_for((size_t)windows * chunks, threads, [&](size_t task, unsigned worker) {
      size_t w = task / chunks, k = task % chunks;
      size_t lo = k * step, hi = std::min(n, lo + step);
      if (lo < hi) partial[task] = window_sum(mont.get(), scalars, lo, hi, wins[w], vector, buckets[worker]);
    });
    G2XYZZ acc = G2XYZZ::inf();
    for (int w = windows - 1; w >= 0; --w) {
      for (int i = 0; i < wins[w].width; ++i) acc = acc.dbl();
      for (size_t k = 0; k < chunks; ++k) acc = acc.add(partial[w * chunks + k]);
    }
    write_point(acc, out);
    return Status{};
  } catch (const std::bad_alloc &) {
    return Status::fail("GAL_ERR_OUT_OF_MEMORY", "Expected memory for a G2 MSM of " + std::to_string(n) + " points but the allocation failed");
  }
}

}  // namespace cpu
}  // namespace gal
