// Pippenger MSM over BN254 G2, for Groth16's B query: unsigned windows,
// affine buckets filled by batched additions, a running-sum reduction per
// window in XYZZ, windows spread over the threads (split by point range when
// there are few windows).
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "../include/gal/bn254_g2.h"
#include "kernels.h"
#include "parallel.h"

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

// Bits [lo, lo + width) of a 256-bit little-endian scalar.
inline uint32_t digit(const uint8_t *s, int lo, int width) {
  uint32_t d = 0;
  for (int b = 0; b < width; ++b) {
    int bit = lo + b;
    if (bit < 256) d |= (uint32_t)((s[bit >> 3] >> (bit & 7)) & 1) << b;
  }
  return d;
}

// Bucket sums in affine form, filled by batches of independent additions
// that share one inversion (Montgomery's trick): about 17 Fq products an
// addition against 28 for a mixed XYZZ one. A point whose bucket already
// waits in the batch is deferred to the next; past four batches' worth of
// deferred points (skewed scalars: all equal, say) further ones go to a
// per-bucket XYZZ side sum, so skew costs XYZZ speed rather than a batch
// (and an inversion) per point.
class AffineBuckets {
 public:
  void reset(size_t nb) {
    bucket.assign(nb, G2Affine::inf());
    side.assign(nb, G2XYZZ::inf());
    queued.assign(nb, 0);
    batch = std::max<size_t>(1, nb / 2);  // measured best at 2^14 (nb/4, nb/8: more inversions)
    pend_bucket.resize(batch);
    pend_point.resize(batch);
    den.resize(batch);
    num.resize(batch);
    scratch.resize(batch);
    deferred.clear();
    count = 0;
    ++batch_id;
    flushed = false;
  }

  // bucket[b] += p. Deferred points are offered again after each flush
  // (and may fill and flush the next batch themselves).
  void add(uint32_t b, const G2Affine &p) {
    offer(b, p);
    while (flushed) {
      flushed = false;
      if (!deferred.empty()) reoffer_deferred();
    }
  }

  // Completes every pending and deferred addition.
  void finish() {
    flush();
    while (!deferred.empty()) {
      reoffer_deferred();
      flush();
    }
  }

  // Σ_b (b+1)·(bucket_b + side_b) as a running sum from the top.
  G2XYZZ weighted_sum() const {
    G2XYZZ running = G2XYZZ::inf(), sum = G2XYZZ::inf();
    for (size_t b = bucket.size(); b-- > 0;) {
      running = running.add_affine(bucket[b]);
      if (!side[b].is_inf()) running = running.add(side[b]);
      sum = sum.add(running);
    }
    return sum;
  }

 private:
  struct Deferred {
    uint32_t bucket;
    G2Affine point;
  };

  void offer(uint32_t b, const G2Affine &p) {
    if (queued[b] == batch_id) {
      if (deferred.size() < 4 * batch) deferred.push_back({b, p});
      else side[b] = side[b].add_affine(p);
      return;
    }
    if (bucket[b].is_inf()) {
      bucket[b] = p;
      return;
    }
    queued[b] = batch_id;
    pend_bucket[count] = b;
    pend_point[count] = p;
    if (++count == batch) flush();
  }

  void reoffer_deferred() {
    retry.swap(deferred);
    deferred.clear();
    for (const auto &d : retry) offer(d.bucket, d.point);
  }

  void flush() {
    for (size_t k = 0; k < count; ++k) {
      const G2Affine &a = bucket[pend_bucket[k]], &p = pend_point[k];
      if (!(a.x == p.x)) {
        den[k] = p.x - a.x;
        num[k] = p.y - a.y;
      } else if (a.y == p.y) {  // a doubling: y ≠ 0, the twist's group has odd order
        den[k] = a.y.dbl();
        const Fq2 x2 = a.x.sqr();
        num[k] = x2.dbl() + x2;
      } else {
        den[k] = Fq2::zero();  // p = -a: the sum is infinity
      }
    }
    batch_inverse(den.data(), scratch.data(), (long)count);
    for (size_t k = 0; k < count; ++k) {
      G2Affine &a = bucket[pend_bucket[k]];
      if (den[k].is_zero()) {
        a = G2Affine::inf();
        continue;
      }
      const Fq2 lambda = num[k] * den[k], x = lambda.sqr() - a.x - pend_point[k].x;
      a.y = lambda * (a.x - x) - a.y;
      a.x = x;
    }
    count = 0;
    ++batch_id;
    flushed = true;
  }

  std::vector<G2Affine> bucket;  // (0,0) = empty
  std::vector<G2XYZZ> side;
  std::vector<uint32_t> queued;  // queued[b] == batch_id: b already has a pending addition
  std::vector<uint32_t> pend_bucket;
  std::vector<G2Affine> pend_point;
  std::vector<Fq2> den, num, scratch;
  std::vector<Deferred> deferred, retry;
  size_t batch = 1, count = 0;
  uint32_t batch_id = 0;
  bool flushed = false;
};

G2XYZZ window_sum(const G2Affine *points, const uint8_t *scalars, size_t lo, size_t hi, int shift, int width,
                  AffineBuckets &buckets) {
  buckets.reset((size_t(1) << width) - 1);
  for (size_t i = lo; i < hi; ++i) {
    uint32_t d = digit(scalars + 32 * i, shift, width);
    if (d && !points[i].is_inf()) buckets.add(d - 1, points[i]);
  }
  buckets.finish();
  return buckets.weighted_sum();
}

}  // namespace

Status msm_g2(const uint8_t *points, const uint8_t *scalars, size_t n, unsigned threads, uint8_t *out) {
  if (threads == 0) threads = hardware_threads();
  try {
    const Fq2 b = twist_b();
    std::unique_ptr<G2Affine[]> mont(new G2Affine[n ? n : 1]);
    Status bad;
    std::mutex bad_lock;
    auto fail = [&](const char *code, std::string message) {
      std::lock_guard<std::mutex> hold(bad_lock);
      if (bad.ok()) bad = Status::fail(code, std::move(message));
    };
    parallel_range(n, threads, 1024, [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) {
        const uint8_t *p = points + 128 * i;
        G2Affine &q = mont[i];
        if (!Fq::from_bytes(p, q.x.c0) || !Fq::from_bytes(p + 32, q.x.c1) || !Fq::from_bytes(p + 64, q.y.c0) ||
            !Fq::from_bytes(p + 96, q.y.c1)) {
          fail("GAL_ERR_FIELD_RANGE", "Expected G2 coordinates below q for point " + std::to_string(i));
          return;
        }
        if (!q.on_curve(b)) {
          fail("GAL_ERR_NOT_ON_CURVE", "Expected a point on the BN254 G2 twist for point " + std::to_string(i));
          return;
        }
        Fr s;
        if (!Fr::from_bytes(scalars + 32 * i, s)) {
          fail("GAL_ERR_FIELD_RANGE", "Expected a scalar below r for scalar " + std::to_string(i));
          return;
        }
      }
    });
    if (!bad.ok()) return bad;

    const int c = std::max(2, (int)msm_window_bits(n) - 1);  // G2 buckets cost 3× G1's: a narrower window
    const int windows = (254 + c - 1) / c;
    size_t chunks = std::max<size_t>(1, ((size_t)threads * 2 + windows - 1) / windows);
    chunks = std::max<size_t>(1, std::min(chunks, n >> c));
    const size_t step = (n + chunks - 1) / chunks;
    std::vector<G2XYZZ> partial(windows * chunks, G2XYZZ::inf());
    std::vector<AffineBuckets> buckets(threads);
    parallel_for((size_t)windows * chunks, threads, [&](size_t task, unsigned worker) {
      size_t w = task / chunks, k = task % chunks;
      size_t lo = k * step, hi = std::min(n, lo + step);
      int width = std::min(c, 254 - (int)w * c);
      if (lo < hi) partial[task] = window_sum(mont.get(), scalars, lo, hi, (int)w * c, width, buckets[worker]);
    });
    G2XYZZ acc = G2XYZZ::inf();
    for (int w = windows - 1; w >= 0; --w) {
      int width = std::min(c, 254 - w * c);
      for (int i = 0; i < width; ++i) acc = acc.dbl();
      for (size_t k = 0; k < chunks; ++k) acc = acc.add(partial[w * chunks + k]);
    }
    if (acc.is_inf()) {
      std::memset(out, 0, 128);
    } else {
      Fq2 inv = (acc.ZZ * acc.ZZZ).inverse();
      Fq2 x = acc.X * (inv * acc.ZZZ), y = acc.Y * (inv * acc.ZZ);
      x.c0.to_bytes(out);
      x.c1.to_bytes(out + 32);
      y.c0.to_bytes(out + 64);
      y.c1.to_bytes(out + 96);
    }
    return Status{};
  } catch (const std::bad_alloc &) {
    return Status::fail("GAL_ERR_OUT_OF_MEMORY", "Expected memory for a G2 MSM of " + std::to_string(n) + " points but the allocation failed");
  }
}

}  // namespace cpu
}  // namespace gal
