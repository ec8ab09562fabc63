// XYZZ points on eight lanes (vector domain; ZZ = 0 is infinity), generic
// over the coordinate lanes as the scalar XYZZ is over its field: FqLanes
// for G1, Fq2Lanes for G2. On them, the MSMs' bucket reduction.
#pragma once
#include <cstddef>

#include "vector_domain.h"

#ifdef GAL_FIELD52X8
namespace gal {
namespace cpu {

// Point: the scalar XYZZ type, Affine: its affine points.
template <class Lanes, class Point, class Affine>
struct XYZZLanes {
  Lanes X, Y, ZZ, ZZZ;

  static XYZZLanes inf(const Lanes &one, const Lanes &zero) { return {one, one, zero, zero}; }

  // Lane c as a scalar-domain point, and back.
  Point lane(int c) const { return Point{lane_scalar(X, c), lane_scalar(Y, c), lane_scalar(ZZ, c), lane_scalar(ZZZ, c)}; }
  void set_lane(int c, const Point &q) {
    set_lane_scalar(X, c, q.X);
    set_lane_scalar(Y, c, q.Y);
    set_lane_scalar(ZZ, c, q.ZZ);
    set_lane_scalar(ZZZ, c, q.ZZZ);
  }

  void select(__mmask8 take, const XYZZLanes &o) {
    X = Lanes::blend(take, X, o.X), Y = Lanes::blend(take, Y, o.Y);
    ZZ = Lanes::blend(take, ZZ, o.ZZ), ZZZ = Lanes::blend(take, ZZZ, o.ZZZ);
  }

  // this += (qx, qy) lane by lane (madd-2008-s); q_inf lanes add nothing.
  // Lanes where this = ±q need the doubling or give infinity: they are
  // redone in scalar.
  void add_affine(const Lanes &qx, const Lanes &qy, __mmask8 q_inf, const Lanes &one) {
    const __mmask8 a_inf = ZZ.zero_lanes();
    const Lanes U2 = qx * ZZ, S2 = qy * ZZZ, P = U2 - X, R = S2 - Y;
    const __mmask8 special = P.zero_lanes() & ~a_inf & ~q_inf;
    const Lanes PP = P.sqr(), PPP = P * PP, Q = X * PP;
    XYZZLanes r;
    r.X = R.sqr() - PPP - (Q + Q);
    r.Y = R * (Q - r.X) - Y * PPP;
    r.ZZ = ZZ * PP;
    r.ZZZ = ZZZ * PPP;
    r.select(a_inf, XYZZLanes{qx, qy, one, one});
    const XYZZLanes before = *this;
    select(~q_inf, r);
    for (int c = 0; c < 8; ++c)
      if ((special >> c) & 1) set_lane(c, before.lane(c).add_affine(Affine{lane_scalar(qx, c), lane_scalar(qy, c)}));
  }

  // this += b lane by lane (add-2008-s), with the same special-lane rule.
  void add(const XYZZLanes &b) {
    const __mmask8 a_inf = ZZ.zero_lanes(), b_inf = b.ZZ.zero_lanes();
    const Lanes U1 = X * b.ZZ, U2 = b.X * ZZ, S1 = Y * b.ZZZ, S2 = b.Y * ZZZ;
    const Lanes P = U2 - U1, R = S2 - S1;
    const __mmask8 special = P.zero_lanes() & ~a_inf & ~b_inf;
    const Lanes PP = P.sqr(), PPP = P * PP, Q = U1 * PP;
    XYZZLanes r;
    r.X = R.sqr() - PPP - (Q + Q);
    r.Y = R * (Q - r.X) - S1 * PPP;
    r.ZZ = ZZ * b.ZZ * PP;
    r.ZZZ = ZZZ * b.ZZZ * PPP;
    r.select(a_inf, b);
    const XYZZLanes before = *this;
    select(~b_inf, r);
    for (int c = 0; c < 8; ++c)
      if ((special >> c) & 1) set_lane(c, before.lane(c).add(b.lane(c)));
  }
};

// Σ_b (b+1)·(bucket[b] + side(b)) over nb buckets, nb a power of two ≥ 8:
// the bucket range is cut into eight contiguous slices, one a lane; each
// lane keeps its slice's running and weighted sums, and the slices' weight
// offsets are added back at the end. bucket: the affine bucket sums in the
// vector domain ((0, 0) when empty); side(b): a pointer to b's overflow sum
// (scalar domain), or null.
template <class Lanes, class Point, class Affine, class Side>
Point reduce_bucket_slices(const Affine *bucket, size_t nb, Side &&side) {
  using P8 = XYZZLanes<Lanes, Point, Affine>;
  using Coordinate = decltype(Affine{}.x);
  const size_t L = nb / 8;
  const Lanes one = broadcast_lanes(to_vector_domain(Coordinate::one())), zero = broadcast_lanes(Coordinate::zero());
  P8 running = P8::inf(one, zero), total = P8::inf(one, zero);
  const __m512i slice = _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64((long long)(L * sizeof(Affine))));
  for (size_t i = L; i-- > 0;) {
    const __m512i at = _mm512_add_epi64(slice, _mm512_set1_epi64((long long)(i * sizeof(Affine))));  // bucket c·L + i
    const Lanes qx = Lanes::gather_at(&bucket[0].x, at), qy = Lanes::gather_at(&bucket[0].y, at);
    running.add_affine(qx, qy, qx.zero_lanes() & qy.zero_lanes(), one);
    for (int c = 0; c < 8; ++c)
      if (const Point *extra = side(c * L + i)) running.set_lane(c, running.lane(c).add(*extra));
    total.add(running);
  }
  // Slice c's weights are its local ones plus c·L: add c·L·(its running sum).
  Point sum = Point::inf();
  for (int c = 0; c < 8; ++c) {
    Point offset = Point::inf(), r = running.lane(c);
    for (int bit = 2; bit >= 0; --bit) {
      offset = offset.dbl();
      if ((c >> bit) & 1) offset = offset.add(r);
    }
    for (size_t k = 1; k < L; k <<= 1) offset = offset.dbl();
    sum = sum.add(total.lane(c)).add(offset);
  }
  return sum;
}

}  // namespace cpu
}  // namespace gal
#endif
