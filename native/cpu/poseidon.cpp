// circomlib's Poseidon over BN254 Fr: width t = arity + 1 (2..17), x^5 S-box,
// 8 full rounds and circomlib's partial-round counts.
//
// Round constants and MDS matrices are derived here, as the Poseidon paper
// specifies (Grassi et al., eprint 2019/458, appendix E and §2.3): a Grain
// LFSR seeded with the instance's parameters yields the constants, then the
// 2t values x_i, y_j of the Cauchy matrix M[i][j] = 1/(x_i + y_j).
#include <array>
#include <atomic>
#include <cstring>
#include <utility>
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

constexpr unsigned kMaxArity = 16;
constexpr int kFullRounds = 8;
constexpr int kPartialRounds[kMaxArity] = {56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68};
constexpr int kFieldBits = 254;

// Grain LFSR in self-shrinking mode, as in the paper's appendix E.
class Grain {
 public:
  Grain(int t, int rf, int rp) {
    int pos = 0;
    auto put = [&](u64 value, int bits) {
      for (int b = bits - 1; b >= 0; --b) state_[pos++] = (value >> b) & 1;
    };
    put(1, 2);           // field: GF(p)
    put(0, 4);           // S-box: x^alpha
    put(kFieldBits, 12);
    put(t, 12);
    put(rf, 10);
    put(rp, 10);
    put((1ULL << 30) - 1, 30);
    for (int i = 0; i < 160; ++i) step();
  }

  int bit() {
    for (;;) {
      int keep = step(), b = step();
      if (keep) return b;
    }
  }

  // kFieldBits bits, most significant first, as a 4-limb integer.
  void bits(u64 out[4]) {
    out[0] = out[1] = out[2] = out[3] = 0;
    for (int i = 0; i < kFieldBits; ++i) {
      for (int l = 3; l > 0; --l) out[l] = (out[l] << 1) | (out[l - 1] >> 63);
      out[0] = (out[0] << 1) | (u64)bit();
    }
  }

 private:
  int step() {
    int nb = state_[(head_ + 62) % 80] ^ state_[(head_ + 51) % 80] ^ state_[(head_ + 38) % 80] ^
             state_[(head_ + 23) % 80] ^ state_[(head_ + 13) % 80] ^ state_[head_];
    state_[head_] = (uint8_t)nb;  // the oldest bit leaves, the new one enters at the back
    head_ = (head_ + 1) % 80;
    return nb;
  }
  uint8_t state_[80] = {};
  int head_ = 0;
};

struct Instance {
  int t = 0, rf = 0, rp = 0;
  std::vector<Fr> c;  // (rf + rp) × t round constants
  std::vector<Fr> m;  // t × t, row-major: state'_i = Σ_j m[i][j]·state_j
};

Instance make_instance(unsigned arity) {
  Instance in;
  in.t = (int)arity + 1;
  in.rf = kFullRounds;
  in.rp = kPartialRounds[arity - 1];
  Grain g(in.t, in.rf, in.rp);
  u64 l[4];
  for (int i = 0; i < (in.rf + in.rp) * in.t; ++i) {
    Fr x;
    do g.bits(l);
    while (!Fr::from_limbs(l, x));  // rejection sampling: values ≥ r are skipped
    in.c.push_back(x);
  }
  // Cauchy matrix from 2t distinct values reduced mod r (not rejected).
  for (;;) {
    std::vector<Fr> v(2 * in.t);
    for (;;) {
      for (auto &e : v) {
        g.bits(l);
        if (!Fr::limbs_below_modulus(l)) {
          u64 borrow = 0;
          for (int i = 0; i < 4; ++i) l[i] = sbb(l[i], Fr::p(i), borrow);
        }
        Fr::from_limbs(l, e);
      }
      bool distinct = true;
      for (size_t i = 0; i < v.size() && distinct; ++i)
        for (size_t j = i + 1; j < v.size(); ++j)
          if (v[i] == v[j]) distinct = false;
      if (distinct) break;
    }
    in.m.assign(in.t * in.t, Fr::zero());
    bool ok = true;
    for (int i = 0; i < in.t && ok; ++i)
      for (int j = 0; j < in.t && ok; ++j) {
        Fr s = v[i] + v[in.t + j];
        if (s.is_zero()) ok = false;
        else in.m[i * in.t + j] = s.inverse();
      }
    if (ok) return in;
  }
}

const Instance &instance(unsigned arity) {
  static std::once_flag once[kMaxArity];
  static Instance table[kMaxArity];
  std::call_once(once[arity - 1], [arity] { table[arity - 1] = make_instance(arity); });
  return table[arity - 1];
}

inline Fr pow5(const Fr &x) {
  Fr x2 = x.sqr();
  return x2.sqr() * x;
}

Fr permute(const Instance &in, const Fr *inputs) {
  const int t = in.t;
  Fr s[kMaxArity + 1], nx[kMaxArity + 1];
  s[0] = Fr::zero();
  for (int i = 1; i < t; ++i) s[i] = inputs[i - 1];
  const int rounds = in.rf + in.rp, half = in.rf / 2;
  for (int r = 0; r < rounds; ++r) {
    const Fr *c = &in.c[r * t];
    for (int i = 0; i < t; ++i) s[i] += c[i];
    if (r < half || r >= half + in.rp) {
      for (int i = 0; i < t; ++i) s[i] = pow5(s[i]);
    } else {
      s[0] = pow5(s[0]);
    }
    for (int i = 0; i < t; ++i) {
      const Fr *row = &in.m[i * t];
      Fr acc = row[0] * s[0];
      for (int j = 1; j < t; ++j) acc += row[j] * s[j];
      nx[i] = acc;
    }
    for (int i = 0; i < t; ++i) s[i] = nx[i];
  }
  return s[0];
}

}  // namespace

Status poseidon_hash(const uint8_t *inputs, size_t count, unsigned arity, uint8_t *out, unsigned threads) {
  if (arity < 1 || arity > kMaxArity)
    return Status::fail("GAL_ERR_ARITY", "Expected arity from 1 to 16 but received " + std::to_string(arity));
  if (threads == 0) threads = hardware_threads();
  const Instance &in = instance(arity);
  std::atomic<size_t> bad{count * arity};
  parallel_range(count, threads, 64, [&](size_t lo, size_t hi) {
    Fr x[kMaxArity];
    for (size_t h = lo; h < hi; ++h) {
      bool ok = true;
      for (unsigned i = 0; i < arity; ++i)
        if (!Fr::from_bytes(inputs + 32 * (h * arity + i), x[i])) {
          size_t idx = h * arity + i, cur = bad.load();
          while (idx < cur && !bad.compare_exchange_weak(cur, idx)) {}
          ok = false;
        }
      if (ok) permute(in, x).to_bytes(out + 32 * h);
    }
  });
  if (bad < count * arity)
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected input " + std::to_string(bad.load()) + " below r but received a larger value");
  return Status{};
}

Status poseidon_merkle_root(const uint8_t *leaves, size_t n, uint8_t *out, unsigned threads) {
  if (n == 0 || (n & (n - 1)))
    return Status::fail("GAL_ERR_INVALID_ARGUMENT", "Expected a power of two for the leaf count but received " + std::to_string(n));
  if (threads == 0) threads = hardware_threads();
  const Instance &in = instance(2);
  try {
    std::unique_ptr<Fr[]> level(new Fr[n]);
    std::atomic<size_t> bad{n};
    parallel_range(n, threads, 4096, [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i)
        if (!Fr::from_bytes(leaves + 32 * i, level[i])) {
          size_t cur = bad.load();
          while (i < cur && !bad.compare_exchange_weak(cur, i)) {}
        }
    });
    if (bad < n)
      return Status::fail("GAL_ERR_FIELD_RANGE", "Expected leaf " + std::to_string(bad.load()) + " below r but received a larger value");
    // Level by level between two buffers: node i of the next level is
    // Poseidon(node 2i, node 2i+1) of this one.
    std::unique_ptr<Fr[]> next(new Fr[n / 2 ? n / 2 : 1]);
    for (size_t width = n; width > 1; width >>= 1) {
      const size_t half = width / 2;
      parallel_range(half, threads, 64, [&](size_t lo, size_t hi) {
        for (size_t i = lo; i < hi; ++i) next[i] = permute(in, &level[2 * i]);
      });
      std::swap(level, next);
    }
    level[0].to_bytes(out);
    return Status{};
  } catch (const std::bad_alloc &) {
    return Status::fail("GAL_ERR_OUT_OF_MEMORY", "Expected memory for a Merkle tree of " + std::to_string(n) + " leaves but the allocation failed");
  }
}

}  // namespace cpu
}  // namespace gal
