// The CUDA module's entry points, called by its N-API boundary (addon.cc) on
// worker threads. Inputs use the wire encodings (DESIGN §3); every function
// checks what it reads and reports the first problem through Status, with
// the same codes and element indices as the CPU kernels.
#pragma once
#include <cstddef>
#include <cstdint>

#include "runtime.h"

namespace gal {
namespace cuda {

// Point indices travel in 31 bits of the sort values.
constexpr size_t kMaxPoints = size_t(1) << 31;

// Σ scalars[i]·points[i] over BN254 G1 → 64 bytes affine. The points come
// from the wire (points, n × 64 bytes) or from a resident set (points null).
// window_bits = 0 chooses the window from n.
Status msm_g1(int device, const uint8_t *points, const ResidentPoints *resident, const uint8_t *scalars, size_t n,
              unsigned window_bits, uint8_t *out);

// Converts and checks n wire points once and keeps them on the device.
Status upload_points(int device, const uint8_t *points, size_t n, ResidentPoints &out);

// The window msm_g1 chooses for n points.
unsigned msm_window_bits(size_t n);

// NTT over BN254 Fr, natural order in and out, n a power of two ≤ 2^28;
// coset_shift (32 bytes) or null, as ntt_fr of the CPU kernels.
Status ntt_fr(int device, const uint8_t *in, uint8_t *out, size_t n, bool inverse, const uint8_t *coset_shift);

// circomlib Poseidon. constants: the CPU addon's poseidonConstants(arity)
// c ‖ m ‖ partial, canonical 32-byte values (the CUDA module does not derive
// them; they are uploaded once per arity and device).
Status poseidon_hash(int device, const uint8_t *inputs, size_t count, unsigned arity, const uint8_t *constants,
                     size_t constants_bytes, uint8_t *out);
Status poseidon_merkle_root(int device, const uint8_t *leaves, size_t n, const uint8_t *constants, size_t constants_bytes,
                            uint8_t *out);

}  // namespace cuda
}  // namespace gal
