// Work splitting for the CPU kernels: `threads` workers (the calling thread is
// one of them) pull task indices from a shared counter until none are left.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace gal {
namespace cpu {

inline unsigned hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

// Lowers slot to i where i is smaller: workers that meet bad inputs in any
// order still report the first one.
inline void keep_lowest(std::atomic<size_t> &slot, size_t i) {
  size_t cur = slot.load();
  while (i < cur && !slot.compare_exchange_weak(cur, i)) {}
}

// fn(task, worker) is called once for each task in [0, tasks); worker is in
// [0, threads) so callers can keep per-worker scratch space.
template <class Fn>
void parallel_for(size_t tasks, unsigned threads, Fn &&fn) {
  if (tasks == 0) return;
  threads = std::max(1u, std::min<unsigned>(threads, (unsigned)std::min<size_t>(tasks, 1024)));
  if (threads == 1) {
    for (size_t t = 0; t < tasks; ++t) fn(t, 0u);
    return;
  }
  std::atomic<size_t> next{0};
  auto run = [&](unsigned worker) {
    for (size_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < tasks;) fn(t, worker);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned w = 1; w < threads; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto &t : pool) t.join();
}

// Splits [0, n) into contiguous chunks of at least `grain` items.
template <class Fn>
void parallel_range(size_t n, unsigned threads, size_t grain, Fn &&fn) {
  size_t chunks = std::max<size_t>(1, std::min<size_t>(n / std::max<size_t>(grain, 1), (size_t)threads * 4));
  size_t step = (n + chunks - 1) / chunks;
  parallel_for(chunks, threads, [&](size_t c, unsigned) {
    size_t lo = c * step, hi = std::min(n, lo + step);
    if (lo < hi) fn(lo, hi);
  });
}

}  // namespace cpu
}  // namespace gal
