// Compiler plumbing shared by the host (g++/clang) and device (nvcc) builds.
#pragma once
#include <cstdint>
#if defined(__x86_64__) && !defined(__CUDACC__)
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics make their "undefined" operands with a
// self-initialisation that -Wall reports, once per inlined use (GCC bug
// 105593, fixed in 13); the report points into the header, so silencing it
// here leaves the warning on for our own code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
#endif

#if defined(__CUDACC__)
#define GAL_HD __host__ __device__
#define GAL_INLINE __forceinline__
#define GAL_UNROLL _Pragma("unroll")  // loops over a compile-time width: keeps arrays in registers
#else
#define GAL_HD
#define GAL_INLINE inline __attribute__((always_inline))
#define GAL_UNROLL
#endif

namespace gal {

using u64 = uint64_t;
using u128 = unsigned __int128;

// a*b + c + d never overflows 128 bits: (2^64-1)^2 + 2(2^64-1) = 2^128 - 1.
GAL_HD GAL_INLINE u64 mac(u64 a, u64 b, u64 c, u64 d, u64 &carry) {
  u128 t = (u128)a * b + c + d;
  carry = (u64)(t >> 64);
  return (u64)t;
}

#if defined(__x86_64__) && !defined(__CUDACC__)
// The carry-flag intrinsics compile to add/adc and sub/sbb chains; the
// 128-bit formulation below makes g++ spill every carry to the stack.
GAL_INLINE u64 adc(u64 a, u64 b, u64 &carry) {
  unsigned long long out;
  carry = _addcarry_u64((unsigned char)carry, a, b, &out);
  return out;
}

GAL_INLINE u64 sbb(u64 a, u64 b, u64 &borrow) {
  unsigned long long out;
  borrow = _subborrow_u64((unsigned char)borrow, a, b, &out);
  return out;
}
#else
GAL_HD GAL_INLINE u64 adc(u64 a, u64 b, u64 &carry) {
  u128 t = (u128)a + b + carry;
  carry = (u64)(t >> 64);
  return (u64)t;
}

GAL_HD GAL_INLINE u64 sbb(u64 a, u64 b, u64 &borrow) {
  u128 t = (u128)a - b - borrow;
  borrow = (u64)(t >> 127);
  return (u64)t;
}
#endif

}  // namespace gal
