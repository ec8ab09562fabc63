// Modular inversion by Bernstein–Yang divsteps ("Fast constant-time gcd
// computation and modular inversion", 2019), in the variable-time form: a
// few hundred cheap steps on machine words instead of Fermat's ~380 chained
// field multiplications. Host only (it needs 128-bit integers); the device
// keeps Fermat. Variable time is fine for what the host inverts: public
// constants, and the batch products of an MSM, whose memory access pattern
// already depends on the data.
//
// Numbers are held in five signed 62-bit limbs: limbs 0–3 in [0, 2^62), the
// top one signed, value Σ limb·2^(62i). Each round runs 62 divsteps on the
// low limbs of f and g alone, collecting them in a 2×2 matrix T with
// f·2^62 = u·f0 + v·g0 and g·2^62 = q·f0 + r·g0, then applies T to the full
// f and g (dividing exactly by 2^62) and to d and e (dividing by 2^62 modulo
// m). Throughout f ≡ d·x and g ≡ e·x (mod m); when g reaches 0, f = ±1 and
// x^-1 = ±d.
#pragma once
#if !defined(__CUDA_ARCH__)
#include <cstdint>

namespace gal {
namespace safegcd {

using i64 = int64_t;
using i128 = __int128;
constexpr i64 kMask = (i64(1) << 62) - 1;

struct Signed62 {
  i64 l[5];
};

struct Matrix {
  i64 u, v, q, r;
};

inline Signed62 from_u256(const uint64_t x[4]) {
  return Signed62{{i64(x[0] & kMask), i64(((x[0] >> 62) | (x[1] << 2)) & kMask), i64(((x[1] >> 60) | (x[2] << 4)) & kMask),
                   i64(((x[2] >> 58) | (x[3] << 6)) & kMask), i64(x[3] >> 56)}};
}

// For 0 ≤ a < 2^256.
inline void to_u256(const Signed62 &a, uint64_t x[4]) {
  const uint64_t l[5] = {uint64_t(a.l[0]), uint64_t(a.l[1]), uint64_t(a.l[2]), uint64_t(a.l[3]), uint64_t(a.l[4])};
  x[0] = l[0] | (l[1] << 62);
  x[1] = (l[1] >> 2) | (l[2] << 60);
  x[2] = (l[2] >> 4) | (l[3] << 58);
  x[3] = (l[3] >> 6) | (l[4] << 56);
}

inline bool is_zero(const Signed62 &a) { return (a.l[0] | a.l[1] | a.l[2] | a.l[3] | a.l[4]) == 0; }

// a + k·m for k = ±1, limbs renormalised.
inline void add_multiple(Signed62 &a, const Signed62 &m, i64 k) {
  i64 carry = 0;
  for (int i = 0; i < 4; ++i) {
    const i64 t = a.l[i] + k * m.l[i] + carry;
    a.l[i] = t & kMask;
    carry = t >> 62;  // arithmetic: floor division
  }
  a.l[4] += k * m.l[4] + carry;
}

// a < b, for normalised values of either sign.
inline bool less(const Signed62 &a, const Signed62 &b) {
  if (a.l[4] != b.l[4]) return a.l[4] < b.l[4];
  for (int i = 3; i >= 0; --i)
    if (a.l[i] != b.l[i]) return a.l[i] < b.l[i];
  return false;
}

// a from [-m, 2m) into [0, m).
inline void reduce_once(Signed62 &a, const Signed62 &m) {
  if (a.l[4] < 0) add_multiple(a, m, 1);
  else if (!less(a, m)) add_multiple(a, m, -1);
}

// 62 divsteps on the low bits of f (odd) and g, starting from eta = -delta;
// returns the new eta. Zero bits of g are skipped together, and each odd g
// is made even by adding f (after the swap the divstep asks for when δ > 0).
inline i64 divsteps_62(i64 eta, uint64_t f, uint64_t g, Matrix &t) {
  i64 u = 1, v = 0, q = 0, r = 1;
  int left = 62;
  for (;;) {
    const int zeros = __builtin_ctzll(g | (~uint64_t(0) << left));
    g >>= zeros;
    u = i64(uint64_t(u) << zeros);  // f's row doubles with each halving of g
    v = i64(uint64_t(v) << zeros);
    eta -= zeros;
    left -= zeros;
    if (left == 0) break;
    if (eta < 0) {  // δ > 0: (f, g) ← (g, -f)
      eta = -eta;
      const uint64_t f_old = f;
      const i64 u_old = u, v_old = v;
      f = g, g = 0 - f_old;
      u = q, v = r, q = -u_old, r = -v_old;
    }
    g += f, q += u, r += v;
  }
  t = Matrix{u, v, q, r};
  return eta;
}

// (f, g) ← T·(f, g) / 2^62, exactly.
inline void update_fg(Signed62 &f, Signed62 &g, const Matrix &t) {
  i128 cf = i128(t.u) * f.l[0] + i128(t.v) * g.l[0];
  i128 cg = i128(t.q) * f.l[0] + i128(t.r) * g.l[0];
  cf >>= 62, cg >>= 62;  // the low 62 bits are zero by construction
  for (int i = 1; i < 5; ++i) {
    cf += i128(t.u) * f.l[i] + i128(t.v) * g.l[i];
    cg += i128(t.q) * f.l[i] + i128(t.r) * g.l[i];
    f.l[i - 1] = i64(cf) & kMask, cf >>= 62;
    g.l[i - 1] = i64(cg) & kMask, cg >>= 62;
  }
  f.l[4] = i64(cf), g.l[4] = i64(cg);
}

// (d, e) ← T·(d, e) / 2^62 mod m, for d, e in [0, m); the results are
// brought back into [0, m). m_inv = m^-1 mod 2^62.
inline void update_de(Signed62 &d, Signed62 &e, const Matrix &t, const Signed62 &m, i64 m_inv) {
  i128 cd = i128(t.u) * d.l[0] + i128(t.v) * e.l[0];
  i128 ce = i128(t.q) * d.l[0] + i128(t.r) * e.l[0];
  // Multiples of m in [0, 2^62) that clear the low 62 bits: |T·(d,e)| ≤ 2^62·m,
  // so the sums land in [-m, 2m) after the division.
  const i64 md = i64(uint64_t(0) - uint64_t(i64(cd)) * uint64_t(m_inv)) & kMask;
  const i64 me = i64(uint64_t(0) - uint64_t(i64(ce)) * uint64_t(m_inv)) & kMask;
  cd += i128(md) * m.l[0], ce += i128(me) * m.l[0];
  cd >>= 62, ce >>= 62;
  for (int i = 1; i < 5; ++i) {
    cd += i128(t.u) * d.l[i] + i128(t.v) * e.l[i] + i128(md) * m.l[i];
    ce += i128(t.q) * d.l[i] + i128(t.r) * e.l[i] + i128(me) * m.l[i];
    d.l[i - 1] = i64(cd) & kMask, cd >>= 62;
    e.l[i - 1] = i64(ce) & kMask, ce >>= 62;
  }
  d.l[4] = i64(cd), e.l[4] = i64(ce);
  reduce_once(d, m);
  reduce_once(e, m);
}

// out = x^-1 mod m for an odd modulus m < 2^254 and 0 < x < m coprime to it.
inline void inverse(const uint64_t x[4], const uint64_t modulus[4], uint64_t out[4]) {
  const Signed62 m = from_u256(modulus);
  uint64_t inv = modulus[0];  // Newton's iteration doubles the correct low bits: 3 → 6 → … → 96
  for (int i = 0; i < 5; ++i) inv *= 2 - modulus[0] * inv;
  const i64 m_inv = i64(inv) & kMask;

  Signed62 f = m, g = from_u256(x), d{{0, 0, 0, 0, 0}}, e{{1, 0, 0, 0, 0}};
  i64 eta = -1;
  while (!is_zero(g)) {
    Matrix t;
    eta = divsteps_62(eta, uint64_t(f.l[0]), uint64_t(g.l[0]), t);
    update_de(d, e, t, m, m_inv);
    update_fg(f, g, t);
  }
  if (f.l[4] < 0) {  // f = -1: x^-1 = -d = m - d (d ≠ 0: d·x ≡ -1)
    for (i64 &limb : d.l) limb = -limb;
    add_multiple(d, m, 1);
  }
  to_u256(d, out);
}

}  // namespace safegcd
}  // namespace gal
#endif
