// Radix-2 NTT over BN254 Fr, natural order in and out.
//
// Roots match ffjavascript: ω_{2^k} = 5^((r-1)/2^28) squared 28-k times, so
// forward(a)_k = Σ_j a_j ω^{jk} and inverse includes 1/n. The transform is a
// decimation-in-frequency pass (natural → bit-reversed) followed by one
// permutation pass that also scales and converts back to canonical bytes.
// Stages whose butterflies span more than a cache block sweep the whole array
// (twiddles made on the fly, amortised over the blocks); the remaining stages
// run block by block inside the cache, with twiddles from a shared table.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "gal/bn254.h"
#include "kernels.h"
#include "parallel.h"

namespace gal {
namespace cpu {
namespace {

using bn254::Fr;
using bn254::FrParams;

constexpr int kMaxLog = FrParams::two_adicity;
constexpr int kTableLog = 15;          // shared twiddle tables cover half-sizes up to 2^14
constexpr size_t kBlock = size_t(1) << 14;  // 512 KiB of Fr: in-cache stages

// ω_{2^k} for k = 0..28, and their inverses.
struct Roots {
  Fr w[kMaxLog + 1], wi[kMaxLog + 1];
  // table[h + j] = ω_{2h}^j for h = 2^0 .. 2^(kTableLog-1), j < h.
  std::vector<Fr> table, table_inv;

  Roots() {
    u64 t[4];  // t = (r - 1) / 2^28
    for (int i = 0; i < 4; ++i) t[i] = Fr::p(i);
    t[0] -= 1;
    for (int i = 0; i < 4; ++i) t[i] = (t[i] >> kMaxLog) | (i < 3 ? t[i + 1] << (64 - kMaxLog) : 0);
    w[kMaxLog] = Fr::from_u64(FrParams::generator).pow(t);
    wi[kMaxLog] = w[kMaxLog].inverse();
    for (int k = kMaxLog - 1; k >= 0; --k) {
      w[k] = w[k + 1].sqr();
      wi[k] = wi[k + 1].sqr();
    }
    const size_t size = size_t(1) << kTableLog;
    table.resize(size);
    table_inv.resize(size);
    for (int k = 1; k <= kTableLog; ++k) {
      size_t h = size_t(1) << (k - 1);
      Fr a = Fr::one(), b = Fr::one();
      for (size_t j = 0; j < h; ++j) {
        table[h + j] = a;
        table_inv[h + j] = b;
        a *= w[k];
        b *= wi[k];
      }
    }
  }
};

const Roots &roots() {
  static const Roots r;  // thread-safe lazy init
  return r;
}

inline void butterfly(Fr &a, Fr &b, const Fr &w) {
  Fr u = a, v = b;
  a = u + v;
  b = (u - v) * w;
}

// DIF stages with half-size h = from_h, from_h/2, …, to_h on a[0..len),
// twiddles from the shared table (requires from_h < 2^kTableLog).
void dif_local(Fr *a, size_t len, size_t from_h, size_t to_h, const Fr *table) {
  for (size_t h = from_h; h >= to_h && h >= 1; h >>= 1) {
    const Fr *tw = table + h;
    for (size_t base = 0; base < len; base += 2 * h)
      for (size_t j = 0; j < h; ++j) butterfly(a[base + j], a[base + j + h], tw[j]);
  }
}

// One DIF stage with half-size h over the whole array, h ≥ kBlock.
void dif_wide_stage(Fr *a, size_t n, size_t h, const Fr &w_2h, unsigned threads) {
  constexpr size_t kRun = 256;  // twiddles computed per run, reused across all blocks
  const size_t runs = h / kRun;
  std::vector<Fr> start(runs);  // start[r] = ω^(r·kRun)
  const Fr step = w_2h.pow((u64)kRun);
  start[0] = Fr::one();
  for (size_t r = 1; r < runs; ++r) start[r] = start[r - 1] * step;
  parallel_for(runs, threads, [&](size_t r, unsigned) {
    Fr tw[kRun];
    tw[0] = start[r];
    for (size_t j = 1; j < kRun; ++j) tw[j] = tw[j - 1] * w_2h;
    for (size_t base = 0; base < n; base += 2 * h) {
      Fr *x = a + base + r * kRun;
      for (size_t j = 0; j < kRun; ++j) butterfly(x[j], x[j + h], tw[j]);
    }
  });
}

inline size_t bit_reverse(size_t i, int bits) {
  if (bits == 0) return 0;
  u64 x = i;
  x = ((x >> 1) & 0x5555555555555555ULL) | ((x & 0x5555555555555555ULL) << 1);
  x = ((x >> 2) & 0x3333333333333333ULL) | ((x & 0x3333333333333333ULL) << 2);
  x = ((x >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((x & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return (size_t)(__builtin_bswap64(x) >> (64 - bits));
}

Status ntt_impl(const uint8_t *in, uint8_t *out, size_t n, bool inverse, const uint8_t *coset_shift,
                unsigned threads) {
  int log = 0;
  while ((size_t(1) << log) < n) ++log;
  if (n == 0 || (size_t(1) << log) != n || log > kMaxLog)
    return Status::fail("GAL_ERR_NTT_SIZE", "Expected a power of two from 1 to 2^28 for n but received " + std::to_string(n));
  Fr shift = Fr::one();
  if (coset_shift && !Fr::from_bytes(coset_shift, shift))
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected coset shift below r but received a larger value");
  if (coset_shift && shift.is_zero())
    return Status::fail("GAL_ERR_INVALID_ARGUMENT", "Expected a non-zero coset shift but received 0");
  if (inverse) shift = shift.inverse();

  const Roots &R = roots();
  std::unique_ptr<Fr[]> a(new Fr[n]);

  // Load: canonical → Montgomery, and the forward coset's shift^i.
  std::atomic<size_t> bad{n};
  parallel_range(n, threads, 8192, [&](size_t lo, size_t hi) {
    Fr s = (coset_shift && !inverse) ? shift.pow((u64)lo) : Fr::one();
    for (size_t i = lo; i < hi; ++i) {
      if (!Fr::from_bytes(in + 32 * i, a[i])) {
        size_t cur = bad.load();
        while (i < cur && !bad.compare_exchange_weak(cur, i)) {}
        continue;
      }
      if (coset_shift && !inverse) {
        a[i] *= s;
        s *= shift;
      }
    }
  });
  if (bad < n)
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected value " + std::to_string(bad.load()) + " below r but received a larger value");

  const Fr *w = inverse ? R.wi : R.w;
  const Fr *table = inverse ? R.table_inv.data() : R.table.data();
  size_t h = n >> 1;
  for (; h >= kBlock; h >>= 1) {
    int k = 0;
    while ((size_t(1) << k) < 2 * h) ++k;
    dif_wide_stage(a.get(), n, h, w[k], threads);
  }
  if (h >= 1) {
    const size_t block = 2 * h;  // every remaining stage stays inside one block
    parallel_for(n / block, threads, [&](size_t b, unsigned) { dif_local(a.get() + b * block, block, h, 1, table); });
  }

  // Permute out of bit-reversed order, scale for the inverse, convert.
  Fr scale = Fr::one();
  if (inverse) scale = Fr::from_u64(n).inverse();
  const bool shifted = coset_shift && inverse;
  auto emit = [&](size_t i, Fr v, Fr &factor) {
    if (inverse) {
      v *= factor;
      if (shifted) factor *= shift;
    }
    v.to_bytes(out + 32 * i);
  };
  constexpr int kTileLog = 3, kTile = 1 << kTileLog;
  if (log < 2 * kTileLog + 2) {
    Fr factor = scale;
    for (size_t i = 0; i < n; ++i) emit(i, a[bit_reverse(i, log)], factor);
    return Status{};
  }
  // i = (hi, mid, lo) with hi and lo kTileLog bits wide: rev(i) = (rev lo,
  // rev mid, rev hi). For each mid, an 8×8 tile is read as 8 contiguous runs
  // and written as 8 contiguous runs, instead of one cache miss per element.
  const int mid_log = log - 2 * kTileLog;
  const size_t mids = size_t(1) << mid_log, hi_step = size_t(1) << (log - kTileLog);
  std::vector<Fr> hi_factor(kTile);  // shift^(h·hi_step) for the coset inverse
  if (shifted)
    for (int h = 0; h < kTile; ++h) hi_factor[h] = shift.pow((u64)(h * hi_step));
  const Fr mid_step = shifted ? shift.pow((u64)kTile) : Fr::one();
  parallel_range(mids, threads, 256, [&](size_t lo_mid, size_t hi_mid) {
    Fr tile[kTile][kTile];
    Fr mid_factor = shifted ? shift.pow((u64)(lo_mid << kTileLog)) * scale : scale;
    for (size_t m = lo_mid; m < hi_mid; ++m) {
      const size_t rm = bit_reverse(m, mid_log);
      for (int r = 0; r < kTile; ++r) {
        const Fr *src = &a[(size_t(r) << (log - kTileLog)) | (rm << kTileLog)];
        for (int x = 0; x < kTile; ++x) tile[r][x] = src[x];
      }
      for (int h = 0; h < kTile; ++h) {
        const size_t base = h * hi_step | (m << kTileLog);
        Fr factor = shifted ? mid_factor * hi_factor[h] : scale;
        for (int l = 0; l < kTile; ++l) emit(base + l, tile[bit_reverse(l, kTileLog)][bit_reverse(h, kTileLog)], factor);
      }
      if (shifted) mid_factor *= mid_step;
    }
  });
  return Status{};
}

}  // namespace

Status ntt_fr(const uint8_t *in, uint8_t *out, size_t n, bool inverse, const uint8_t *coset_shift, unsigned threads) {
  if (threads == 0) threads = hardware_threads();
  try {
    return ntt_impl(in, out, n, inverse, coset_shift, threads);
  } catch (const std::bad_alloc &) {
    return Status::fail("GAL_ERR_OUT_OF_MEMORY", "Expected memory for an NTT of " + std::to_string(n) + " values but the allocation failed");
  }
}

}  // namespace cpu
}  // namespace gal
