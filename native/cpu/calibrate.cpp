// Measures the cost of one field multiplication, the unit in which the
// benchmarks express each kernel's floor (multiplications needed × cost).
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "gal/bn254.h"
#include "gal/field52x8.h"
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

#ifdef GAL_FIELD52X8
// The same for eight Fr lanes of IFMA arithmetic, per lane.
double mul_ns_x8(size_t iterations) {
  using V = Field52x8<bn254::FrParams>;
  V a0 = V::broadcast(V::constant(bn254::Fr::from_u64(3))), a1 = V::broadcast(V::constant(bn254::Fr::from_u64(5)));
  const V b = V::broadcast(V::constant(bn254::Fr::from_u64(13)));
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < iterations; ++i) {
    a0 = a0 * b;
    a1 = a1 * b;
  }
  auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  alignas(64) u64 sink[8];
  _mm512_store_si512(sink, (a0 + a1).l[0]);
  volatile u64 keep = sink[0];
  (void)keep;
  return ns / (16.0 * (double)iterations);
}
#endif

}  // namespace

bool vector_arithmetic() {
#ifdef GAL_FIELD52X8
  const char *env = std::getenv("GALACTIC_CPU_VECTOR");
  return !(env && env[0] == '0');
#else
  return false;
#endif
}

Status field_mul_cost(char field, size_t iterations, double *ns_per_mul) {
  if (field == 'q') *ns_per_mul = mul_ns<bn254::Fq>(iterations);
  else if (field == 'r') *ns_per_mul = mul_ns<bn254::Fr>(iterations);
#ifdef GAL_FIELD52X8
  else if (field == 'v') *ns_per_mul = mul_ns_x8(iterations);
#else
  else if (field == 'v') *ns_per_mul = 0;  // no vector arithmetic on this CPU
#endif
  else return Status::fail("GAL_ERR_INVALID_ARGUMENT", std::string("Expected field 'q', 'r' or 'v' but received '") + field + "'");
  return Status{};
}

}  // namespace cpu
}  // namespace gal
