// Runs the CUDA kernels' per-thread steps (native/cuda/steps) on the CPU, one
// "thread" after another over the grid the GPU launches, with std::sort and
// a serial prefix sum where the GPU uses CUB. test/integration/cuda-steps.test.ts
// compares the results with the CPU backend, so the GPU's indexing, digit,
// bucket, reduction, NTT pass and Poseidon logic is tested on every machine.
//
//   cuda_steps_check msm IN_POINTS IN_SCALARS WINDOW_BITS OUT
//   cuda_steps_check ntt IN_VALUES INVERSE(0|1) SHIFT_FILE|- OUT
//   cuda_steps_check poseidon IN_INPUTS ARITY CONSTANTS OUT
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

#include "../cuda/steps/msm_steps.h"
#include "../cuda/steps/ntt_steps.h"
#include "../cuda/steps/poseidon_steps.h"

using namespace gal;
using namespace gal::gpu;

static std::vector<uint8_t> read_file(const char *path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

static void write_file(const char *path, const std::vector<uint8_t> &bytes) {
  std::ofstream(path, std::ios::binary).write((const char *)bytes.data(), bytes.size());
}

static int msm(const char *points_path, const char *scalars_path, unsigned c, const char *out_path) {
  const auto wire = read_file(points_path), scalar_bytes = read_file(scalars_path);
  const u32 n = wire.size() / 64;
  std::vector<G1Affine> points(n);
  for (u32 i = 0; i < n; ++i)
    if (msm_point_from_wire(&wire[64 * i], points[i])) return std::fprintf(stderr, "bad point %u\n", i), 2;
  std::vector<u64> scalars(4 * n);
  std::memcpy(scalars.data(), scalar_bytes.data(), 32 * n);

  const unsigned windows = msm_windows(c);
  const u32 per_window = u32(1) << (c - 1), buckets = windows * per_window;
  std::vector<Point> bucket(buckets, Point::inf());
  // Two chunks when there are enough points, as the GPU splits large inputs.
  const u32 chunk = n >= 8 ? (n + 1) / 2 : n;
  for (u32 base = 0; base < n; base += chunk) {
    const u32 cn = std::min(chunk, n - base), cm = windows * cn;
    std::vector<u32> keys(cm), vals(cm);
    for (u32 i = 0; i < cn; ++i)
      if (!msm_digits(&scalars[4 * (base + i)], i, cn, c, keys.data(), vals.data())) return 3;
    std::vector<u32> order(cm);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](u32 a, u32 b) { return keys[a] < keys[b]; });
    std::vector<u32> sk(cm), sv(cm);
    for (u32 j = 0; j < cm; ++j) sk[j] = keys[order[j]], sv[j] = vals[order[j]];
    std::vector<u32> start(buckets, 0), end(buckets, 0), count(buckets), seg_first(buckets);
    for (u32 j = 0; j < cm; ++j) msm_bucket_bounds(sk.data(), j, cm, buckets, start.data(), end.data());
    for (u32 b = 0; b < buckets; ++b) count[b] = msm_segments(start.data(), end.data(), b);
    std::exclusive_scan(count.begin(), count.end(), seg_first.begin(), 0u);
    const u32 segs = seg_first.back() + count.back(), most = *std::max_element(count.begin(), count.end());
    std::vector<u32> seg_bucket(segs);
    std::vector<Point> partial(segs);
    for (u32 k = 0; k < segs; ++k)
      msm_segment_sum(&points[base], sv.data(), start.data(), end.data(), seg_first.data(), buckets, k, seg_bucket.data(), partial.data());
    for (u32 s = 1; s < most; s *= 2)
      for (u32 k = 0; k < segs; ++k) msm_fold_segments(seg_first.data(), seg_bucket.data(), start.data(), end.data(), k, s, partial.data());
    for (u32 b = 0; b < buckets; ++b) msm_accumulate(seg_first.data(), start.data(), end.data(), partial.data(), b, bucket.data());
  }
  std::vector<Point> T = bucket, R, T2, R2;
  u32 items = per_window;
  unsigned log_span = 0;
  bool first = true;
  while (items > 1) {
    const u32 L = msm_level_width(items), groups = items / L;
    T2.assign(windows * groups, Point::inf());
    R2.assign(windows * groups, Point::inf());
    for (u32 idx = 0; idx < windows * groups; ++idx)
      msm_group_level(T.data(), first ? nullptr : R.data(), items, L, log_span, idx, T2.data(), R2.data());
    T.swap(T2), R.swap(R2);
    items = groups, log_span += __builtin_ctz(L), first = false;
  }
  std::vector<uint8_t> out(64);
  const G1Affine a = msm_horner(T.data(), first ? nullptr : R.data(), windows, c).to_affine();
  a.x.to_bytes(&out[0]);
  a.y.to_bytes(&out[32]);
  write_file(out_path, out);
  return 0;
}

static int ntt(const char *values_path, bool inverse, const char *shift_path, const char *out_path) {
  const auto bytes = read_file(values_path);
  const u32 n = bytes.size() / 32;
  const unsigned log_n = __builtin_ctz(n), tab_log = std::max(log_n, 1u);
  std::vector<Fr> x(n), twiddles(size_t(1) << (tab_log - 1)), pw;
  for (u32 i = 0; i < n; ++i) Fr::from_bytes(&bytes[32 * i], x[i]);
  for (u32 i = 0; i * kPowerRun < twiddles.size(); ++i) powers_run(bn254::root_of_unity(tab_log, inverse), i, twiddles.size(), twiddles.data());
  Fr shift = Fr::one();
  if (std::strcmp(shift_path, "-")) Fr::from_bytes(read_file(shift_path).data(), shift);
  pw.resize(n);
  for (u32 i = 0; i * kPowerRun < n; ++i) powers_run(inverse ? shift.inverse() : shift, i, n, pw.data());
  if (!inverse)
    for (u32 i = 0; i < n; ++i) x[i] = x[i] * pw[i];
  NttPass passes[3];
  const unsigned count = ntt_plan(log_n, passes);
  for (unsigned p = 0; p < count; ++p) {
    const NttPass &pass = passes[p];
    const u32 tile = 1u << pass.tile_log();
    std::vector<Fr> shared(tile);
    for (size_t block = 0; block < n / tile; ++block) {
      for (u32 e = 0; e < tile; ++e) shared[e] = x[pass.index(block, e)];
      for (unsigned j = 0; j < pass.k; ++j)
        for (u32 q = 0; q < tile / 2; ++q) pass.butterfly(shared.data(), block, q, j, twiddles.data(), tab_log);
      for (u32 e = 0; e < tile; ++e) x[pass.index(block, e)] = shared[e];
    }
  }
  const Fr n_inv = Fr::from_u64(n).inverse();
  std::vector<uint8_t> out(32 * n);
  for (u32 i = 0; i < n; ++i) {
    Fr y = x[bit_reverse(i, log_n)];
    if (inverse) y = y * n_inv * pw[i];
    y.to_bytes(&out[32 * i]);
  }
  write_file(out_path, out);
  return 0;
}

struct HostConstants {
  const Fr *k;
  Fr operator()(int i) const { return k[i]; }
};

static int poseidon(const char *inputs_path, int arity, const char *constants_path, const char *out_path) {
  const auto in = read_file(inputs_path), kb = read_file(constants_path);
  // The constants file holds c ‖ m ‖ partial; rp follows from its length.
  const int total = kb.size() / 32;
  PoseidonLayout layout;
  if (!PoseidonLayout::from_size(arity + 1, total, layout)) return std::fprintf(stderr, "constants: %d elements fit no round count\n", total), 2;
  std::vector<Fr> k(total);
  for (int i = 0; i < total; ++i) Fr::from_bytes(&kb[32 * i], k[i]);
  const size_t count = in.size() / (32 * arity);
  std::vector<uint8_t> out(32 * count);
  for (size_t h = 0; h < count; ++h) {
    Fr s[kPoseidonMaxWidth] = {Fr::zero()};
    for (int i = 0; i < arity; ++i) Fr::from_bytes(&in[32 * (h * arity + i)], s[i + 1]);
    poseidon_permute(s, layout, HostConstants{k.data()});
    s[0].to_bytes(&out[32 * h]);
  }
  write_file(out_path, out);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && !std::strcmp(argv[1], "msm")) return msm(argv[2], argv[3], std::atoi(argv[4]), argv[5]);
  if (argc == 6 && !std::strcmp(argv[1], "ntt")) return ntt(argv[2], argv[3][0] == '1', argv[4], argv[5]);
  if (argc == 6 && !std::strcmp(argv[1], "poseidon")) return poseidon(argv[2], std::atoi(argv[3]), argv[4], argv[5]);
  std::fprintf(stderr, "usage: see the top of cuda_steps_check.cpp\n");
  return 1;
}
