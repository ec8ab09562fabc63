// BN254 (alt_bn128): base field Fq, scalar field Fr, and G1: y^2 = x^3 + 3.
#pragma once
#include "field.h"

namespace gal {
namespace bn254 {

#define GAL_LIMBS(a, b, c, d) return i == 0 ? a : i == 1 ? b : i == 2 ? c : d

struct FqParams {
  GAL_HD static constexpr u64 modulus(int i) {
    GAL_LIMBS(0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL);
  }
  GAL_HD static constexpr u64 r1(int i) {
    GAL_LIMBS(0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL);
  }
  GAL_HD static constexpr u64 r2(int i) {
    GAL_LIMBS(0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL, 0x47ab1eff0a417ff6ULL, 0x06d89f71cab8351fULL);
  }
  GAL_HD static constexpr u64 inv() { return 0x87d20782e4866389ULL; }
};

struct FrParams {
  GAL_HD static constexpr u64 modulus(int i) {
    GAL_LIMBS(0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL);
  }
  GAL_HD static constexpr u64 r1(int i) {
    GAL_LIMBS(0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL, 0x666ea36f7879462eULL, 0x0e0a77c19a07df2fULL);
  }
  GAL_HD static constexpr u64 r2(int i) {
    GAL_LIMBS(0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL, 0x8c49833d53bb8085ULL, 0x0216d0b17f4e44a5ULL);
  }
  GAL_HD static constexpr u64 inv() { return 0xc2e1f593efffffffULL; }
  // r - 1 = 2^28 * t: the 2-adicity, and 5, the smallest quadratic
  // non-residue, whose t-th power generates the 2^28-th roots of unity.
  static constexpr int two_adicity = 28;
  static constexpr u64 generator = 5;
};

#undef GAL_LIMBS

using Fq = Field<FqParams>;
using Fr = Field<FrParams>;

// ω_{2^log} (its inverse when asked), the roots ffjavascript uses:
// ω_{2^28} = 5^((r-1)/2^28), squared down to the order wanted.
inline Fr root_of_unity(unsigned log, bool inverse = false) {
  constexpr int adicity = FrParams::two_adicity;
  u64 t[4];  // t = (r - 1) / 2^28
  for (int i = 0; i < 4; ++i) t[i] = Fr::p(i);
  t[0] -= 1;
  for (int i = 0; i < 4; ++i) t[i] = (t[i] >> adicity) | (i < 3 ? t[i + 1] << (64 - adicity) : 0);
  Fr w = Fr::from_u64(FrParams::generator).pow(t);
  if (inverse) w = w.inverse();
  for (int k = adicity; k > (int)log; --k) w = w.sqr();
  return w;
}

// Affine point; (0, 0) is not on the curve and stands for infinity.
struct G1Affine {
  Fq x, y;
  GAL_HD bool is_inf() const { return x.is_zero() && y.is_zero(); }
  GAL_HD static G1Affine inf() { return G1Affine{Fq::zero(), Fq::zero()}; }
  GAL_HD G1Affine neg() const { return G1Affine{x, y.neg()}; }
  GAL_HD bool on_curve() const {
    if (is_inf()) return true;
    return y.sqr() == x.sqr() * x + Fq::from_u64(3);
  }
};

// Extended Jacobian "XYZZ" coordinates: x = X/ZZ, y = Y/ZZZ, ZZ^3 = ZZZ^2.
// Mixed addition costs 8M + 2S and needs no inversion; ZZ = 0 is infinity.
// Formulas: Bernstein–Lange EFD, "xyzz" shape for short Weierstrass, a = 0.
// Templated over the coordinate field so G1 (Fq) and G2 (Fq2) share them.
template <class F, class Affine>
struct XYZZ {
  F X, Y, ZZ, ZZZ;

  GAL_HD static XYZZ inf() { return XYZZ{F::one(), F::one(), F::zero(), F::zero()}; }
  GAL_HD bool is_inf() const { return ZZ.is_zero(); }
  GAL_HD static XYZZ from_affine(const Affine &p) {
    if (p.is_inf()) return inf();
    return XYZZ{p.x, p.y, F::one(), F::one()};
  }

  // dbl-2008-s-1
  GAL_HD XYZZ dbl() const {
    if (is_inf()) return *this;
    F U = Y.dbl(), V = U.sqr(), W = U * V, S = X * V;
    F X2 = X.sqr(), M = X2.dbl() + X2;
    XYZZ r;
    r.X = M.sqr() - S.dbl();
    r.Y = M * (S - r.X) - W * Y;
    r.ZZ = V * ZZ;
    r.ZZZ = W * ZZZ;
    return r;
  }

  // mdbl-2008-s-1: doubling of an affine point.
  GAL_HD static XYZZ dbl_affine(const Affine &p) {
    F U = p.y.dbl(), V = U.sqr(), W = U * V, S = p.x * V;
    F X2 = p.x.sqr(), M = X2.dbl() + X2;
    XYZZ r;
    r.X = M.sqr() - S.dbl();
    r.Y = M * (S - r.X) - W * p.y;
    r.ZZ = V;
    r.ZZZ = W;
    return r;
  }

  // madd-2008-s with the P = Q and P = -Q cases made explicit.
  GAL_HD XYZZ add_affine(const Affine &q) const {
    if (q.is_inf()) return *this;
    if (is_inf()) return from_affine(q);
    F U2 = q.x * ZZ, S2 = q.y * ZZZ;
    F P = U2 - X, R = S2 - Y;
    if (P.is_zero()) return R.is_zero() ? dbl_affine(q) : inf();
    F PP = P.sqr(), PPP = P * PP, Q = X * PP;
    XYZZ r;
    r.X = R.sqr() - PPP - Q.dbl();
    r.Y = R * (Q - r.X) - Y * PPP;
    r.ZZ = ZZ * PP;
    r.ZZZ = ZZZ * PPP;
    return r;
  }

  // add-2008-s
  GAL_HD XYZZ add(const XYZZ &q) const {
    if (q.is_inf()) return *this;
    if (is_inf()) return q;
    F U1 = X * q.ZZ, U2 = q.X * ZZ, S1 = Y * q.ZZZ, S2 = q.Y * ZZZ;
    F P = U2 - U1, R = S2 - S1;
    if (P.is_zero()) return R.is_zero() ? dbl() : inf();
    F PP = P.sqr(), PPP = P * PP, Q = U1 * PP;
    XYZZ r;
    r.X = R.sqr() - PPP - Q.dbl();
    r.Y = R * (Q - r.X) - S1 * PPP;
    r.ZZ = ZZ * q.ZZ * PP;
    r.ZZZ = ZZZ * q.ZZZ * PPP;
    return r;
  }

  GAL_HD Affine to_affine() const {
    if (is_inf()) return Affine::inf();
    F inv = (ZZ * ZZZ).inverse();   // one inversion serves both denominators
    F zz_inv = inv * ZZZ, zzz_inv = inv * ZZ;
    return Affine{X * zz_inv, Y * zzz_inv};
  }
};

using G1XYZZ = XYZZ<Fq, G1Affine>;

}  // namespace bn254
}  // namespace gal
