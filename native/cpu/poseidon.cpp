// circomlib's Poseidon over BN254 Fr: width t = arity + 1 (2..17), x^5 S-box,
// 8 full rounds and circomlib's partial-round counts.
//
// Round constants and MDS matrices are derived here, as the Poseidon paper
// specifies (Grassi et al., eprint 2019/458, appendix E and §2.3): a Grain
// LFSR seeded with the instance's parameters yields the constants, then the
// 2t values x_i, y_j of the Cauchy matrix M[i][j] = 1/(x_i + y_j).
//
// Partial rounds run in the paper's optimised form (appendix B): round
// constants of the state words the S-box does not touch are pushed forward
// through the linear layer, leaving one constant per round, and each round's
// matrix is factored as N·E with N = diag(1, D) (which commutes with the
// partial S-box) and E sparse: first row and column plus the identity. A
// partial round then costs 2t-1 multiplications for the linear layer
// instead of t². For t = 3: 604 multiplications a hash instead of 828.
#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "gal/bn254.h"
#include "gal/field52x8.h"
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

// The constants a permutation reads, in the form its arithmetic wants.
template <class K>
struct Constants {
  std::vector<K> c;  // (rf + rp) × t round constants
  std::vector<K> m;  // t × t, row-major: state'_i = Σ_j m[i][j]·state_j
  // Optimised partial rounds (empty if a factorisation step was singular).
  std::vector<K> partial_c;  // rp constants, added to word 0
  std::vector<K> sparse;     // rp × (2t-1): E's first row, then its first column below the diagonal
  std::vector<K> tail;       // (t-1) × (t-1): D of the last N, applied once after the partial rounds
  std::vector<K> after_c;    // t constants of the first full round after them (carry the pushed ones)
};

struct Instance : Constants<Fr> {
  int t = 0, rf = 0, rp = 0;
#ifdef GAL_FIELD52X8
  Constants<Limbs52> v;  // the same, for the eight-lane IFMA arithmetic
#endif
};

using Matrix = std::vector<Fr>;  // square, row-major

Matrix mat_mul(const Matrix &a, const Matrix &b, int n) {
  Matrix r(n * n, Fr::zero());
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < n; ++j) r[i * n + j] += a[i * n + k] * b[k * n + j];
  return r;
}

// Gauss–Jordan inverse; false if singular.
bool mat_inverse(Matrix a, int n, Matrix &inv) {
  inv.assign(n * n, Fr::zero());
  for (int i = 0; i < n; ++i) inv[i * n + i] = Fr::one();
  for (int col = 0; col < n; ++col) {
    int piv = col;
    while (piv < n && a[piv * n + col].is_zero()) ++piv;
    if (piv == n) return false;
    for (int j = 0; j < n; ++j) {
      std::swap(a[col * n + j], a[piv * n + j]);
      std::swap(inv[col * n + j], inv[piv * n + j]);
    }
    Fr s = a[col * n + col].inverse();
    for (int j = 0; j < n; ++j) {
      a[col * n + j] *= s;
      inv[col * n + j] *= s;
    }
    for (int i = 0; i < n; ++i) {
      if (i == col || a[i * n + col].is_zero()) continue;
      Fr f = a[i * n + col];
      for (int j = 0; j < n; ++j) {
        a[i * n + j] -= f * a[col * n + j];
        inv[i * n + j] -= f * inv[col * n + j];
      }
    }
  }
  return true;
}

// Derives the optimised partial rounds (see the top of this file).
void optimise_partial_rounds(Instance &in) {
  const int t = in.t, u = t - 1, half = in.rf / 2;
  // Constants: x_r = y_r + a_r; v_r = c_r + a_r; k_r = v_r[0]; a_{r+1} = M·(v_r - k_r e0).
  std::vector<Fr> acc(t, Fr::zero());
  for (int r = 0; r < in.rp; ++r) {
    std::vector<Fr> v(t);
    for (int i = 0; i < t; ++i) v[i] = in.c[(half + r) * t + i] + acc[i];
    in.partial_c.push_back(v[0]);
    v[0] = Fr::zero();
    for (int i = 0; i < t; ++i) {
      Fr sum = Fr::zero();
      for (int j = 0; j < t; ++j) sum += in.m[i * t + j] * v[j];
      acc[i] = sum;
    }
  }
  in.after_c.resize(t);
  for (int i = 0; i < t; ++i) in.after_c[i] = in.c[(half + in.rp) * t + i] + acc[i];
  // Matrices: M·N_r = N_{r+1}·E_r, N_{r+1} = diag(1, D), E_r = N_{r+1}^-1·M·N_r.
  Matrix n_mat(t * t, Fr::zero());
  for (int i = 0; i < t; ++i) n_mat[i * t + i] = Fr::one();
  for (int r = 0; r < in.rp; ++r) {
    Matrix mn = mat_mul(in.m, n_mat, t);
    Matrix d(u * u), d_inv;
    for (int i = 0; i < u; ++i)
      for (int j = 0; j < u; ++j) d[i * u + j] = mn[(i + 1) * t + (j + 1)];
    if (!mat_inverse(d, u, d_inv)) {
      in.partial_c.clear();
      in.sparse.clear();
      return;  // fall back to dense partial rounds
    }
    for (int j = 0; j < t; ++j) in.sparse.push_back(mn[j]);  // E's first row = (M·N)'s first row
    for (int i = 0; i < u; ++i) {                           // E's first column below: D^-1 · c
      Fr sum = Fr::zero();
      for (int j = 0; j < u; ++j) sum += d_inv[i * u + j] * mn[(j + 1) * t];
      in.sparse.push_back(sum);
    }
    n_mat.assign(t * t, Fr::zero());
    n_mat[0] = Fr::one();
    for (int i = 0; i < u; ++i)
      for (int j = 0; j < u; ++j) n_mat[(i + 1) * t + (j + 1)] = d[i * u + j];
  }
  in.tail.resize(u * u);
  for (int i = 0; i < u; ++i)
    for (int j = 0; j < u; ++j) in.tail[i * u + j] = n_mat[(i + 1) * t + (j + 1)];
}

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
    if (ok) {
      optimise_partial_rounds(in);
#ifdef GAL_FIELD52X8
      auto convert = [](const std::vector<Fr> &from, std::vector<Limbs52> &to) {
        for (const Fr &x : from) to.push_back(Field52x8<bn254::FrParams>::constant(x));
      };
      convert(in.c, in.v.c);
      convert(in.m, in.v.m);
      convert(in.partial_c, in.v.partial_c);
      convert(in.sparse, in.v.sparse);
      convert(in.tail, in.v.tail);
      convert(in.after_c, in.v.after_c);
#endif
      return in;
    }
  }
}

const Instance &instance(unsigned arity) {
  static std::once_flag once[kMaxArity];
  static Instance table[kMaxArity];
  std::call_once(once[arity - 1], [arity] { table[arity - 1] = make_instance(arity); });
  return table[arity - 1];
}

// Scalar arithmetic: one state per lane.
struct ScalarArith {
  using E = Fr;
  using K = Fr;
  static const Constants<K> &consts(const Instance &in) { return in; }
  static E k(const K &c) { return c; }
  static E add(const E &a, const E &b) { return a + b; }
  static E mul(const E &a, const E &b) { return a * b; }
};

#ifdef GAL_FIELD52X8
// IFMA arithmetic: eight states per lane. States stay in [0, 2p) through the
// permutation (Field52x8's lazy forms: a product's result needs no final
// subtraction) and are reduced once, when the hash is stored. Constants are
// below p.
struct VectorArith {
  using E = Field52x8<bn254::FrParams>;
  using K = Limbs52;
  static const Constants<K> &consts(const Instance &in) { return in.v; }
  static E k(const K &c) { return E::broadcast(c); }
  static E add(const E &a, const E &b) { return a.add_2p(b); }
  static E mul(const E &a, const E &b) { return a.mul_lazy(b); }
};
#endif

// The permutation over L independent lanes at once, lane index innermost:
// a single state is one long dependency chain (each S-box is three dependent
// multiplications), so interleaving lanes lets the core overlap them.
template <class A, int L>
struct Lanes {
  using E = typename A::E;
  E s[kMaxArity + 1][L];

  inline void full_round(const Instance &in, const typename A::K *c, const Constants<typename A::K> &k) {
    const int t = in.t;
    E x[kMaxArity + 1][L], x2[kMaxArity + 1][L];
    for (int i = 0; i < t; ++i) {
      const E ci = A::k(c[i]);
      for (int l = 0; l < L; ++l) x[i][l] = A::add(s[i][l], ci);
    }
    for (int i = 0; i < t; ++i)
      for (int l = 0; l < L; ++l) x2[i][l] = A::mul(x[i][l], x[i][l]);
    for (int i = 0; i < t; ++i)
      for (int l = 0; l < L; ++l) x2[i][l] = A::mul(x2[i][l], x2[i][l]);
    for (int i = 0; i < t; ++i)
      for (int l = 0; l < L; ++l) x[i][l] = A::mul(x2[i][l], x[i][l]);  // x^5
    mix(k.m.data(), x, t);
  }

  // s = mat · x for a t×t row-major matrix.
  inline void mix(const typename A::K *mat, const E (&x)[kMaxArity + 1][L], int t) {
    for (int i = 0; i < t; ++i) {
      const typename A::K *row = &mat[i * t];
      E acc[L];
      const E r0 = A::k(row[0]);
      for (int l = 0; l < L; ++l) acc[l] = A::mul(r0, x[0][l]);
      for (int j = 1; j < t; ++j) {
        const E rj = A::k(row[j]);
        for (int l = 0; l < L; ++l) acc[l] = A::add(acc[l], A::mul(rj, x[j][l]));
      }
      for (int l = 0; l < L; ++l) s[i][l] = acc[l];
    }
  }

  // The textbook permutation, used when the optimised form is unavailable.
  void permute_dense(const Instance &in, const Constants<typename A::K> &k) {
    const int t = in.t, half = in.rf / 2;
    for (int r = 0; r < in.rf + in.rp; ++r) {
      const typename A::K *c = &k.c[r * t];
      if (r < half || r >= half + in.rp) {
        full_round(in, c, k);
        continue;
      }
      E x[kMaxArity + 1][L];
      for (int i = 0; i < t; ++i) {
        const E ci = A::k(c[i]);
        for (int l = 0; l < L; ++l) x[i][l] = A::add(s[i][l], ci);
      }
      for (int l = 0; l < L; ++l) {
        const E x2 = A::mul(x[0][l], x[0][l]);
        x[0][l] = A::mul(A::mul(x2, x2), x[0][l]);
      }
      mix(k.m.data(), x, t);
    }
  }

  // Runs the permutation on s (word 0 the capacity, words 1.. the inputs);
  // the hash is s[0].
  void permute(const Instance &in) {
    const Constants<typename A::K> &k = A::consts(in);
    const int t = in.t, u = t - 1, half = in.rf / 2;
    if (k.sparse.empty()) return permute_dense(in, k);

    for (int r = 0; r < half; ++r) full_round(in, &k.c[r * t], k);
    const typename A::K *e = k.sparse.data();
    for (int r = 0; r < in.rp; ++r, e += 2 * t - 1) {
      // Each step for every lane before the next step, so the lanes'
      // dependency chains overlap.
      E x0[L], x2[L], acc[L];
      const E pc = A::k(k.partial_c[r]);
      for (int l = 0; l < L; ++l) x0[l] = A::add(s[0][l], pc);
      for (int l = 0; l < L; ++l) x2[l] = A::mul(x0[l], x0[l]);
      for (int l = 0; l < L; ++l) x2[l] = A::mul(x2[l], x2[l]);
      for (int l = 0; l < L; ++l) x0[l] = A::mul(x2[l], x0[l]);
      const E e0 = A::k(e[0]);
      for (int l = 0; l < L; ++l) acc[l] = A::mul(e0, x0[l]);
      for (int j = 1; j < t; ++j) {
        const E ej = A::k(e[j]);
        for (int l = 0; l < L; ++l) acc[l] = A::add(acc[l], A::mul(ej, s[j][l]));
      }
      for (int i = 1; i < t; ++i) {
        const E ei = A::k(e[u + i]);
        for (int l = 0; l < L; ++l) s[i][l] = A::add(s[i][l], A::mul(ei, x0[l]));
      }
      for (int l = 0; l < L; ++l) s[0][l] = acc[l];
    }
    for (int l = 0; l < L; ++l) {
      E y[kMaxArity];
      for (int i = 0; i < u; ++i) {
        const typename A::K *row = &k.tail[i * u];
        E acc = A::mul(A::k(row[0]), s[1][l]);
        for (int j = 1; j < u; ++j) acc = A::add(acc, A::mul(A::k(row[j]), s[j + 1][l]));
        y[i] = acc;
      }
      for (int i = 0; i < u; ++i) s[i + 1][l] = y[i];
    }
    full_round(in, k.after_c.data(), k);
    for (int r = half + in.rp + 1; r < in.rf + in.rp; ++r) full_round(in, &k.c[r * t], k);
  }
};

// Hashes count inputs (arity Fr each, contiguous) into out: eight lanes of
// IFMA vectors at a time where the CPU has them, scalar lanes otherwise.
void hash_range(const Instance &in, const Fr *inputs, size_t count, Fr *out) {
  const int arity = in.t - 1;
  size_t h = 0;
#ifdef GAL_FIELD52X8
  using V = VectorArith::E;
  constexpr int kVectors = 2, kPer = 8 * kVectors;
  const bool vector = vector_arithmetic();
  for (; vector && h + kPer <= count; h += kPer) {
    Lanes<VectorArith, kVectors> st;
    for (int v = 0; v < kVectors; ++v) {
      const Fr *ptr[8];
      st.s[0][v] = V::broadcast(Limbs52{{0, 0, 0, 0, 0}});
      for (int i = 0; i < arity; ++i) {
        for (int l = 0; l < 8; ++l) ptr[l] = inputs + (h + 8 * v + l) * arity + i;
        st.s[i + 1][v] = V::load(ptr);
      }
    }
    st.permute(in);
    for (int v = 0; v < kVectors; ++v) {
      Fr *dst[8];
      for (int l = 0; l < 8; ++l) dst[l] = out + h + 8 * v + l;
      st.s[0][v].store(dst);
    }
  }
#endif
  constexpr int kLanes = 8;
  for (; h < count;) {
    const int m = (int)std::min<size_t>(kLanes, count - h);
    Lanes<ScalarArith, kLanes> st;
    for (int l = 0; l < kLanes; ++l) {
      const Fr *x = inputs + (h + std::min(l, m - 1)) * arity;  // spare lanes repeat the last hash
      st.s[0][l] = Fr::zero();
      for (int i = 0; i < arity; ++i) st.s[i + 1][l] = x[i];
    }
    st.permute(in);
    for (int l = 0; l < m; ++l) out[h + l] = st.s[0][l];
    h += m;
  }
}

}  // namespace

Status poseidon_constants(unsigned arity, std::vector<uint8_t> &c, std::vector<uint8_t> &m, std::vector<uint8_t> &partial) {
  if (arity < 1 || arity > kMaxArity)
    return Status::fail("GAL_ERR_ARITY", "Expected arity from 1 to 16 but received " + std::to_string(arity));
  const Instance &in = instance(arity);
  auto put = [](const std::vector<Fr> &from, std::vector<uint8_t> &to) {
    const size_t at = to.size();
    to.resize(at + 32 * from.size());
    for (size_t i = 0; i < from.size(); ++i) from[i].to_bytes(&to[at + 32 * i]);
  };
  c.clear();
  m.clear();
  partial.clear();
  put(in.c, c);
  put(in.m, m);
  if (!in.sparse.empty()) {
    put(in.partial_c, partial);
    put(in.sparse, partial);
    put(in.tail, partial);
    put(in.after_c, partial);
  }
  return Status{};
}

Status poseidon_hash(const uint8_t *inputs, size_t count, unsigned arity, uint8_t *out, unsigned threads) {
  if (arity < 1 || arity > kMaxArity)
    return Status::fail("GAL_ERR_ARITY", "Expected arity from 1 to 16 but received " + std::to_string(arity));
  if (threads == 0) threads = hardware_threads();
  const Instance &in = instance(arity);
  std::atomic<size_t> bad{count * arity};
  constexpr size_t kChunk = 256;  // hashes converted and hashed per step
  parallel_range(count, threads, 64, [&](size_t lo, size_t hi) {
    Fr x[kChunk * kMaxArity], y[kChunk];
    for (size_t base = lo; base < hi; base += kChunk) {
      const size_t m = std::min(kChunk, hi - base);
      bool ok = true;
      for (size_t i = 0; i < m * arity; ++i)
        if (!Fr::from_bytes(inputs + 32 * (base * arity + i), x[i])) {
          keep_lowest(bad, base * arity + i);
          ok = false;
        }
      if (!ok) continue;
      hash_range(in, x, m, y);
      for (size_t h = 0; h < m; ++h) y[h].to_bytes(out + 32 * (base + h));
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
          keep_lowest(bad, i);
        }
    });
    if (bad < n)
      return Status::fail("GAL_ERR_FIELD_RANGE", "Expected leaf " + std::to_string(bad.load()) + " below r but received a larger value");
    // Level by level between two buffers: node i of the next level is
    // Poseidon(node 2i, node 2i+1) of this one.
    std::unique_ptr<Fr[]> next(new Fr[n / 2 ? n / 2 : 1]);
    for (size_t width = n; width > 1; width >>= 1) {
      const size_t half = width / 2;
      parallel_range(half, threads, 64, [&](size_t lo, size_t hi) { hash_range(in, &level[2 * lo], hi - lo, &next[lo]); });
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
