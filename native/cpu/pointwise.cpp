// Pointwise Fr arithmetic over whole buffers, canonical in and out: what a
// prover does between transforms (Groth16's A·B and its quotient's
// A·B − C on the coset), at native speed instead of one BigInt at a time.
#include <atomic>
#include <cstring>

#include "gal/bn254.h"
#include "kernels.h"
#include "parallel.h"

namespace gal {
namespace cpu {

Status fr_mul_sub(const uint8_t *a, const uint8_t *b, const uint8_t *c, uint8_t *out, size_t count, unsigned threads) {
  using bn254::Fr;
  if (threads == 0) threads = hardware_threads();
  std::atomic<size_t> bad{count};
  parallel_range(count, threads, 16384, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      Fr x, y, z = Fr::zero();
      std::memcpy(x.v, a + 32 * i, 32);
      std::memcpy(y.v, b + 32 * i, 32);
      if (c) std::memcpy(z.v, c + 32 * i, 32);
      if (!Fr::limbs_below_modulus(x.v) || !Fr::limbs_below_modulus(y.v) || !Fr::limbs_below_modulus(z.v)) {
        size_t cur = bad.load();
        while (i < cur && !bad.compare_exchange_weak(cur, i)) {}
        continue;
      }
      // Montgomery products of raw values: (x·R²)/R = x·R, then (x·R)·y/R =
      // x·y, canonical. The subtraction is the same in any form.
      const Fr product = (x * Fr::r2()) * y - z;
      std::memcpy(out + 32 * i, product.v, 32);
    }
  });
  if (bad < count)
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected element " + std::to_string(bad.load()) + " of each input below r but received a larger value");
  return Status{};
}

}  // namespace cpu
}  // namespace gal
