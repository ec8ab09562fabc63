// The pending additions of an MSM window, for G1 and G2 alike. bucket[b] +=
// point r goes straight into an empty bucket, else into the batch, whose
// additions share one inversion and so may each touch a different bucket. A
// point whose bucket already waits in the batch is deferred to the next
// one; once four batches' worth are deferred (skewed scalars: all equal,
// say) further ones go to the bucket's XYZZ side sum, and so do those left
// deferred at the window's end, so skew costs XYZZ speed rather than a
// batch, and an inversion, per point.
//
// Buckets is the caller's storage: bool empty(b), void place(b, r) into an
// empty bucket, void side_add(b, r), and void complete(count), which does
// the batch's additions bucket[pending_bucket[k]] += pending_point[k].
#pragma once
#include <cstdint>
#include <vector>

#include "msm_digits.h"

namespace gal {
namespace cpu {

template <class Buckets>
class BatchQueue {
 public:
  std::vector<uint32_t> pending_bucket;
  std::vector<PointRef> pending_point;

  // Room for nb buckets and batches of up to `capacity` additions.
  void reserve(size_t nb, size_t capacity) {
    queued.assign(nb, 0);
    pending_bucket.resize(capacity);
    pending_point.resize(capacity);
    deferred.reserve(4 * capacity);
    retry.reserve(4 * capacity);
  }

  // A new window, in batches of `size` additions (at most the capacity).
  void start(size_t size) {
    batch = size;
    count = 0;
    ++batch_id;  // every bucket's queued mark is stale now
    deferred.clear();
    flushed = false;
  }

  // bucket[b] += point r; after each flush the deferred points are offered
  // again (and may fill and flush the next batch themselves).
  void add(Buckets &to, uint32_t b, PointRef r) {
    offer(to, b, r);
    retry_deferred(to);
  }

  // Ends the window: the deferred points go round again while their batches
  // still fill a vector's eight lanes; what is left (skew: points that only
  // meet their own bucket again) goes to side sums.
  void finish(Buckets &to) {
    for (size_t last = flush(to); !deferred.empty() && last >= 8; last = flush(to)) retry_deferred(to);
    for (const auto &d : deferred) to.side_add(d.bucket, d.point);
    deferred.clear();
  }

 private:
  struct Deferred {
    uint32_t bucket;
    PointRef point;
  };

  void offer(Buckets &to, uint32_t b, PointRef r) {
    if (queued[b] == batch_id) {
      if (deferred.size() < 4 * batch) deferred.push_back({b, r});
      else to.side_add(b, r);
      return;
    }
    if (to.empty(b)) {
      to.place(b, r);
      return;
    }
    queued[b] = batch_id;
    pending_bucket[count] = b;
    pending_point[count] = r;
    if (++count == batch) flush(to);
  }

  void retry_deferred(Buckets &to) {
    while (flushed && !deferred.empty()) {
      flushed = false;
      retry.swap(deferred);
      for (const auto &d : retry) offer(to, d.bucket, d.point);
      retry.clear();
    }
  }

  // Completes the batch; returns how many additions it held.
  size_t flush(Buckets &to) {
    const size_t done = count;
    if (count) to.complete(count);  // an empty batch would still pay its inversion
    count = 0;
    ++batch_id;
    flushed = true;
    return done;
  }

  std::vector<uint32_t> queued;  // queued[b] == batch_id: b already waits in the batch
  std::vector<Deferred> deferred, retry;
  size_t batch = 1, count = 0;
  uint32_t batch_id = 0;
  bool flushed = false;
};

}  // namespace cpu
}  // namespace gal
