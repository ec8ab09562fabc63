// Radix-2 NTT over BN254 Fr, natural order in and out.
//
// Roots match ffjavascript: ω_{2^k} = 5^((r-1)/2^28) squared 28-k times, so
// forward(a)_k = Σ_j a_j ω^{jk} and inverse includes 1/n. The transform is a
// decimation-in-frequency pass (natural → bit-reversed) followed by one
// permutation pass that also scales and converts back to canonical bytes.
// Stages whose butterflies span more than a cache block run as column-blocked
// sweeps (twiddles made per column group); the remaining stages run block by
// block inside the cache, with twiddles from a shared table. Everything works
// in place in the output buffer. Where the CPU has AVX-512 IFMA the same
// phases run on eight-lane blocks (ntt_x8).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <vector>

#include "gal/bn254.h"
#include "gal/field52x8.h"
#include "kernels.h"
#include "parallel.h"

namespace gal {
namespace cpu {
namespace {

using bn254::Fr;
using bn254::FrParams;

constexpr int kMaxLog = FrParams::two_adicity;
constexpr int kTableLog = 15;          // shared twiddle tables cover half-sizes up to 2^14

// ω_{2^k} for k = 0..28, and their inverses.
struct Roots {
  Fr w[kMaxLog + 1], wi[kMaxLog + 1];
  // table[h + j] = ω_{2h}^j for h = 2^0 .. 2^(kTableLog-1), j < h.
  std::vector<Fr> table, table_inv;

  Roots() {
    w[kMaxLog] = bn254::root_of_unity(kMaxLog);
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
    if (h == 1) {  // ω_2^0 = 1: the last stage needs no multiplication
      for (size_t base = 0; base < len; base += 2) {
        Fr u = a[base], v = a[base + 1];
        a[base] = u + v;
        a[base + 1] = u - v;
      }
      continue;
    }
    const Fr *tw = table + h;
    for (size_t base = 0; base < len; base += 2 * h)
      for (size_t j = 0; j < h; ++j) butterfly(a[base + j], a[base + j + h], tw[j]);
  }
}

// DIF stages s0+1 … s0+k (all wider than a cache block) in one sweep. In a
// block of B = n/2^s0 elements, let S = B/2^k: for a fixed column j < S the
// 2^k elements j + t·S only meet each other in these stages, and stage s's
// twiddle at row t is ω_{B/2^(s-1)}^j · ω_{2^(k-s+1)}^(t mod 2^(k-s)). So
// columns are gathered kColumns at a time into a small buffer, run through
// all k stages there, and written back: one memory sweep instead of k.
void dif_wide_pass(Fr *a, size_t n, int log, int s0, int k, const Fr *w, const Fr *table, unsigned threads) {
  constexpr size_t kColumns = 8;  // 8 × 32 bytes: whole cache lines per row
  const size_t B = n >> s0, rows = size_t(1) << k, S = B >> k, groups = S / kColumns;
  // start[s][g] = ω_{N_s}^(g·kColumns), step[s][c] = ω_{N_s}^c, N_s = B/2^(s-1).
  std::vector<Fr> start(k * groups), step(k * kColumns);
  for (int s = 0; s < k; ++s) {
    const Fr &root = w[log - s0 - s];
    step[s * kColumns] = Fr::one();
    for (size_t c = 1; c < kColumns; ++c) step[s * kColumns + c] = step[s * kColumns + c - 1] * root;
    const Fr jump = step[s * kColumns + kColumns - 1] * root;
    start[s * groups] = Fr::one();
    for (size_t g = 1; g < groups; ++g) start[s * groups + g] = start[s * groups + g - 1] * jump;
  }
  std::vector<std::vector<Fr>> scratch(threads, std::vector<Fr>(rows * kColumns + rows / 2));
  parallel_for((n / B) * groups, threads, [&](size_t task, unsigned worker) {
    const size_t q = task / groups, g = task % groups;
    Fr *base = a + q * B + g * kColumns;
    Fr *buf = scratch[worker].data(), *tw = buf + rows * kColumns;
    for (size_t t = 0; t < rows; ++t)
      for (size_t c = 0; c < kColumns; ++c) buf[t * kColumns + c] = base[t * S + c];
    for (size_t c = 0; c < kColumns; ++c) {
      for (int s = 0; s < k; ++s) {
        const size_t hr = rows >> (s + 1);  // row distance of this stage's pairs
        const Fr col = start[s * groups + g] * step[s * kColumns + c];
        for (size_t u = 0; u < hr; ++u) tw[u] = col * table[hr + u];
        for (size_t blk = 0; blk < rows; blk += 2 * hr)
          for (size_t u = 0; u < hr; ++u)
            butterfly(buf[(blk + u) * kColumns + c], buf[(blk + u + hr) * kColumns + c], tw[u]);
      }
    }
    for (size_t t = 0; t < rows; ++t)
      for (size_t c = 0; c < kColumns; ++c) base[t * S + c] = buf[t * kColumns + c];
  });
}

// Stages whose butterflies span more than 2^14 elements (512 KiB, inside L2)
// run as column-blocked sweeps of at most 8 stages, as few as possible;
// sweep(s0, k) runs stages s0+1 … s0+k. Returns how many stages that was.
// With several threads, smaller arrays sweep enough stages to leave one
// in-cache run per thread, down to runs of 2^13 elements (below that the
// threads cost more than they save): one run of the whole array would leave
// every thread but one idle.
template <class Sweep>
int wide_sweeps(int log, unsigned threads, Sweep sweep) {
  constexpr int kBlockLog = 14, kMinBlockLog = 13, kMaxPass = 8;
  int spread = 0;
  while ((1u << spread) < threads) ++spread;
  const int block_log = std::max(kMinBlockLog, std::min(kBlockLog, log - spread));
  const int wide = std::max(0, log - block_log);
  const int passes = (wide + kMaxPass - 1) / kMaxPass;
  for (int s0 = 0, left = wide, p = passes; p > 0; --p) {
    const int k = (left + p - 1) / p;
    sweep(s0, k);
    s0 += k;
    left -= k;
  }
  return wide;
}

inline size_t bit_reverse(size_t i, int bits) {
  if (bits == 0) return 0;
  u64 x = i;
  x = ((x >> 1) & 0x5555555555555555ULL) | ((x & 0x5555555555555555ULL) << 1);
  x = ((x >> 2) & 0x3333333333333333ULL) | ((x & 0x3333333333333333ULL) << 2);
  x = ((x >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((x & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return (size_t)(__builtin_bswap64(x) >> (64 - bits));
}

#ifdef GAL_FIELD52X8
// ---------------------------------------------------------------------------
// The same transform on eight-lane IFMA arithmetic. In memory the array is
// kept as 256-byte blocks of eight consecutive elements, limb-major ("SoA":
// limb j of the eight lanes together), so a block is one vector, and in the
// scalar Montgomery form (R = 2^256): a product with a twiddle held in the
// vector form (R = 2^260) gives x·ω·2^256 back. Each phase converts blocks to
// 52-bit limbs once, on the way into its cache-sized buffer, and back once.
using V = Field52x8<bn254::FrParams>;

struct Block {
  alignas(64) u64 limb[4][8];
};
static_assert(sizeof(Block) == 256, "a block holds eight 32-byte elements");

inline V unpack(const Block &b) {
  const __m512i w[4] = {_mm512_load_si512(b.limb[0]), _mm512_load_si512(b.limb[1]), _mm512_load_si512(b.limb[2]),
                        _mm512_load_si512(b.limb[3])};
  return V::from_words(w);
}

inline void pack(const V &v, Block &b) {
  __m512i w[4];
  v.to_words(w);
  for (int j = 0; j < 4; ++j) _mm512_store_si512(b.limb[j], w[j]);
}

// A vector whose lane c holds f(c), in the vector Montgomery form.
template <class F>
V lanes_of(F f) {
  Fr x[8];
  const Fr *p[8];
  for (int c = 0; c < 8; ++c) x[c] = f(c), p[c] = &x[c];
  return V::load(p);
}

// An integer (not a Montgomery form) in 52-bit limbs, broadcast.
V raw_constant(const Fr &integer) { return V::broadcast(split52(integer.v)); }

struct RootsX8 {
  // level[h/8 + j/8]: lanes ω_{2h}^(j..j+7), for 8 ≤ h < 2^(kTableLog-1).
  std::vector<V> level, level_inv;
  // Twiddles of the stages inside a block, h = 4 then 2, laid out as
  // inner_stages pairs two blocks: lane k gets ω_{2h}^(k mod h).
  V inner[2], inner_inv[2];

  RootsX8() {
    const Roots &R = roots();
    const size_t top = size_t(1) << (kTableLog - 1);
    level.resize(top / 8);
    level_inv.resize(top / 8);
    for (size_t h = 8; h < top; h <<= 1)
      for (size_t j = 0; j < h; j += 8) {
        level[h / 8 + j / 8] = lanes_of([&](int c) { return R.table[h + j + c]; });
        level_inv[h / 8 + j / 8] = lanes_of([&](int c) { return R.table_inv[h + j + c]; });
      }
    for (int b = 0; b < 2; ++b) {
      const size_t h = size_t(4) >> b;
      inner[b] = lanes_of([&](int c) { return R.table[h + (c % h)]; });
      inner_inv[b] = lanes_of([&](int c) { return R.table_inv[h + (c % h)]; });
    }
  }
};

const RootsX8 &roots_x8() {
  static const RootsX8 r;
  return r;
}

// Between the load and the exit product the values stay in [0, 2p) (the
// lazy forms of Field52x8): the sum is reduced modulo 2p and the product of
// the difference needs no final subtraction. Twiddles are below p.
inline void butterfly(V &a, V &b, const V &w) {
  const V u = a, v = b;
  a = u.add_2p(v);
  b = u.sub_lazy_2p(v).mul_lazy(w);
}

// Lanes idx[k] of (a, b) for each limb: index i < 8 is a's lane i, 8 + i b's.
inline V select_lanes(const V &a, const V &b, __m512i idx) {
  V r;
  for (int j = 0; j < 5; ++j) r.l[j] = _mm512_permutex2var_epi64(a.l[j], idx, b.l[j]);
  return r;
}

// The DIF stages h = 4, 2, 1 inside blocks x and y, taken together so that
// every butterfly uses whole vectors: each stage gathers the pairs' lower
// elements of both blocks into one vector and their upper elements into
// another (a stage inside one vector would compute both halves and keep
// one). Lane k of a stage's difference vector is pair k of the blocks' lower
// or upper halves; `w` holds the twiddles of stages 4 and 2 in that order.
inline void inner_stages(V &x, V &y, const V w[2]) {
  // Stage 4: (x0..3, y0..3) against (x4..7, y4..7).
  V lo = select_lanes(x, y, _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11));
  V hi = select_lanes(x, y, _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15));
  butterfly(lo, hi, w[0]);  // lo: x0..3 y0..3, hi: x4..7 y4..7
  // Stage 2: (x0 x1 y0 y1 x4 x5 y4 y5) against (x2 x3 y2 y3 x6 x7 y6 y7).
  V a = select_lanes(lo, hi, _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13));
  V b = select_lanes(lo, hi, _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15));
  butterfly(a, b, w[1]);
  // Stage 1, twiddle 1: even elements against odd ones.
  const V even = select_lanes(a, b, _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14));
  const V odd = select_lanes(a, b, _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15));
  const V sum = even.add_2p(odd), diff = even.sub_2p(odd);  // x0 y0 x4 y4 x2 y2 x6 y6 and x1 y1 x5 y5 …
  x = select_lanes(sum, diff, _mm512_setr_epi64(0, 8, 4, 12, 2, 10, 6, 14));
  y = select_lanes(sum, diff, _mm512_setr_epi64(1, 9, 5, 13, 3, 11, 7, 15));
}

// The remaining stages inside a run of `vectors` consecutive blocks, then a
// product with `leave` (the exit from Montgomery form, with any scale).
void dif_local_x8(Block *blocks, size_t vectors, V *buf, bool inverse, const V &leave) {
  const RootsX8 &R = roots_x8();
  const V *level = inverse ? R.level_inv.data() : R.level.data();
  for (size_t i = 0; i < vectors; ++i) buf[i] = unpack(blocks[i]);
  for (size_t hv = vectors / 2; hv >= 1; hv >>= 1) {  // h = 8·hv elements
    const V *tw = level + hv;
    for (size_t base = 0; base < vectors; base += 2 * hv)
      for (size_t j = 0; j < hv; ++j) butterfly(buf[base + j], buf[base + j + hv], tw[j]);
  }
  const V *inner = inverse ? R.inner_inv : R.inner;
  for (size_t i = 0; i < vectors; i += 2) {  // vectors ≥ 32: n ≥ 256 here
    inner_stages(buf[i], buf[i + 1], inner);
    pack(buf[i] * leave, blocks[i]);
    pack(buf[i + 1] * leave, blocks[i + 1]);
  }
}

// dif_wide_pass on blocks: the eight columns of a group are a vector's lanes.
void dif_wide_pass_x8(Block *blocks, size_t n, int log, int s0, int k, const Fr *w, const Fr *table, unsigned threads) {
  const size_t B = n >> s0, rows = size_t(1) << k, S = B >> k, groups = S / 8;
  std::vector<V> step(k), jump(k);  // lanes ω_{N_s}^c; ω_{N_s}^8 broadcast
  std::vector<Limbs52> twiddle(rows);  // table[h + u] in vector form, for h = rows/2 … 1
  for (int s = 0; s < k; ++s) {
    const Fr &root = w[log - s0 - s];
    step[s] = lanes_of([&](int c) { return root.pow((u64)c); });
    jump[s] = V::broadcast(V::constant(root.pow((u64)8)));
  }
  for (size_t i = 1; i < rows; ++i) twiddle[i] = V::constant(table[i]);
  const size_t tasks = (n / B) * groups;
  parallel_range(tasks, threads, 1, [&](size_t lo, size_t hi) {
    std::vector<V> local(rows + rows / 2);
    V *buf = local.data(), *tw = buf + rows;
    // Column twiddles advance group by group: col[s] = lanes ω_{N_s}^(8g + c).
    std::vector<V> col(k);
    for (int s = 0; s < k; ++s)
      col[s] = step[s] * V::broadcast(V::constant(w[log - s0 - s].pow((u64)(8 * (lo % groups)))));
    for (size_t task = lo; task < hi; ++task) {
      const size_t q = task / groups, g = task % groups;
      if (g == 0 && task != lo) col = step;  // a new block starts at column 0
      Block *base = blocks + (q * B + g * 8) / 8;
      for (size_t t = 0; t < rows; ++t) buf[t] = unpack(base[t * S / 8]);
      for (int s = 0; s < k; ++s) {
        const size_t hr = rows >> (s + 1);
        for (size_t u = 0; u < hr; ++u) tw[u] = col[s] * V::broadcast(twiddle[hr + u]);
        for (size_t blk = 0; blk < rows; blk += 2 * hr)
          for (size_t u = 0; u < hr; ++u) butterfly(buf[blk + u], buf[blk + u + hr], tw[u]);
        col[s] = col[s] * jump[s];
      }
      for (size_t t = 0; t < rows; ++t) pack(buf[t], base[t * S / 8]);
    }
  });
}

#endif  // GAL_FIELD52X8

// Reads the raw limbs of a 32-byte little-endian value (no range check).
inline Fr raw(const uint8_t *b) {
  Fr x;
  std::memcpy(x.v, b, 32);
  return x;
}

// out_i ← out_i · shift^i for canonical elements: canonical x times shift^i
// in Montgomery form is canonical x·shift^i. The inverse coset's last pass.
void scale_by_powers(uint8_t *out, size_t n, const Fr &shift, unsigned threads) {
  parallel_range(n, threads, 8192, [&](size_t lo, size_t hi) {
    Fr f = shift.pow((u64)lo);
    for (size_t i = lo; i < hi; ++i) {
      Fr c = raw(out + 32 * i) * f;
      std::memcpy(out + 32 * i, c.v, 32);
      f *= shift;
    }
  });
}

#ifdef GAL_FIELD52X8
// ntt_impl's phases on eight-lane blocks (log ≥ 8). `shift` is already the
// inverse shift for the inverse transform.
Status ntt_x8(const uint8_t *in, uint8_t *out, size_t n, int log, bool inverse, bool coset, const Fr &shift,
              unsigned threads) {
  Block *blocks = reinterpret_cast<Block *>(out);  // malloc'd: 16-byte aligned at least
  if (reinterpret_cast<uintptr_t>(out) % 64) return Status::fail("GAL_ERR_NATIVE", "Expected a 64-byte aligned NTT buffer");
  const size_t nblocks = n / 8;
  auto lanes_from = [&](size_t first, const Fr &extra) {  // lanes shift^(first + c)·extra
    const Fr s0 = shift.pow((u64)first) * extra;
    return lanes_of([&](int c) { return s0 * shift.pow((u64)c); });
  };
  const V shift8 = V::broadcast(V::constant(shift.pow((u64)8)));

  // Load: raw canonical limbs into blocks, then x·2^516 / 2^260 = x·2^256.
  const Fr k516 = Fr::r2().dbl().dbl().dbl().dbl();  // the integer 2^516 mod r
  const V to_mont = raw_constant(k516);
  std::atomic<size_t> bad{n};
  parallel_range(nblocks, threads, 1024, [&](size_t lo, size_t hi) {
    V cos = coset && !inverse ? lanes_from(8 * lo, Fr::one()) : V();
    for (size_t b = lo; b < hi; ++b) {
      // Limb j of the block's eight elements straight into a vector (storing
      // them one by one and loading the vector would stall on forwarding).
      __m512i w[4];
      V::gather_words(in + 256 * b, _mm512_setr_epi64(0, 32, 64, 96, 128, 160, 192, 224), 0xff, w);
      const __mmask8 ok = V::below_modulus(w);
      if (ok != 0xff) {
        keep_lowest(bad, 8 * b + __builtin_ctz(~ok & 0xffu));
        for (int j = 0; j < 4; ++j) w[j] = _mm512_maskz_mov_epi64(ok, w[j]);
      }
      V x = V::from_words(w).mul_lazy(to_mont);  // below 2p, like the stages' values
      if (coset && !inverse) {
        x = x.mul_lazy(cos);
        cos = cos * shift8;
      }
      pack(x, blocks[b]);
    }
  });
  if (bad < n)
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected value " + std::to_string(bad.load()) + " below r but received a larger value");

  const Roots &R = roots();
  const Fr *w = inverse ? R.wi : R.w;
  const Fr *table = inverse ? R.table_inv.data() : R.table.data();
  const int wide = wide_sweeps(log, threads, [&](int s0, int k) { dif_wide_pass_x8(blocks, n, log, s0, k, w, table, threads); });
  // Leave Montgomery form with the scale folded in: x·2^256 · 16s / 2^260 = x·s.
  Fr scale = Fr::from_u64(16);
  if (inverse) scale *= Fr::from_u64(n).inverse();
  Fr scale_int;
  scale.to_limbs(scale_int.v);
  const V leave = raw_constant(scale_int);
  const size_t run = (n >> wide) / 8;  // vectors per in-cache run
  parallel_range(nblocks / run, threads, 1, [&](size_t lo, size_t hi) {
    std::vector<V> buf(run);
    for (size_t r = lo; r < hi; ++r) dif_local_x8(blocks + r * run, run, buf.data(), inverse, leave);
  });

  // Out of bit-reversed order and from blocks to 32-byte elements, in place:
  // the 64 slots with mid bits m fill from the 64 elements with mid rev(m),
  // which are 8 whole blocks; m and rev(m) are done together.
  const int mid_log = log - 6;
  const size_t mids = size_t(1) << mid_log;
  parallel_range(mids, threads, 256, [&](size_t lo, size_t hi) {
    Block tile[2][8];
    for (size_t m = lo; m < hi; ++m) {
      const size_t rm = bit_reverse(m, mid_log);
      if (rm < m) continue;
      const size_t mid[2] = {m, rm};
      for (int side = 0; side < 2; ++side)
        for (size_t r = 0; r < 8; ++r) tile[side][r] = blocks[(r << mid_log) | mid[side]];
      for (int side = 0; side < 2; ++side)
        for (size_t h = 0; h < 8; ++h) {
          // Slot (h, mid, l) takes element (rev l, rev mid, rev h): row rev l, lane rev h.
          uint8_t *dst = out + 32 * (((h << mid_log) | mid[side]) << 3);
          const Block *src = tile[1 - side];
          const size_t lane = bit_reverse(h, 3);
          for (size_t l = 0; l < 8; ++l) {
            const Block &b = src[bit_reverse(l, 3)];
            const u64 limbs[4] = {b.limb[0][lane], b.limb[1][lane], b.limb[2][lane], b.limb[3][lane]};
            std::memcpy(dst + 32 * l, limbs, 32);
          }
        }
    }
  });
  if (coset && inverse) scale_by_powers(out, n, shift, threads);
  return Status{};
}
#endif

// Works in place in `out`: load (canonical → Montgomery, × shift^i for the
// forward coset), DIF stages, then one tiled pass that permutes out of
// bit-reversed order and converts back to canonical, times 1/n for the
// inverse; the inverse coset's shift^-i is one more pass.
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

#ifdef GAL_FIELD52X8
  if (log >= 8 && reinterpret_cast<uintptr_t>(out) % 64 == 0 && vector_arithmetic())
    return ntt_x8(in, out, n, log, inverse, coset_shift != nullptr, shift, threads);
#endif
  const Roots &R = roots();
  // The output buffer (malloc'd, 8-byte aligned) doubles as the work array.
  Fr *a = reinterpret_cast<Fr *>(out);

  // Load. mont(x_raw · p) = x·p/R, so multiplying the raw input by
  // p_i = shift^i·R² lands x·shift^i in Montgomery form with one product.
  std::atomic<size_t> bad{n};
  const bool pre_shift = coset_shift && !inverse;
  parallel_range(n, threads, 8192, [&](size_t lo, size_t hi) {
    Fr p = pre_shift ? shift.pow((u64)lo) * Fr::r2() : Fr::r2();
    for (size_t i = lo; i < hi; ++i) {
      Fr x = raw(in + 32 * i);
      if (!Fr::limbs_below_modulus(x.v)) {
        keep_lowest(bad, i);
        continue;
      }
      a[i] = x * p;
      if (pre_shift) p *= shift;
    }
  });
  if (bad < n)
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected value " + std::to_string(bad.load()) + " below r but received a larger value");

  const Fr *w = inverse ? R.wi : R.w;
  const Fr *table = inverse ? R.table_inv.data() : R.table.data();
  const int wide = wide_sweeps(log, threads, [&](int s0, int k) { dif_wide_pass(a, n, log, s0, k, w, table, threads); });
  const size_t h = n >> (wide + 1);
  if (h >= 1) {
    const size_t block = 2 * h;  // every remaining stage stays inside one block
    parallel_for(n / block, threads, [&](size_t b, unsigned) { dif_local(a + b * block, block, h, 1, table); });
  }

  // Leaving Montgomery form is a product with 1; a product with the raw
  // integer 1/n leaves it and scales at once.
  Fr unit = Fr::zero();
  unit.v[0] = 1;
  if (inverse) Fr::from_u64(n).inverse().to_limbs(unit.v);
  auto emit = [&](size_t i, const Fr &v) {
    Fr c = v * unit;
    std::memcpy(out + 32 * i, c.v, 32);
  };
  constexpr int kTileLog = 3, kTile = 1 << kTileLog;
  if (log < 2 * kTileLog + 2) {
    std::vector<Fr> copy(a, a + n);
    for (size_t i = 0; i < n; ++i) emit(i, copy[bit_reverse(i, log)]);
  } else {
    // i = (hi, mid, lo), hi and lo kTileLog bits: rev(i) = (rev lo, rev mid,
    // rev hi). The 64 slots with mid = m take their values from the 64 with
    // mid = rev(m), read as 8 contiguous runs; handling m and rev(m) together
    // makes the permutation in place.
    const int mid_log = log - 2 * kTileLog;
    const size_t mids = size_t(1) << mid_log, hi_step = size_t(1) << (log - kTileLog);
    parallel_range(mids, threads, 256, [&](size_t lo_mid, size_t hi_mid) {
      Fr tile[2][kTile][kTile];
      for (size_t m = lo_mid; m < hi_mid; ++m) {
        const size_t rm = bit_reverse(m, mid_log);
        if (rm < m) continue;  // handled with its partner
        const size_t mid[2] = {m, rm};
        for (int side = 0; side < 2; ++side)
          for (int r = 0; r < kTile; ++r) {
            const Fr *src = &a[r * hi_step | (mid[side] << kTileLog)];
            for (int x = 0; x < kTile; ++x) tile[side][r][x] = src[x];
          }
        // Slots with mid m read the tile of mid rm (side 1), and vice versa.
        for (int side = 0; side < 2; ++side)
          for (int hh = 0; hh < kTile; ++hh) {
            const size_t base = hh * hi_step | (mid[side] << kTileLog);
            for (int l = 0; l < kTile; ++l)
              emit(base + l, tile[1 - side][bit_reverse(l, kTileLog)][bit_reverse(hh, kTileLog)]);
          }
      }
    });
  }

  if (coset_shift && inverse) scale_by_powers(out, n, shift, threads);
  return Status{};
}

}  // namespace

Status ntt_fr(const uint8_t *in, uint8_t *out, size_t n, bool inverse, const uint8_t *coset_shift, unsigned threads) {
  if (threads == 0) threads = hardware_threads();
  try {
    return ntt_impl(in, out, n, inverse, coset_shift, threads);  // allocates only small tables
  } catch (const std::bad_alloc &) {
    return Status::fail("GAL_ERR_OUT_OF_MEMORY", "Expected memory for an NTT of " + std::to_string(n) + " values but the allocation failed");
  }
}

}  // namespace cpu
}  // namespace gal
