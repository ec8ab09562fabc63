// The BN254 extension tower the pairing lands in:
//   Fq6  = Fq2[v]/(v³ − ξ), ξ = 9 + u,
//   Fq12 = Fq6[w]/(w² − v),
// the tower of EIP-197 and of @noble/curves, so that values compare as they are.
// CPU only: the pairing is a verifier's tool, not a GPU kernel.
#pragma once
#include "bn254_g2.h"

namespace gal {
namespace bn254 {

// a·ξ = a·(9 + u) = (9a₀ − a₁) + (a₀ + 9a₁)u, by additions.
inline Fq2 mul_by_xi(const Fq2 &a) {
  const Fq2 a8 = a.dbl().dbl().dbl();
  return Fq2{a8.c0 + a.c0 - a.c1, a8.c1 + a.c1 + a.c0};
}

inline Fq2 conjugate(const Fq2 &a) { return Fq2{a.c0, a.c1.neg()}; }
inline Fq2 scale(const Fq2 &a, const Fq &k) { return Fq2{a.c0 * k, a.c1 * k}; }

struct Fq6 {
  Fq2 c0, c1, c2;  // c0 + c1·v + c2·v²

  static Fq6 zero() { return Fq6{Fq2::zero(), Fq2::zero(), Fq2::zero()}; }
  static Fq6 one() { return Fq6{Fq2::one(), Fq2::zero(), Fq2::zero()}; }
  bool is_zero() const { return c0.is_zero() && c1.is_zero() && c2.is_zero(); }
  bool operator==(const Fq6 &o) const { return c0 == o.c0 && c1 == o.c1 && c2 == o.c2; }
  Fq6 operator+(const Fq6 &b) const { return Fq6{c0 + b.c0, c1 + b.c1, c2 + b.c2}; }
  Fq6 operator-(const Fq6 &b) const { return Fq6{c0 - b.c0, c1 - b.c1, c2 - b.c2}; }
  Fq6 neg() const { return Fq6{c0.neg(), c1.neg(), c2.neg()}; }
  // ·v: v³ = ξ shifts the coefficients up and wraps the top one round.
  Fq6 mul_by_v() const { return Fq6{mul_by_xi(c2), c0, c1}; }

  // Karatsuba over the three coefficients: 6 Fq2 products.
  Fq6 operator*(const Fq6 &b) const {
    const Fq2 t0 = c0 * b.c0, t1 = c1 * b.c1, t2 = c2 * b.c2;
    return Fq6{t0 + mul_by_xi((c1 + c2) * (b.c1 + b.c2) - t1 - t2), (c0 + c1) * (b.c0 + b.c1) - t0 - t1 + mul_by_xi(t2),
               (c0 + c2) * (b.c0 + b.c2) - t0 - t2 + t1};
  }
  Fq6 sqr() const { return *this * *this; }

  // Times b₀ + b₁·v (a line's sparse half): 5 Fq2 products.
  Fq6 mul_by_01(const Fq2 &b0, const Fq2 &b1) const {
    const Fq2 t0 = c0 * b0, t1 = c1 * b1;
    return Fq6{t0 + mul_by_xi(c2 * b1), (c0 + c1) * (b0 + b1) - t0 - t1, c2 * b0 + t1};
  }

  Fq6 inverse() const {
    const Fq2 a = c0.sqr() - mul_by_xi(c1 * c2);
    const Fq2 b = mul_by_xi(c2.sqr()) - c0 * c1;
    const Fq2 c = c1.sqr() - c0 * c2;
    const Fq2 t = (c0 * a + mul_by_xi(c2 * b + c1 * c)).inverse();
    return Fq6{a * t, b * t, c * t};
  }
};

struct Fq12 {
  Fq6 c0, c1;  // c0 + c1·w

  static Fq12 one() { return Fq12{Fq6::one(), Fq6::zero()}; }
  bool operator==(const Fq12 &o) const { return c0 == o.c0 && c1 == o.c1; }

  Fq12 operator*(const Fq12 &b) const {
    const Fq6 t0 = c0 * b.c0, t1 = c1 * b.c1;
    return Fq12{t0 + t1.mul_by_v(), (c0 + c1) * (b.c0 + b.c1) - t0 - t1};
  }
  // (a + bw)² = (a + b)(a + bv) − ab − ab·v + 2ab·w: 2 Fq6 products.
  Fq12 sqr() const {
    const Fq6 ab = c0 * c1;
    return Fq12{(c0 + c1) * (c0 + c1.mul_by_v()) - ab - ab.mul_by_v(), ab + ab};
  }
  // Squaring in the cyclotomic subgroup (f^(p⁶+1) = 1, where the final
  // exponentiation's easy part lands), after Granger and Scott: viewed as
  // three elements of Fq4 = Fq2[s]/(s² − ξ), the square needs three Fq4
  // squarings, 6 Fq2 squarings in all instead of 12 Fq2 products. Wrong
  // outside that subgroup.
  Fq12 cyclotomic_sqr() const {
    // (a + b·s)² in Fq4, as (a² + b²·ξ, 2ab) with 2ab = (a + b)² − a² − b².
    auto fq4_sqr = [](const Fq2 &a, const Fq2 &b, Fq2 &re, Fq2 &im) {
      const Fq2 aa = a.sqr(), bb = b.sqr();
      re = mul_by_xi(bb) + aa;
      im = (a + b).sqr() - aa - bb;
    };
    Fq2 z0 = c0.c0, z4 = c0.c1, z3 = c0.c2, z2 = c1.c0, z1 = c1.c1, z5 = c1.c2;
    Fq2 t0, t1, t2, t3;
    fq4_sqr(z0, z1, t0, t1);
    z0 = (t0 - z0).dbl() + t0;  // 3t0 − 2z0
    z1 = (t1 + z1).dbl() + t1;  // 3t1 + 2z1
    fq4_sqr(z2, z3, t0, t1);
    fq4_sqr(z4, z5, t2, t3);
    z4 = (t0 - z4).dbl() + t0;
    z5 = (t1 + z5).dbl() + t1;
    t0 = mul_by_xi(t3);
    z2 = (t0 + z2).dbl() + t0;
    z3 = (t2 - z3).dbl() + t2;
    return Fq12{Fq6{z0, z4, z3}, Fq6{z2, z1, z5}};
  }
  // f^(p⁶): w^(p⁶) = −w.
  Fq12 conjugate() const { return Fq12{c0, c1.neg()}; }
  Fq12 inverse() const {
    const Fq6 t = (c0.sqr() - c1.sqr().mul_by_v()).inverse();
    return Fq12{c0 * t, (c1 * t).neg()};
  }

  // Times a line a + (b + c·v)·w with a in Fq: 13 Fq2 products instead of 18.
  Fq12 mul_by_line(const Fq &a, const Fq2 &b, const Fq2 &c) const {
    const Fq6 t0{scale(c0.c0, a), scale(c0.c1, a), scale(c0.c2, a)};
    const Fq6 t1 = c1.mul_by_01(b, c);
    const Fq2 a2{a, Fq::zero()};
    return Fq12{t0 + t1.mul_by_v(), (c0 + c1).mul_by_01(a2 + b, c) - t0 - t1};
  }
};

}  // namespace bn254
}  // namespace gal
