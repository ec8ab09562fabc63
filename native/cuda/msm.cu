// Multi-scalar multiplication over BN254 G1 on the GPU: signed window digits
// computed on the device, one radix sort of (bucket, point) pairs for all
// windows, bucket sums in XYZZ split into segments (so skewed scalars spread
// over many threads), a level-by-level parallel running-sum reduction per
// window, and Horner's rule over the window sums on the host. The per-thread
// work is in steps/msm_steps.h.
//
// Inputs larger than a chunk (or than free device memory allows) run chunk by
// chunk: the host copies chunk k+2 into a pinned staging buffer while the
// copy stream moves chunk k+1 to the device and the compute stream works on
// chunk k. Bucket sums accumulate across chunks.
#include <cub/cub.cuh>

#include <algorithm>
#include <cstring>

#include "api.h"
#include "steps/msm_steps.h"

namespace gal {
namespace cuda {

using gpu::G1Affine;
using gpu::Point;
using gpu::u32;

namespace {

constexpr unsigned kLight = 256;       // threads a block for index and memory work
constexpr unsigned kHeavy = 128;       // threads a block for point arithmetic (many registers each)
constexpr size_t kMaxChunk = size_t(1) << 22;
constexpr unsigned long long kNone = ~0ull;

unsigned blocks(size_t n, unsigned threads) { return (unsigned)((n + threads - 1) / threads); }

__global__ void points_from_wire_kernel(const uint8_t *wire, u32 n, unsigned long long base, G1Affine *out,
                                        unsigned long long *bad /* [0] range, [1] curve */) {
  const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int r = gpu::msm_point_from_wire(wire + 64ull * i, out[i]);
  if (r) atomicMin(&bad[r - 1], base + i);
}

__global__ void digits_kernel(const u64 *scalars, u32 n, unsigned c, unsigned long long base, u32 *keys, u32 *vals,
                              unsigned long long *bad) {
  const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  if (!gpu::msm_digits(scalars + 4ull * i, i, n, c, keys, vals)) atomicMin(bad, base + i);
}

__global__ void bounds_kernel(const u32 *keys, u32 m, u32 sentinel, u32 *start, u32 *end) {
  const u32 j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j < m) gpu::msm_bucket_bounds(keys, j, m, sentinel, start, end);
}

__global__ void segment_count_kernel(const u32 *start, const u32 *end, u32 buckets, u32 *count) {
  const u32 b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b < buckets) count[b] = gpu::msm_segments(start, end, b);
}

__global__ void totals_kernel(const u32 *seg_first, const u32 *count, u32 buckets, u32 *totals) {
  totals[0] = seg_first[buckets - 1] + count[buckets - 1];
}

__global__ void segment_sum_kernel(const G1Affine *points, const u32 *vals, const u32 *start, const u32 *end,
                                   const u32 *seg_first, u32 buckets, u32 segs, u32 *seg_bucket, Point *partial) {
  const u32 k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < segs) gpu::msm_segment_sum(points, vals, start, end, seg_first, buckets, k, seg_bucket, partial);
}

__global__ void fold_kernel(const u32 *seg_first, const u32 *seg_bucket, const u32 *start, const u32 *end, u32 segs,
                            u32 s, Point *partial) {
  const u32 k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < segs) gpu::msm_fold_segments(seg_first, seg_bucket, start, end, k, s, partial);
}

__global__ void accumulate_kernel(const u32 *seg_first, const u32 *start, const u32 *end, const Point *partial,
                                  u32 buckets, Point *bucket) {
  const u32 b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b < buckets) gpu::msm_accumulate(seg_first, start, end, partial, b, bucket);
}

__global__ void fill_infinity_kernel(Point *p, u32 n) {
  const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] = Point::inf();
}

__global__ void group_level_kernel(const Point *T, const Point *R, u32 items, u32 L, unsigned log_span, u32 total,
                                   Point *T_out, Point *R_out) {
  const u32 idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < total) gpu::msm_group_level(T, R, items, L, log_span, idx, T_out, R_out);
}

// Owns the events of one call.
struct Events {
  cudaEvent_t e[4] = {};
  Events() {
    for (auto &x : e) CUDA_OK(cudaEventCreateWithFlags(&x, cudaEventDisableTiming));
  }
  ~Events() {
    for (auto x : e)
      if (x) cudaEventDestroy(x);
  }
};

// Timing events of one call's phases (Context::msm_phase_ms).
struct PhaseEvents {
  cudaEvent_t digits = nullptr, sort = nullptr, sorted = nullptr, sums = nullptr, summed = nullptr, reduced = nullptr;
  PhaseEvents() {
    for (cudaEvent_t *e : {&digits, &sort, &sorted, &sums, &summed, &reduced}) CUDA_OK(cudaEventCreate(e));
  }
  ~PhaseEvents() {
    for (cudaEvent_t e : {digits, sort, sorted, sums, summed, reduced})
      if (e) cudaEventDestroy(e);
  }
  static float ms(cudaEvent_t from, cudaEvent_t to) {
    float t = 0;
    CUDA_OK(cudaEventElapsedTime(&t, from, to));
    return t;
  }
};

// The first failing index of each kind, in the CPU kernel's order of report.
void report(const unsigned long long bad[3], size_t n) {
  if (bad[2] < n) fail("GAL_ERR_FIELD_RANGE", "Expected scalar " + std::to_string(bad[2]) + " to be below r but received a larger value");
  if (bad[0] < n) fail("GAL_ERR_FIELD_RANGE", "Expected point " + std::to_string(bad[0]) + " coordinates below q but received a larger value");
  if (bad[1] < n) fail("GAL_ERR_NOT_ON_CURVE", "Expected point " + std::to_string(bad[1]) + " on BN254 G1 but received a point off the curve");
}

}  // namespace

unsigned msm_window_bits(size_t n) {
  unsigned lg = 0;
  while ((size_t(1) << lg) < n) ++lg;
  return std::min(16u, std::max(8u, lg > 4 ? lg - 4 : 0u));
}

Status upload_points(int device, const uint8_t *points, size_t n, ResidentPoints &out) {
  return guarded(device, [&](Context &ctx) {
    if (n == 0 || n > kMaxPoints) fail("GAL_ERR_INVALID_ARGUMENT", "Expected from 1 to " + std::to_string(kMaxPoints) + " points but received " + std::to_string(n));
    uint8_t *wire = ctx.buffer("msm.upload").as<uint8_t>(64 * n, "the points being uploaded");
    G1Affine *dst = out.points.as<G1Affine>(n, "resident points");
    auto *bad = ctx.buffer("msm.bad").as<unsigned long long>(3, "error flags");
    CUDA_OK(cudaMemsetAsync(bad, 0xff, 3 * sizeof(unsigned long long), ctx.compute));
    CUDA_OK(cudaMemcpyAsync(wire, points, 64 * n, cudaMemcpyHostToDevice, ctx.compute));
    points_from_wire_kernel<<<blocks(n, kLight), kLight, 0, ctx.compute>>>(wire, (u32)n, 0, dst, bad);
    CUDA_OK(cudaGetLastError());
    unsigned long long host_bad[3];
    CUDA_OK(cudaMemcpyAsync(host_bad, bad, sizeof host_bad, cudaMemcpyDeviceToHost, ctx.compute));
    CUDA_OK(cudaStreamSynchronize(ctx.compute));
    host_bad[2] = kNone;
    report(host_bad, n);
    out.device = device;
    out.generation = generation(device);
    out.n = (u32)n;
  });
}

Status msm_g1(int device, const uint8_t *points, const ResidentPoints *resident, const uint8_t *scalars, size_t n,
              unsigned window_bits, uint8_t *out) {
  return guarded(device, [&](Context &ctx) {
    if (resident && (resident->device != device || resident->generation != generation(device)))
      fail("GAL_ERR_DEVICE_LOST", "Expected resident points on CUDA device " + std::to_string(device) +
                                      " but they were lost with a device reset or belong to another device; upload them again");
    if (resident && resident->n != n)
      fail("GAL_ERR_INVALID_ARGUMENT", "Expected " + std::to_string(resident->n) + " scalars, one per resident point, but received " + std::to_string(n));
    if (n == 0) {  // the empty sum: infinity
      std::memset(out, 0, 64);
      return;
    }
    if (n > kMaxPoints) fail("GAL_ERR_INVALID_ARGUMENT", "Expected at most " + std::to_string(kMaxPoints) + " points but received " + std::to_string(n));
    const unsigned c = window_bits ? window_bits : msm_window_bits(n);
    const unsigned windows = gpu::msm_windows(c);
    const u32 per_window = u32(1) << (c - 1), buckets = windows * per_window;
    const int end_bit = 32 - __builtin_clz(buckets);  // keys run up to the sentinel `buckets`
    const bool own_points = resident == nullptr;
    const size_t in_unit = 32 + (own_points ? 64 : 0);

    // Chunk size: kMaxChunk, halved until the chunk's working set fits in
    // most of the free memory beside the per-bucket arrays.
    size_t free = 0, total = 0;
    CUDA_OK(cudaMemGetInfo(&free, &total));
    // A point of a chunk: its input twice (double-buffered), its converted
    // form, and per window a digit's key and value before and after the sort,
    // CUB's alternate copies of both, and its share of a segment's bucket and
    // sum (1/64 of 132 bytes).
    const size_t per_point = 2 * in_unit + (own_points ? 64 : 0) + windows * (8 + 8 + 8 + 3);
    // A bucket: its running sum, start, end, segment count and first
    // segment, one partial segment (bucket index and sum), and its share of
    // the window reduction's four level buffers (a quarter of the buckets each).
    const size_t fixed = (size_t)buckets * (128 + 16 + 132 + 4 * 128 / 4);
    size_t chunk = std::min(n, kMaxChunk);
    while (chunk > 65536 && fixed + chunk * per_point > free / 10 * 8) chunk /= 2;
    const size_t chunks = (n + chunk - 1) / chunk, cm_max = windows * chunk;
    const size_t max_segs = cm_max / gpu::kSegment + buckets;

    // One chunk is copied straight from the caller's memory (the driver
    // stages pageable memory itself, pipelined); several go through pinned
    // staging, so the host's copy of a chunk overlaps the device's work.
    const bool staged = chunks > 1;
    uint8_t *d_in[2], *h_stage[2] = {nullptr, nullptr};
    for (int s = 0; s < (staged ? 2 : 1); ++s) {
      d_in[s] = ctx.buffer(s ? "msm.in1" : "msm.in0").as<uint8_t>(chunk * in_unit, "an MSM input chunk");
      if (staged) h_stage[s] = static_cast<uint8_t *>(ctx.staging[s].ensure(chunk * in_unit));
    }
    G1Affine *converted = own_points ? ctx.buffer("msm.points").as<G1Affine>(chunk, "converted points") : nullptr;
    u32 *keys_in = ctx.buffer("msm.keys_in").as<u32>(cm_max, "MSM digits");
    u32 *vals_in = ctx.buffer("msm.vals_in").as<u32>(cm_max, "MSM digit points");
    u32 *keys = ctx.buffer("msm.keys").as<u32>(cm_max, "sorted MSM digits");
    u32 *vals = ctx.buffer("msm.vals").as<u32>(cm_max, "sorted MSM digit points");
    u32 *start = ctx.buffer("msm.start").as<u32>(buckets, "bucket starts");
    u32 *end = ctx.buffer("msm.end").as<u32>(buckets, "bucket ends");
    u32 *count = ctx.buffer("msm.count").as<u32>(buckets, "bucket segment counts");
    u32 *seg_first = ctx.buffer("msm.seg_first").as<u32>(buckets, "bucket first segments");
    u32 *seg_bucket = ctx.buffer("msm.seg_bucket").as<u32>(max_segs, "segment buckets");
    Point *partial = ctx.buffer("msm.partial").as<Point>(max_segs, "segment sums");
    Point *bucket = ctx.buffer("msm.buckets").as<Point>(buckets, "bucket sums");
    u32 *totals = ctx.buffer("msm.totals").as<u32>(2, "segment totals");
    auto *bad = ctx.buffer("msm.bad").as<unsigned long long>(3, "error flags");
    auto *host_small = static_cast<unsigned long long *>(ctx.small.ensure(64));

    size_t sort_bytes = 0, scan_bytes = 0, max_bytes = 0;
    CUDA_OK(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, keys_in, keys, vals_in, vals, (int)cm_max, 0, end_bit));
    CUDA_OK(cub::DeviceScan::ExclusiveSum(nullptr, scan_bytes, count, seg_first, (int)buckets));
    CUDA_OK(cub::DeviceReduce::Max(nullptr, max_bytes, count, totals + 1, (int)buckets));
    void *temp = ctx.buffer("msm.cub").ensure(std::max({sort_bytes, scan_bytes, max_bytes}), "sort and scan scratch");
    const size_t temp_bytes = ctx.buffer("msm.cub").bytes();

    CUDA_OK(cudaMemsetAsync(bad, 0xff, 3 * sizeof(unsigned long long), ctx.compute));
    fill_infinity_kernel<<<blocks(buckets, kLight), kLight, 0, ctx.compute>>>(bucket, buckets);
    CUDA_OK(cudaGetLastError());

    Events ev;  // copied[slot] = e[slot], consumed[slot] = e[2 + slot]
    // Phase times add up over the chunks. Each pair is read after a
    // synchronisation of the compute stream that follows it, so both of its
    // events are complete: a chunk's bucket sums at the next chunk's.
    PhaseEvents phase;
    float phase_ms[4] = {0, 0, 0, 0};
    auto stage = [&](size_t k) {
      const int slot = k % 2;
      const size_t base = k * chunk, cn = std::min(chunk, n - base);
      const uint8_t *from_scalars = scalars + 32 * base, *from_points = own_points ? points + 64 * base : nullptr;
      if (staged) {
        if (k >= 2) CUDA_OK(cudaEventSynchronize(ev.e[slot]));  // the staging buffer's last copy is done
        std::memcpy(h_stage[slot], from_scalars, 32 * cn);
        if (own_points) std::memcpy(h_stage[slot] + 32 * chunk, from_points, 64 * cn);
        from_scalars = h_stage[slot], from_points = h_stage[slot] + 32 * chunk;
      }
      if (k >= 2) CUDA_OK(cudaStreamWaitEvent(ctx.copy, ev.e[2 + slot], 0));  // the device slot was read
      CUDA_OK(cudaMemcpyAsync(d_in[slot], from_scalars, 32 * cn, cudaMemcpyHostToDevice, ctx.copy));
      if (own_points) CUDA_OK(cudaMemcpyAsync(d_in[slot] + 32 * chunk, from_points, 64 * cn, cudaMemcpyHostToDevice, ctx.copy));
      CUDA_OK(cudaEventRecord(ev.e[slot], ctx.copy));
    };

    stage(0);
    if (chunks > 1) stage(1);
    for (size_t k = 0; k < chunks; ++k) {
      const int slot = k % 2;
      const size_t base = k * chunk;
      const u32 cn = (u32)std::min(chunk, n - base), cm = windows * cn;
      CUDA_OK(cudaStreamWaitEvent(ctx.compute, ev.e[slot], 0));
      if (k == 0) ctx.mark_begin();
      CUDA_OK(cudaEventRecord(phase.digits, ctx.compute));
      const G1Affine *pts = own_points ? converted : resident->points.get<G1Affine>() + base;
      if (own_points)
        points_from_wire_kernel<<<blocks(cn, kLight), kLight, 0, ctx.compute>>>(d_in[slot] + 32 * chunk, cn, base, converted, bad);
      digits_kernel<<<blocks(cn, kLight), kLight, 0, ctx.compute>>>(reinterpret_cast<const u64 *>(d_in[slot]), cn, c, base,
                                                                     keys_in, vals_in, bad + 2);
      CUDA_OK(cudaGetLastError());
      CUDA_OK(cudaEventRecord(ev.e[2 + slot], ctx.compute));

      CUDA_OK(cudaEventRecord(phase.sort, ctx.compute));
      size_t bytes = temp_bytes;
      CUDA_OK(cub::DeviceRadixSort::SortPairs(temp, bytes, keys_in, keys, vals_in, vals, (int)cm, 0, end_bit, ctx.compute));
      CUDA_OK(cudaMemsetAsync(start, 0, buckets * sizeof(u32), ctx.compute));
      CUDA_OK(cudaMemsetAsync(end, 0, buckets * sizeof(u32), ctx.compute));
      bounds_kernel<<<blocks(cm, kLight), kLight, 0, ctx.compute>>>(keys, cm, buckets, start, end);
      segment_count_kernel<<<blocks(buckets, kLight), kLight, 0, ctx.compute>>>(start, end, buckets, count);
      CUDA_OK(cudaGetLastError());
      bytes = temp_bytes;
      CUDA_OK(cub::DeviceScan::ExclusiveSum(temp, bytes, count, seg_first, (int)buckets, ctx.compute));
      bytes = temp_bytes;
      CUDA_OK(cub::DeviceReduce::Max(temp, bytes, count, totals + 1, (int)buckets, ctx.compute));
      totals_kernel<<<1, 1, 0, ctx.compute>>>(seg_first, count, buckets, totals);
      CUDA_OK(cudaGetLastError());
      CUDA_OK(cudaEventRecord(phase.sorted, ctx.compute));
      CUDA_OK(cudaMemcpyAsync(host_small, totals, 2 * sizeof(u32), cudaMemcpyDeviceToHost, ctx.compute));
      CUDA_OK(cudaStreamSynchronize(ctx.compute));
      phase_ms[0] += PhaseEvents::ms(phase.digits, phase.sort);
      phase_ms[1] += PhaseEvents::ms(phase.sort, phase.sorted);
      if (k > 0) phase_ms[2] += PhaseEvents::ms(phase.sums, phase.summed);
      u32 segs, most;
      std::memcpy(&segs, host_small, 4);
      std::memcpy(&most, reinterpret_cast<uint8_t *>(host_small) + 4, 4);
      CUDA_OK(cudaEventRecord(phase.sums, ctx.compute));
      if (segs) {
        segment_sum_kernel<<<blocks(segs, kHeavy), kHeavy, 0, ctx.compute>>>(pts, vals, start, end, seg_first, buckets, segs,
                                                                             seg_bucket, partial);
        for (u32 s = 1; s < most; s *= 2)
          fold_kernel<<<blocks(segs, kHeavy), kHeavy, 0, ctx.compute>>>(seg_first, seg_bucket, start, end, segs, s, partial);
        accumulate_kernel<<<blocks(buckets, kHeavy), kHeavy, 0, ctx.compute>>>(seg_first, start, end, partial, buckets, bucket);
        CUDA_OK(cudaGetLastError());
      }
      CUDA_OK(cudaEventRecord(phase.summed, ctx.compute));
      // The host fills staging for chunk k+2 while the device sums this
      // chunk's buckets: queued before the copy, the sums keep the GPU busy.
      if (k + 2 < chunks) stage(k + 2);
    }

    // Each window's Σ (b+1)·B_b, level by level (msm_steps.h); the first level's output is the largest.
    const size_t level_max = std::max<size_t>(windows, (size_t)windows * per_window / gpu::msm_level_width(per_window));
    Point *level_t[2] = {ctx.buffer("msm.level_t0").as<Point>(level_max, "window reduction"),
                         ctx.buffer("msm.level_t1").as<Point>(level_max, "window reduction")};
    Point *level_r[2] = {ctx.buffer("msm.level_r0").as<Point>(level_max, "window reduction"),
                         ctx.buffer("msm.level_r1").as<Point>(level_max, "window reduction")};
    const Point *T = bucket, *R = nullptr;
    u32 items = per_window;
    unsigned log_span = 0;
    for (int side = 0; items > 1; side ^= 1) {
      const u32 L = gpu::msm_level_width(items), groups = items / L, all = windows * groups;
      group_level_kernel<<<blocks(all, 64), 64, 0, ctx.compute>>>(T, R, items, L, log_span, all, level_t[side], level_r[side]);
      CUDA_OK(cudaGetLastError());
      T = level_t[side], R = level_r[side];
      items = groups;
      log_span += __builtin_ctz(L);
    }
    CUDA_OK(cudaEventRecord(phase.reduced, ctx.compute));
    ctx.mark_end();
    std::vector<Point> sums(2 * windows, Point::inf());
    CUDA_OK(cudaMemcpyAsync(sums.data(), T, windows * sizeof(Point), cudaMemcpyDeviceToHost, ctx.compute));
    if (R) CUDA_OK(cudaMemcpyAsync(sums.data() + windows, R, windows * sizeof(Point), cudaMemcpyDeviceToHost, ctx.compute));
    unsigned long long host_bad[3];
    CUDA_OK(cudaMemcpyAsync(host_bad, bad, sizeof host_bad, cudaMemcpyDeviceToHost, ctx.compute));
    CUDA_OK(cudaStreamSynchronize(ctx.compute));
    report(host_bad, n);
    phase_ms[2] += PhaseEvents::ms(phase.sums, phase.summed);
    phase_ms[3] = PhaseEvents::ms(phase.summed, phase.reduced);
    std::copy(phase_ms, phase_ms + 4, ctx.msm_phase_ms);

    const G1Affine a = gpu::msm_horner(sums.data(), R ? sums.data() + windows : nullptr, windows, c).to_affine();
    a.x.to_bytes(out);
    a.y.to_bytes(out + 32);
  });
}

}  // namespace cuda
}  // namespace gal
