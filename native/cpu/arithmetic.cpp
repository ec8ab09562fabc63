// Fr arithmetic over whole buffers, canonical in and out: what a prover does
// around its transforms (Groth16's A = M_A·w and B = M_B·w from the key's
// sparse matrices, A·B, and the quotient's A·B − C on the coset), at native
// speed instead of one BigInt at a time.
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

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
        keep_lowest(bad, i);
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

Status fr_sparse_mul(const uint8_t *records, size_t count, const uint8_t *vector, size_t length, size_t rows,
                     unsigned matrices, uint8_t *out) {
  using bn254::Fr;
  for (size_t i = 0; i < length; ++i) {
    u64 l[4];
    std::memcpy(l, vector + 32 * i, 32);
    if (!Fr::limbs_below_modulus(l))
      return Status::fail("GAL_ERR_FIELD_RANGE", "Expected vector element " + std::to_string(i) + " below r but received a larger value");
  }
  std::vector<Fr> sums(rows * matrices, Fr::zero());
  for (size_t k = 0; k < count; ++k) {
    const uint8_t *rec = records + kSparseRecordBytes * k;
    uint32_t at[3];  // matrix, row, column
    std::memcpy(at, rec, 12);
    if (at[0] >= matrices || at[1] >= rows || at[2] >= length)
      return Status::fail("GAL_ERR_INVALID_ARGUMENT", "Expected record " + std::to_string(k) + " inside " +
                                                          std::to_string(matrices) + " matrices of " + std::to_string(rows) + " × " +
                                                          std::to_string(length) + " but it names matrix " + std::to_string(at[0]) +
                                                          ", row " + std::to_string(at[1]) + ", column " + std::to_string(at[2]));
    Fr value, x;
    std::memcpy(value.v, rec + 12, 32);
    if (!Fr::limbs_below_modulus(value.v))
      return Status::fail("GAL_ERR_FIELD_RANGE", "Expected the value of record " + std::to_string(k) + " below r but received a larger value");
    std::memcpy(x.v, vector + 32 * at[2], 32);
    sums[(size_t)at[0] * rows + at[1]] += (value * Fr::r2()) * x;  // canonical value·x, as in fr_mul_sub
  }
  for (size_t i = 0; i < sums.size(); ++i) std::memcpy(out + 32 * i, sums[i].v, 32);
  return Status{};
}

}  // namespace cpu
}  // namespace gal
