// Where the eight-lane IFMA arithmetic is on, the MSMs keep points and
// buckets in its Montgomery form (x·2^260) so that batches of additions
// gather them as they are; their scalar code (XYZZ overflow sums, bucket
// reductions, rare special lanes) keeps the scalar form (x·2^256), and values
// cross over with these helpers.
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
#endif

}  // namespace cpu
}  // namespace gal
