// The optimal ate pairing on BN254, as a product of pairings: what a Groth16
// verifier checks, Π e(Pᵢ, Qᵢ) = 1.
//
// Miller loop over 6x + 2 with the points Qᵢ kept affine on the twist: each
// step's slopes across all pairs share one inversion, and each line is a
// sparse element a + (b + c·v)·w of Fq12. Then the final exponentiation:
// f^((p⁶ − 1)(p² + 1)), and the hard part by the exponent of Fuentes-
// Castañeda et al., 2x(6x² + 3x + 1)·(p⁴ − p² + 1)/r written in base p,
// which is what @noble/curves computes, so the values compare bit for bit.
// The constants (twist b, Frobenius coefficients) are derived at first use.
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "gal/bn254_tower.h"
#include "kernels.h"

namespace gal {
namespace cpu {
namespace {

using bn254::Fq;
using bn254::Fq12;
using bn254::Fq2;
using bn254::Fq6;
using bn254::G1Affine;
using bn254::G2Affine;
using bn254::G2XYZZ;

constexpr u64 kX = 4965661367192848881ULL;  // the BN parameter x
// 6x + 2 = 29793968203157093288, 65 bits: bit 64 set, low word below.
constexpr u64 kLoopLow = 0x9d797039be763ba8ULL;

Fq2 fq2(u64 a, u64 b) { return Fq2{Fq::from_u64(a), Fq::from_u64(b)}; }

Fq2 pow(const Fq2 &base, const u64 e[4]) {
  Fq2 r = Fq2::one();
  for (int i = 3; i >= 0; --i)
    for (int b = 63; b >= 0; --b) {
      r = r.sqr();
      if ((e[i] >> b) & 1) r = r * base;
    }
  return r;
}

struct Constants {
  Fq2 twist_b;   // 3/ξ
  Fq2 gamma[6];  // ξ^(i(p−1)/6): w^p = γ₁·w

  Constants() {
    const Fq2 xi = fq2(9, 1);
    twist_b = fq2(3, 0) * xi.inverse();
    u64 e[4];  // (p − 1)/6
    for (int i = 0; i < 4; ++i) e[i] = Fq::p(i);
    e[0] -= 1;
    u64 rem = 0;
    for (int i = 3; i >= 0; --i) {
      const unsigned __int128 cur = ((unsigned __int128)rem << 64) | e[i];
      e[i] = (u64)(cur / 6);
      rem = (u64)(cur % 6);
    }
    gamma[0] = Fq2::one();
    gamma[1] = pow(xi, e);
    for (int i = 2; i < 6; ++i) gamma[i] = gamma[i - 1] * gamma[1];
  }
};

const Constants &constants() {
  static const Constants k;
  return k;
}

// f^p: coefficient of w^i (i = 0…5) conjugated and scaled by γᵢ. In the
// tower, c0.cj holds w^(2j) and c1.cj holds w^(2j+1).
Fq12 frobenius(const Fq12 &f) {
  const Fq2 *g = constants().gamma;
  using bn254::conjugate;
  return Fq12{Fq6{conjugate(f.c0.c0), conjugate(f.c0.c1) * g[2], conjugate(f.c0.c2) * g[4]},
              Fq6{conjugate(f.c1.c0) * g[1], conjugate(f.c1.c1) * g[3], conjugate(f.c1.c2) * g[5]}};
}

// π on the twist: (x, y) ↦ (x̄·γ₂, ȳ·γ₃), the p-power Frobenius of the
// untwisted point (x·w², y·w³).
G2Affine frobenius(const G2Affine &q) {
  const Fq2 *g = constants().gamma;
  return G2Affine{bn254::conjugate(q.x) * g[2], bn254::conjugate(q.y) * g[3]};
}

// One pair of the Miller loop: the running multiple T of Q, and P.
struct Pair {
  G1Affine p;
  G2Affine q, t;
};

class MillerLoop {
 public:
  explicit MillerLoop(std::vector<Pair> &pairs)
      : pairs_(pairs), add_(pairs.size()), num_(pairs.size()), den_(pairs.size()), prefix_(pairs.size()),
        vertical_(pairs.size()) {}

  Fq12 run() {
    Fq12 f = Fq12::one();
    if (pairs_.empty()) return f;
    for (size_t j = 0; j < pairs_.size(); ++j) add_[j] = pairs_[j].t = pairs_[j].q;
    // Bits 63…0 of 6x + 2 below its top bit (bit 64).
    for (int i = 63; i >= 0; --i) {
      f = f.sqr();
      step(false, f);
      if ((kLoopLow >> i) & 1) step(true, f);
    }
    // The optimal ate's two extra lines: T + π(Q), then that − π²(Q).
    for (size_t j = 0; j < pairs_.size(); ++j) add_[j] = frobenius(pairs_[j].q);
    step(true, f);
    for (size_t j = 0; j < pairs_.size(); ++j) add_[j] = frobenius(add_[j]).neg();
    step(true, f);
    return f;
  }

 private:
  // T ← 2T, or T + R with R = add_[j], for every pair, multiplying f by each
  // line through T and R evaluated at P: yP − λ·xP·w + (λ·x_T − y_T)·w³. The
  // slopes' denominators share one inversion.
  void step(bool adding, Fq12 &f) {
    const size_t k = pairs_.size();
    for (size_t j = 0; j < k; ++j) {
      const G2Affine &t = pairs_[j].t, &r = adding ? add_[j] : t;
      vertical_[j] = false;
      if (!(t.x == r.x)) {
        num_[j] = r.y - t.y;
        den_[j] = r.x - t.x;
      } else if (t.y == r.y) {  // doubling: λ = 3x²/2y (y ≠ 0: the order is odd)
        const Fq2 xx = t.x.sqr();
        num_[j] = xx.dbl() + xx;
        den_[j] = t.y.dbl();
      } else {
        // T = −R: a vertical line, in Fq6, which the final exponentiation
        // sends to one. With Q of order r it does not occur (T is [k]Q for
        // k far from ±1 and ±p² mod r); the guard keeps the inversion sound.
        vertical_[j] = true;
        den_[j] = Fq2::one();
      }
    }
    Fq2 acc = Fq2::one();
    for (size_t j = 0; j < k; ++j) prefix_[j] = acc, acc = acc * den_[j];
    Fq2 inv = acc.inverse();
    for (size_t j = k; j-- > 0;) {
      const Fq2 inv_den = inv * prefix_[j];
      inv = inv * den_[j];
      Pair &pr = pairs_[j];
      const G2Affine &r = adding ? add_[j] : pr.t;
      if (vertical_[j]) continue;
      const Fq2 lambda = num_[j] * inv_den;
      f = f.mul_by_line(pr.p.y, bn254::scale(lambda, pr.p.x).neg(), lambda * pr.t.x - pr.t.y);
      const Fq2 x3 = lambda.sqr() - pr.t.x - r.x;
      pr.t.y = lambda * (pr.t.x - x3) - pr.t.y;
      pr.t.x = x3;
    }
  }

  std::vector<Pair> &pairs_;
  std::vector<G2Affine> add_;
  std::vector<Fq2> num_, den_, prefix_;
  std::vector<bool> vertical_;
};

// f^x for f in the cyclotomic subgroup (x > 0).
Fq12 pow_x(const Fq12 &f) {
  Fq12 r = f;
  for (int b = 61; b >= 0; --b) {  // x has 63 bits; r = f is the top one
    r = r.cyclotomic_sqr();
    if ((kX >> b) & 1) r = r * f;
  }
  return r;
}

Fq12 final_exponentiation(const Fq12 &f) {
  // Easy part: f^(p⁶ − 1) = f̄/f, then ^(p² + 1). The result is unitary, so
  // its inverse is its conjugate.
  Fq12 m = f.conjugate() * f.inverse();
  m = frobenius(frobenius(m)) * m;
  // Hard part, m^(λ₀ + λ₁p + λ₂p² + λ₃p³) with
  // λ₀ = 12x³ + 12x² + 6x + 1, λ₁ = 12x³ + 6x² + 4x,
  // λ₂ = 12x³ + 6x² + 6x,      λ₃ = 12x³ + 6x² + 4x − 1.
  const Fq12 a = pow_x(m), b = pow_x(a), c = pow_x(b);  // m^x, m^x², m^x³
  const Fq12 a2 = a.cyclotomic_sqr(), a4 = a2.cyclotomic_sqr(), a6 = a4 * a2;
  const Fq12 b2 = b.cyclotomic_sqr(), b6 = b2.cyclotomic_sqr() * b2;
  const Fq12 c4 = c.cyclotomic_sqr().cyclotomic_sqr(), c12 = c4.cyclotomic_sqr() * c4;
  const Fq12 t = c12 * b6;  // 12x³ + 6x²
  const Fq12 l1 = t * a4, l2 = t * a6, l3 = l1 * m.conjugate(), l0 = t * b6 * a6 * m;
  return l0 * frobenius(l1) * frobenius(frobenius(l2)) * frobenius(frobenius(frobenius(l3)));
}

// [r]Q = O: Q lies in the order-r subgroup (the twist has other points).
bool in_subgroup(const G2Affine &q) {
  G2XYZZ acc = G2XYZZ::inf();
  for (int i = 3; i >= 0; --i)
    for (int b = 63; b >= 0; --b) {
      acc = acc.dbl();
      if ((bn254::Fr::p(i) >> b) & 1) acc = acc.add_affine(q);
    }
  return acc.is_inf();
}

// The G2 points found in the subgroup lately, by their 128 input bytes. A
// verifier pairs the same key points (γ, δ) with every proof, and [r]Q was
// a quarter of a verification; membership never changes, and only points
// that passed are kept.
class CheckedPoints {
 public:
  bool contains(const uint8_t *bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    return points_.count(std::string(reinterpret_cast<const char *>(bytes), 128)) != 0;
  }
  void add(const uint8_t *bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (points_.size() >= kCapacity) points_.clear();
    points_.emplace(reinterpret_cast<const char *>(bytes), 128);
  }

 private:
  static constexpr size_t kCapacity = 256;
  std::mutex mutex_;
  std::unordered_set<std::string> points_;
};

bool in_subgroup_remembered(const G2Affine &q, const uint8_t *bytes) {
  static CheckedPoints checked;
  if (checked.contains(bytes)) return true;
  if (!in_subgroup(q)) return false;
  checked.add(bytes);
  return true;
}

void write_fq12(const Fq12 &f, uint8_t *out) {
  const Fq6 *halves[2] = {&f.c0, &f.c1};
  for (const Fq6 *h : halves)
    for (const Fq2 *c : {&h->c0, &h->c1, &h->c2}) {
      c->c0.to_bytes(out);
      c->c1.to_bytes(out + 32);
      out += 64;
    }
}

}  // namespace

Status pairing_product(const uint8_t *g1, const uint8_t *g2, size_t k, uint8_t *out) {
  const Constants &K = constants();
  std::vector<Pair> pairs;
  pairs.reserve(k);
  auto at = [](size_t i) { return std::to_string(i); };
  for (size_t i = 0; i < k; ++i) {
    Pair pr;
    const uint8_t *a = g1 + 64 * i, *b = g2 + 128 * i;
    if (!Fq::from_bytes(a, pr.p.x) || !Fq::from_bytes(a + 32, pr.p.y))
      return Status::fail("GAL_ERR_FIELD_RANGE", "Expected G1 point " + at(i) + " coordinates below q but received a larger value");
    if (!Fq::from_bytes(b, pr.q.x.c0) || !Fq::from_bytes(b + 32, pr.q.x.c1) || !Fq::from_bytes(b + 64, pr.q.y.c0) ||
        !Fq::from_bytes(b + 96, pr.q.y.c1))
      return Status::fail("GAL_ERR_FIELD_RANGE", "Expected G2 point " + at(i) + " coordinates below q but received a larger value");
    if (!pr.p.on_curve())
      return Status::fail("GAL_ERR_NOT_ON_CURVE", "Expected G1 point " + at(i) + " on BN254 G1 but received a point off the curve");
    if (!pr.q.on_curve(K.twist_b))
      return Status::fail("GAL_ERR_NOT_ON_CURVE", "Expected G2 point " + at(i) + " on the BN254 G2 twist but received a point off it");
    if (!in_subgroup_remembered(pr.q, b))
      return Status::fail("GAL_ERR_NOT_IN_SUBGROUP", "Expected G2 point " + at(i) + " in the order-r subgroup but received a point outside it");
    if (!pr.p.is_inf() && !pr.q.is_inf()) pairs.push_back(pr);  // e(O, Q) = e(P, O) = 1
  }
  write_fq12(final_exponentiation(MillerLoop(pairs).run()), out);
  return Status{};
}

}  // namespace cpu
}  // namespace gal
