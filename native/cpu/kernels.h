// The CPU kernels' entry points. Inputs use the wire encodings (canonical
// little-endian, DESIGN §3); every function validates what it reads and
// reports the first problem through Status instead of throwing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gal/status.h"

// Inputs are read as 64-bit limbs straight from little-endian byte buffers.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the CPU kernels assume a little-endian host");

namespace gal {
namespace cpu {

// Whether the kernels may use the eight-lane IFMA arithmetic: compiled in
// (the build machine has AVX-512 IFMA) and not switched off with
// GALACTIC_CPU_VECTOR=0, which the tests use to keep the scalar paths honest.
bool vector_arithmetic();

using gal::Status;

// Σ scalars[i]·points[i] over BN254 G1. points: n × 64 bytes (x‖y, infinity
// = zeros), scalars: n × 32 bytes (< r). out: 64 bytes, affine.
// window_bits = 0 chooses the window from n.
Status msm_g1(const uint8_t *points, const uint8_t *scalars, size_t n, unsigned threads, unsigned window_bits,
              uint8_t *out);

// Σ scalars[i]·points[i] over BN254 G2 (the twist over Fq2 = Fq[u]/(u²+1)).
// points: n × 128 bytes (x.c0‖x.c1‖y.c0‖y.c1, infinity = zeros), scalars:
// n × 32 bytes (< r). out: 128 bytes, affine. Points are checked to be on
// the twist, not to be in the r-torsion subgroup.
Status msm_g2(const uint8_t *points, const uint8_t *scalars, size_t n, unsigned threads, uint8_t *out);

// Π e(g1[i], g2[i]) for the optimal ate pairing, k pairs (g1: k × 64 bytes,
// g2: k × 128, as for the MSMs; infinity = zeros). out: the Fq12 result, 384
// bytes: twelve 32-byte coefficients, c0.c0.c0, c0.c0.c1, c0.c1.c0, …,
// c1.c2.c1 (Fq12 = Fq6[w]/(w² − v), Fq6 = Fq2[v]/(v³ − (9 + u))). G2 points
// are checked to lie in the order-r subgroup.
Status pairing_product(const uint8_t *g1, const uint8_t *g2, size_t k, uint8_t *out);

// Number-theoretic transform over BN254 Fr, natural order in and out, the
// roots ffjavascript uses. n must be a power of two ≤ 2^28. When coset_shift
// is non-null the transform is evaluated on the coset shift·H: forward
// multiplies a_i by shift^i first, inverse multiplies by shift^-i last.
Status ntt_fr(const uint8_t *in, uint8_t *out, size_t n, bool inverse, const uint8_t *coset_shift, unsigned threads);

// circomlib Poseidon, count hashes of `arity` inputs each (1 ≤ arity ≤ 16).
Status poseidon_hash(const uint8_t *inputs, size_t count, unsigned arity, uint8_t *out, unsigned threads);

// The instance's round constants ((8 + partial rounds) × t) and MDS matrix
// (t × t, row-major), for checking against published parameter sets, and
// the optimised partial rounds (partial_c ‖ sparse ‖ tail ‖ after_c, see
// poseidon.cpp; empty when the factorisation is unavailable), which the GPU
// backends take; each element 32 canonical bytes.
Status poseidon_constants(unsigned arity, std::vector<uint8_t> &c, std::vector<uint8_t> &m, std::vector<uint8_t> &partial);

// Root of the binary Poseidon(arity 2) Merkle tree over n leaves, n a power of two.
Status poseidon_merkle_root(const uint8_t *leaves, size_t n, uint8_t *out, unsigned threads);

// Converts between canonical form and the Montgomery form (R = 2^256) that
// snarkjs/ffjavascript store in zkey and wtns files. field: 'q' or 'r'.
Status montgomery_convert(char field, bool to_montgomery, const uint8_t *in, uint8_t *out, size_t count,
                          unsigned threads);

// out_i = a_i·b_i − c_i over BN254 Fr for count elements (c may be null:
// the product alone), 32 canonical bytes each in and out.
Status fr_mul_sub(const uint8_t *a, const uint8_t *b, const uint8_t *c, uint8_t *out, size_t count, unsigned threads);

// Sparse matrices times a vector over BN254 Fr: out[m·rows + i] = Σ value ·
// vector[column] over the records of matrix m and row i (zero where none).
// A record is kSparseRecordBytes: matrix, row and column as little-endian
// u32, then the value (32 canonical bytes), as a snarkjs .zkey's
// coefficients section lays them out (its values in another form).
constexpr size_t kSparseRecordBytes = 44;
Status fr_sparse_mul(const uint8_t *records, size_t count, const uint8_t *vector, size_t length, size_t rows,
                     unsigned matrices, uint8_t *out);

// Nanoseconds per Montgomery multiplication in Fq ('q') or Fr ('r'), timed
// over `iterations` rounds of four independent chains on one thread; 'v':
// per lane of the eight-lane IFMA Fr arithmetic (0 where the CPU lacks it).
Status field_mul_cost(char field, size_t iterations, double *ns_per_mul);

// The Pippenger window msm_g1 chooses for n points.
unsigned msm_window_bits(size_t n);

}  // namespace cpu
}  // namespace gal
