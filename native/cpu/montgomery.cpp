// Canonical ⇄ Montgomery-form conversion for snarkjs/ffjavascript buffers.
#include <atomic>
#include <cstring>

#include "gal/bn254.h"
#include "kernels.h"
#include "parallel.h"

namespace gal {
namespace cpu {
namespace {

template <class F>
Status convert(bool to_montgomery, const uint8_t *in, uint8_t *out, size_t count, unsigned threads) {
  std::atomic<size_t> bad{count};
  parallel_range(count, threads, 16384, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      u64 l[4];
      std::memcpy(l, in + 32 * i, 32);
      if (!F::limbs_below_modulus(l)) {
        keep_lowest(bad, i);
        continue;
      }
      F x{{l[0], l[1], l[2], l[3]}};
      if (to_montgomery) {
        x = x * F::r2();  // a·R² / R = a·R
        std::memcpy(out + 32 * i, x.v, 32);
      } else {
        x.to_bytes(out + 32 * i);  // to_bytes leaves Montgomery form
      }
    }
  });
  if (bad < count)
    return Status::fail("GAL_ERR_FIELD_RANGE", "Expected element " + std::to_string(bad.load()) + " below the modulus but received a larger value");
  return Status{};
}

}  // namespace

Status montgomery_convert(char field, bool to_montgomery, const uint8_t *in, uint8_t *out, size_t count,
                          unsigned threads) {
  if (threads == 0) threads = hardware_threads();
  if (field == 'q') return convert<bn254::Fq>(to_montgomery, in, out, count, threads);
  if (field == 'r') return convert<bn254::Fr>(to_montgomery, in, out, count, threads);
  return Status::fail("GAL_ERR_INVALID_ARGUMENT", std::string("Expected field 'q' or 'r' but received '") + field + "'");
}

}  // namespace cpu
}  // namespace gal
