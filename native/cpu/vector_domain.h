// Where the eight-lane IFMA arithmetic is on, the MSMs keep points and
// buckets in its Montgomery form (x·2^260) so that batches of additions
// gather them as they are; their scalar code (XYZZ overflow sums, rare
// special lanes) keeps the scalar form (x·2^256), and values cross over with
// these helpers. Also here: Fq2 on the lanes (G2), wire coordinates loaded
// into the vector domain, and the lane masks and offsets of a batch.
#pragma once
#include "gal/bn254.h"
#include "gal/bn254_g2.h"
#include "gal/field52x8.h"

namespace gal {
namespace cpu {

inline bn254::Fq to_vector_domain(const bn254::Fq &x) { return x.dbl().dbl().dbl().dbl(); }  // ·16
inline bn254::Fq to_scalar_domain(const bn254::Fq &x) {
  const bn254::Fq two_252{{0, 0, 0, 1ULL << 60}};  // mont(x·2^260, 2^252) = x·2^256
  return x * two_252;
}
inline bn254::Fq2 to_vector_domain(const bn254::Fq2 &x) { return {to_vector_domain(x.c0), to_vector_domain(x.c1)}; }
inline bn254::Fq2 to_scalar_domain(const bn254::Fq2 &x) { return {to_scalar_domain(x.c0), to_scalar_domain(x.c1)}; }
template <class Affine>  // G1Affine or G2Affine; infinity, (0, 0), is the same in both
Affine to_scalar_domain(const Affine &p) {
  return p.is_inf() ? p : Affine{to_scalar_domain(p.x), to_scalar_domain(p.y)};
}

#ifdef GAL_FIELD52X8
using FqLanes = Field52x8<bn254::FqParams>;

// Lane c of v read, or replaced by x (vector-domain limbs, as they are):
// for the rare lanes that leave the vector formulas.
inline bn254::Fq lane_value(const FqLanes &v, int c) {
  bn254::Fq t[8];
  bn254::Fq *out[8];
  for (int i = 0; i < 8; ++i) out[i] = &t[i];
  v.scatter(out);
  return t[c];
}
inline void set_lane_value(FqLanes &v, int c, const bn254::Fq &x) {
  bn254::Fq t[8];
  bn254::Fq *out[8];
  const bn254::Fq *in[8];
  for (int i = 0; i < 8; ++i) out[i] = &t[i], in[i] = &t[i];
  v.scatter(out);
  t[c] = x;
  v = FqLanes::gather(in);
}

// Eight Fq2 values: c0 + c1·u lane by lane.
struct Fq2Lanes {
  FqLanes c0, c1;

  static Fq2Lanes gather(const bn254::Fq2 *const x[8]) {
    const bn254::Fq *a[8], *b[8];
    for (int i = 0; i < 8; ++i) a[i] = &x[i]->c0, b[i] = &x[i]->c1;
    return {FqLanes::gather(a), FqLanes::gather(b)};
  }
  void scatter(bn254::Fq2 *const out[8]) const {
    bn254::Fq *a[8], *b[8];
    for (int i = 0; i < 8; ++i) a[i] = &out[i]->c0, b[i] = &out[i]->c1;
    c0.scatter(a);
    c1.scatter(b);
  }
  static Fq2Lanes gather_at(const bn254::Fq2 *base, __m512i offsets) {
    return {FqLanes::gather_at(&base->c0, offsets), FqLanes::gather_at(&base->c1, offsets)};
  }
  void scatter_at(bn254::Fq2 *base, __m512i offsets, __mmask8 lanes) const {
    c0.scatter_at(&base->c0, offsets, lanes);
    c1.scatter_at(&base->c1, offsets, lanes);
  }
  __mmask8 zero_lanes() const { return c0.zero_lanes() & c1.zero_lanes(); }
  static Fq2Lanes blend(__mmask8 take_b, const Fq2Lanes &a, const Fq2Lanes &b) {
    return {FqLanes::blend(take_b, a.c0, b.c0), FqLanes::blend(take_b, a.c1, b.c1)};
  }
  Fq2Lanes operator+(const Fq2Lanes &b) const { return {c0 + b.c0, c1 + b.c1}; }
  Fq2Lanes operator-(const Fq2Lanes &b) const { return {c0 - b.c0, c1 - b.c1}; }
  Fq2Lanes reduced() const { return {c0.reduced(), c1.reduced()}; }

  // Karatsuba (u² = −1). Operands below 2p; the result below p, or with
  // `lazy` below 2p (for chains that reduce at their end).
  template <bool lazy = false>
  Fq2Lanes mul(const Fq2Lanes &b) const {
    const FqLanes sa = c0.add_2p(c1), sb = b.c0.add_2p(b.c1);
    FqLanes t0, t1, t2;
    FqLanes::products<3, !lazy>({&c0, &c1, &sa}, {&b.c0, &b.c1, &sb}, {&t0, &t1, &t2});
    if (lazy) return {t0.sub_2p(t1), t2.sub_2p(t0).sub_2p(t1)};
    return {t0 - t1, t2 - t0 - t1};
  }
  Fq2Lanes operator*(const Fq2Lanes &b) const { return mul(b); }
  // (a + bu)² = (a + b)(a − b) + 2ab·u; this below p.
  Fq2Lanes sqr() const {
    const FqLanes s = c0.add_2p(c1), d = c0.sub_lazy(c1);
    FqLanes r0, ab;
    FqLanes::products<2>({&s, &c0}, {&d, &c1}, {&r0, &ab});
    return {r0, ab + ab};
  }
};

inline void set_lane_value(Fq2Lanes &v, int c, const bn254::Fq2 &x) {
  set_lane_value(v.c0, c, x.c0);
  set_lane_value(v.c1, c, x.c1);
}

// The lanes of the v-th group of eight among `count` entries.
inline __mmask8 live_lanes(size_t count, size_t v) {
  return (__mmask8)(count - 8 * v >= 8 ? 0xff : (1u << (count - 8 * v)) - 1);
}
// Byte offsets index << shift of eight 32-bit indices, for gather_at and
// scatter_at.
inline __m512i lane_offsets(__m256i index, unsigned shift) {
  return _mm512_slli_epi64(_mm512_cvtepu32_epi64(index), shift);
}

// 2^520 mod q in every lane: a product with it takes a raw (canonical)
// coordinate x to the vector domain, x·2^520·2^-260 = x·2^260.
inline FqLanes raw_to_vector_domain() {
  static const Limbs52 r520 = [] {
    bn254::Fq t = bn254::Fq::one();
    for (int i = 0; i < 520; ++i) t = t.dbl();
    u64 raw[4];
    t.to_limbs(raw);
    return split52(raw);
  }();
  return FqLanes::broadcast(r520);
}

// Eight wire coordinates (32-byte canonical integers) at base + offsets[c]
// for the lanes in `lanes`, in the vector domain; lanes not below q are
// added to *bad and read as zero, as are lanes outside `lanes`.
inline FqLanes load_coordinates(const uint8_t *base, __m512i offsets, __mmask8 lanes, __mmask8 *bad) {
  __m512i w[4];
  FqLanes::gather_words(base, offsets, lanes, w);
  const __mmask8 ok = FqLanes::below_modulus(w) & lanes;
  *bad |= lanes & ~ok;
  for (int j = 0; j < 4; ++j) w[j] = _mm512_maskz_mov_epi64(ok, w[j]);
  return FqLanes::from_words(w) * raw_to_vector_domain();
}

// The end of a lane load of points [i0, i0 + 8): reports by index the
// points the lanes refused (`bad`: a coordinate not below q, `off`: off the
// curve), then stores the live lanes' coordinates. G1 or G2 alike.
template <class Lanes, class Affine, class BadPoint, class OffCurve>
inline void store_loaded_points(const Lanes &X, const Lanes &Y, __mmask8 live, __mmask8 bad, __mmask8 off, size_t i0,
                                __m512i at, Affine *out, BadPoint &bad_point, OffCurve &off_curve) {
  for (int c = 0; c < 8; ++c) {
    if ((bad >> c) & 1) bad_point(i0 + c);
    if ((off >> c) & 1) off_curve(i0 + c);
  }
  X.scatter_at(&out[i0].x, at, live);
  Y.scatter_at(&out[i0].y, at, live);
}

// A vector-domain value in every lane.
inline FqLanes broadcast_lanes(const bn254::Fq &x) { return FqLanes::broadcast(split52(x.v)); }
inline Fq2Lanes broadcast_lanes(const bn254::Fq2 &x) { return {broadcast_lanes(x.c0), broadcast_lanes(x.c1)}; }

// Lane c as a scalar-domain value, or replaced by one: for the rare lanes
// that leave the vector formulas, and for results leaving the lanes.
inline bn254::Fq lane_scalar(const FqLanes &v, int c) { return to_scalar_domain(lane_value(v, c)); }
inline bn254::Fq2 lane_scalar(const Fq2Lanes &v, int c) { return {lane_scalar(v.c0, c), lane_scalar(v.c1, c)}; }
inline void set_lane_scalar(FqLanes &v, int c, const bn254::Fq &x) { set_lane_value(v, c, to_vector_domain(x)); }
inline void set_lane_scalar(Fq2Lanes &v, int c, const bn254::Fq2 &x) {
  set_lane_scalar(v.c0, c, x.c0);
  set_lane_scalar(v.c1, c, x.c1);
}
#endif

}  // namespace cpu
}  // namespace gal
