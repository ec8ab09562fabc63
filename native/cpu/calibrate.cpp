// Measures the cost of one field multiplication, the unit in which the
// benchmarks express each kernel's floor (multiplications needed × cost).
#include <chrono>
#include <cstring>

#include "gal/bn254.h"
#include "kernels.h"

namespace gal {
namespace cpu {
namespace {

template <class F>
double mul_ns(size_t iterations) {
  // Four independent chains, as the kernels interleave independent work.
  F a0 = F::from_u64(3), a1 = F::from_u64(5), a2 = F::from_u64(7), a3 = F::from_u64(11), b = F::from_u64(13);
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < iterations; ++i) {
    a0 = a0 * b;
    a1 = a1 * b;
    a2 = a2 * b;
    a3 = a3 * b;
  }
  auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  volatile u64 sink = (a0 + a1 + a2 + a3).v[0];
  (void)sink;
  return ns / (4.0 * (double)iterations);
}

}  // namespace

Status field_mul_cost(char field, size_t iterations, double *ns_per_mul) {
  if (field == 'q') *ns_per_mul = mul_ns<bn254::Fq>(iterations);
  else if (field == 'r') *ns_per_mul = mul_ns<bn254::Fr>(iterations);
  else return Status::fail("GAL_ERR_INVALID_ARGUMENT", std::string("Expected field 'q' or 'r' but received '") + field + "'");
  return Status{};
}

}  // namespace cpu
}  // namespace gal
