// BN254 G2: the twist y^2 = x^3 + 3/(9+u) over Fq2 = Fq[u]/(u^2 + 1).
#pragma once
#include "bn254.h"

namespace gal {
namespace bn254 {

struct Fq2 {
  Fq c0, c1;  // c0 + c1·u

  GAL_HD static Fq2 zero() { return Fq2{Fq::zero(), Fq::zero()}; }
  GAL_HD static Fq2 one() { return Fq2{Fq::one(), Fq::zero()}; }
  GAL_HD bool is_zero() const { return c0.is_zero() && c1.is_zero(); }
  GAL_HD bool operator==(const Fq2 &o) const { return c0 == o.c0 && c1 == o.c1; }
  GAL_HD Fq2 operator+(const Fq2 &b) const { return Fq2{c0 + b.c0, c1 + b.c1}; }
  GAL_HD Fq2 operator-(const Fq2 &b) const { return Fq2{c0 - b.c0, c1 - b.c1}; }
  GAL_HD Fq2 neg() const { return Fq2{c0.neg(), c1.neg()}; }
  GAL_HD Fq2 dbl() const { return Fq2{c0.dbl(), c1.dbl()}; }
  // Karatsuba: 3 multiplications; u^2 = -1.
  GAL_HD Fq2 operator*(const Fq2 &b) const {
    Fq t0 = c0 * b.c0, t1 = c1 * b.c1;
    return Fq2{t0 - t1, (c0 + c1) * (b.c0 + b.c1) - t0 - t1};
  }
  // (a + bu)^2 = (a + b)(a - b) + 2ab·u: 2 multiplications.
  GAL_HD Fq2 sqr() const {
    Fq ab = c0 * c1;
    return Fq2{(c0 + c1) * (c0 - c1), ab.dbl()};
  }
  // 1/(a + bu) = (a - bu)/(a^2 + b^2).
  GAL_HD Fq2 inverse() const {
    Fq t = (c0.sqr() + c1.sqr()).inverse();
    return Fq2{c0 * t, (c1 * t).neg()};
  }
};

struct G2Affine {
  Fq2 x, y;
  GAL_HD bool is_inf() const { return x.is_zero() && y.is_zero(); }
  GAL_HD static G2Affine inf() { return G2Affine{Fq2::zero(), Fq2::zero()}; }
  GAL_HD G2Affine neg() const { return G2Affine{x, y.neg()}; }
  GAL_HD bool on_curve(const Fq2 &b) const {
    if (is_inf()) return true;
    return y.sqr() == x.sqr() * x + b;
  }
};

using G2XYZZ = XYZZ<Fq2, G2Affine>;

}  // namespace bn254
}  // namespace gal
