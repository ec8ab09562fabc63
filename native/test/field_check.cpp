// Checks the portable field multiplications (the 32-bit-word one is what the
// GPU runs) against the host's fast path and against algebraic identities,
// on random values and the edges 0, 1 and p-1, the host's inverse against
// Fermat's, and the eight-lane IFMA arithmetic (its lazily reduced forms
// too) against the scalar one where the CPU has it. Built and run by
// test/integration/native.test.ts.
#include <cstdio>
#include <random>

#include "gal/bn254.h"
#include "gal/field52x8.h"

using namespace gal;
using namespace gal::bn254;

// A uniform element: 254 random bits, rejected until below the modulus.
template <class F>
F random_element(std::mt19937_64 &rng) {
  for (;;) {
    u64 l[4] = {rng(), rng(), rng(), rng() >> 2};
    F x;
    if (F::from_limbs(l, x)) return x;
  }
}

// x^(p-2): the device's inverse, against which the host's divsteps are checked.
template <class F>
F fermat_inverse(const F &x) {
  u64 e[4] = {F::p(0) - 2, F::p(1), F::p(2), F::p(3)};  // p is odd and > 2: no borrow
  return x.pow(e);
}

template <class F>
int check(const char *name, std::mt19937_64 &rng, int rounds) {
  int bad = 0;
  const F one = F::one(), minus_one = F::zero() - one;
  const F edges[] = {F::zero(), one, minus_one};
  auto random = [&] { return random_element<F>(rng); };
  for (int i = 0; i < rounds; ++i) {
    F a = i < 3 ? edges[i] : random(), b = i < 9 ? edges[i % 3] : random(), c = random();
    if (a * b != a.mul_portable(b)) ++bad;
    if (a * (b + c) != a * b + a * c) ++bad;
    if ((a - b) + b != a) ++bad;
    if (!a.is_zero() && a * a.inverse() != one) ++bad;
    if (i < rounds / 10 && a.inverse() != fermat_inverse(a)) ++bad;
  }
  if (!F::zero().inverse().is_zero()) ++bad;
  // Representations whose divsteps run to extremes: small integers, powers
  // of two (long runs of zero bits) and their negatives.
  for (int k = 0; k < 254; ++k) {
    for (u64 small : {u64(1) << (k % 64), u64(k + 1), u64(3) << (k % 62)}) {
      F x{{k < 64 ? small : 0, k >= 64 && k < 128 ? small : 0, k >= 128 && k < 192 ? small : 0, k >= 192 ? small >> 2 : 0}};
      if (x.is_zero()) continue;
      for (const F &y : {x, F::zero() - x})
        if (y.inverse() != fermat_inverse(y) || y * y.inverse() != one) ++bad;
    }
  }
  if (minus_one * minus_one != one) ++bad;
  std::printf("%s: %d mismatches in %d rounds\n", name, bad, rounds);
  return bad;
}

#ifdef GAL_FIELD52X8
// Every lane normalised and below 2p, the lazy forms' bound.
template <class P>
bool below_twice_modulus(const Field52x8<P> &v) {
  alignas(64) u64 limbs[5][8];
  for (int j = 0; j < 5; ++j) _mm512_store_si512(limbs[j], v.l[j]);
  u64 twice[4], carry = 0;
  for (int j = 0; j < 4; ++j) twice[j] = (P::modulus(j) << 1) | carry, carry = P::modulus(j) >> 63;
  for (int i = 0; i < 8; ++i) {
    const u64 l[5] = {limbs[0][i], limbs[1][i], limbs[2][i], limbs[3][i], limbs[4][i]};
    for (int j = 0; j < 5; ++j)
      if (l[j] >> (j < 4 ? 52 : 48)) return false;  // not normalised, or past 2^256
    u64 w[4];
    join52(l, w);
    int j = 3;
    while (j > 0 && w[j] == twice[j]) --j;
    if (w[j] >= twice[j]) return false;
  }
  return true;
}

// The eight-lane IFMA arithmetic against the scalar one, edges included.
template <class P>
int check_x8(const char *name, std::mt19937_64 &rng, int rounds) {
  using F = Field<P>;
  using V = Field52x8<P>;
  int bad = 0;
  auto random = [&] { return random_element<F>(rng); };
  for (int r = 0; r < rounds; ++r) {
    F a[8], b[8], out[8];
    const F *pa[8], *pb[8];
    F *po[8];
    for (int i = 0; i < 8; ++i) {
      // Round 0: lanes of 0, 1, p-1 against random and p-1; round 1: p-1
      // against p-1 and against 0, the lazy forms' largest operands.
      const F minus_one = F::zero() - F::one();
      a[i] = r == 0 && i < 3 ? (i == 0 ? F::zero() : i == 1 ? F::one() : minus_one) : r == 1 ? minus_one : random();
      b[i] = (r == 0 && i > 4) || (r == 1 && i % 2 == 0) ? minus_one : r == 1 ? F::zero() : random();
      pa[i] = &a[i], pb[i] = &b[i], po[i] = &out[i];
    }
    const V va = V::load(pa), vb = V::load(pb);
    (va * vb).store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != a[i] * b[i];
    (va + vb).store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != a[i] + b[i];
    (va - vb).store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != a[i] - b[i];
    (va * V::broadcast(V::constant(b[0]))).store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != a[i] * b[0];
    (va.sub_lazy(vb) * vb).store(po);  // a lazily reduced operand, in [1, 2p)
    for (int i = 0; i < 8; ++i) bad += out[i] != (a[i] - b[i]) * b[i];
    // The lazy forms on values in [p, 2p) (a + p and b + p): the results
    // must equal the reduced ones and stay within their bounds.
    const V zero = V::broadcast(Limbs52{}), a2 = va.sub_lazy(zero), b2 = vb.sub_lazy(zero);
    const V sum = a2.add_2p(b2), diff = a2.sub_2p(b2), prod = a2.sub_lazy_2p(b2).mul_lazy(b2);
    bad += !below_twice_modulus(sum) + !below_twice_modulus(diff) + !below_twice_modulus(prod);
    sum.store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != a[i] + b[i];
    diff.store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != a[i] - b[i];
    prod.store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != (a[i] - b[i]) * b[i];
    V ab, bb = vb;  // two products interleaved, one output overwriting an input
    V::template products<2>({&va, &bb}, {&vb, &bb}, {&ab, &bb});
    ab.store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != a[i] * b[i];
    bb.store(po);
    for (int i = 0; i < 8; ++i) bad += out[i] != b[i] * b[i];
  }
  std::printf("%s x8: %d mismatches in %d rounds\n", name, bad, rounds);
  return bad;
}
#endif

int main() {
  std::mt19937_64 rng(2024);
  int bad = check<Fq>("Fq", rng, 200000) + check<Fr>("Fr", rng, 200000);
#ifdef GAL_FIELD52X8
  bad += check_x8<FqParams>("Fq", rng, 20000) + check_x8<FrParams>("Fr", rng, 20000);
#endif
  // G1: 2·G by doubling equals G + G by addition, and G + (-G) is infinity.
  G1Affine g{Fq::from_u64(1), Fq::from_u64(2)};
  G1XYZZ two = G1XYZZ::from_affine(g).dbl(), sum = G1XYZZ::from_affine(g).add(G1XYZZ::from_affine(g));
  G1Affine t = two.to_affine(), s = sum.to_affine();
  if (!g.on_curve() || !t.on_curve() || t.x != s.x || t.y != s.y) ++bad;
  if (!G1XYZZ::from_affine(g).add_affine(g.neg()).is_inf()) ++bad;
  return bad ? 1 : 0;
}
