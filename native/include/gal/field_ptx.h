// The GPU's field arithmetic on eight 32-bit words, written in the PTX
// carry-chain instructions (add.cc, madc.hi.cc …). nvcc compiles 64-bit limb
// code, and even 32×32→64-bit products written in C++, into several times
// more instructions: every carry becomes a compare or a 64-bit add. A carry
// chain must stay inside one asm statement (the compiler may put its own
// instructions between two), so each operation below is one.
//
// The asm texts are macros so that test/unit/cuda.ptx.test.ts can run them
// through an interpreter of these few instructions, against BigInt
// arithmetic, on machines without a GPU.
#pragma once
#include <cstdint>

// One CIOS step of a Montgomery product: t += a·b_i, then t += m·p with
// m = t_0·(−p⁻¹) mod 2^32, which zeroes t_0 (the caller shifts t down a word).
// %0..%8 t (nine words), %9..%16 a, %17 b_i, %18..%25 p, %26 −p⁻¹ mod 2^32.
// t stays below 2^288 throughout (t < 2p between steps, a < p, b_i, m < 2^32),
// so the ninth word never carries out.
#define GAL_PTX_MONT_STEP \
  "{\n\t" \
  ".reg .u32 m;\n\t" \
  "mad.lo.cc.u32 %0, %9, %17, %0;\n\t" \
  "madc.lo.cc.u32 %1, %10, %17, %1;\n\t" \
  "madc.lo.cc.u32 %2, %11, %17, %2;\n\t" \
  "madc.lo.cc.u32 %3, %12, %17, %3;\n\t" \
  "madc.lo.cc.u32 %4, %13, %17, %4;\n\t" \
  "madc.lo.cc.u32 %5, %14, %17, %5;\n\t" \
  "madc.lo.cc.u32 %6, %15, %17, %6;\n\t" \
  "madc.lo.cc.u32 %7, %16, %17, %7;\n\t" \
  "addc.u32 %8, %8, 0;\n\t" \
  "mad.hi.cc.u32 %1, %9, %17, %1;\n\t" \
  "madc.hi.cc.u32 %2, %10, %17, %2;\n\t" \
  "madc.hi.cc.u32 %3, %11, %17, %3;\n\t" \
  "madc.hi.cc.u32 %4, %12, %17, %4;\n\t" \
  "madc.hi.cc.u32 %5, %13, %17, %5;\n\t" \
  "madc.hi.cc.u32 %6, %14, %17, %6;\n\t" \
  "madc.hi.cc.u32 %7, %15, %17, %7;\n\t" \
  "madc.hi.u32 %8, %16, %17, %8;\n\t" \
  "mul.lo.u32 m, %0, %26;\n\t" \
  "mad.lo.cc.u32 %0, m, %18, %0;\n\t" \
  "madc.lo.cc.u32 %1, m, %19, %1;\n\t" \
  "madc.lo.cc.u32 %2, m, %20, %2;\n\t" \
  "madc.lo.cc.u32 %3, m, %21, %3;\n\t" \
  "madc.lo.cc.u32 %4, m, %22, %4;\n\t" \
  "madc.lo.cc.u32 %5, m, %23, %5;\n\t" \
  "madc.lo.cc.u32 %6, m, %24, %6;\n\t" \
  "madc.lo.cc.u32 %7, m, %25, %7;\n\t" \
  "addc.u32 %8, %8, 0;\n\t" \
  "mad.hi.cc.u32 %1, m, %18, %1;\n\t" \
  "madc.hi.cc.u32 %2, m, %19, %2;\n\t" \
  "madc.hi.cc.u32 %3, m, %20, %3;\n\t" \
  "madc.hi.cc.u32 %4, m, %21, %4;\n\t" \
  "madc.hi.cc.u32 %5, m, %22, %5;\n\t" \
  "madc.hi.cc.u32 %6, m, %23, %6;\n\t" \
  "madc.hi.cc.u32 %7, m, %24, %7;\n\t" \
  "madc.hi.u32 %8, m, %25, %8;\n\t" \
  "}\n\t"

// %0..%7 = a + b mod 2^256 (%8..%15 a, %16..%23 b).
#define GAL_PTX_ADD8 \
  "add.cc.u32 %0, %8, %16;\n\t" \
  "addc.cc.u32 %1, %9, %17;\n\t" \
  "addc.cc.u32 %2, %10, %18;\n\t" \
  "addc.cc.u32 %3, %11, %19;\n\t" \
  "addc.cc.u32 %4, %12, %20;\n\t" \
  "addc.cc.u32 %5, %13, %21;\n\t" \
  "addc.cc.u32 %6, %14, %22;\n\t" \
  "addc.u32 %7, %15, %23;\n\t"

// %0..%7 = a − b mod 2^256 and %8 = all ones when a < b, else 0
// (%9..%16 a, %17..%24 b).
#define GAL_PTX_SUB8 \
  "sub.cc.u32 %0, %9, %17;\n\t" \
  "subc.cc.u32 %1, %10, %18;\n\t" \
  "subc.cc.u32 %2, %11, %19;\n\t" \
  "subc.cc.u32 %3, %12, %20;\n\t" \
  "subc.cc.u32 %4, %13, %21;\n\t" \
  "subc.cc.u32 %5, %14, %22;\n\t" \
  "subc.cc.u32 %6, %15, %23;\n\t" \
  "subc.cc.u32 %7, %16, %24;\n\t" \
  "subc.u32 %8, 0, 0;\n\t"

#if defined(__CUDA_ARCH__)
namespace gal {
namespace ptx {

using u32 = uint32_t;

__device__ __forceinline__ void mont_step(u32 t[9], const u32 a[8], u32 b, const u32 p[8], u32 inv) {
  asm(GAL_PTX_MONT_STEP
      : "+r"(t[0]), "+r"(t[1]), "+r"(t[2]), "+r"(t[3]), "+r"(t[4]), "+r"(t[5]), "+r"(t[6]), "+r"(t[7]), "+r"(t[8])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5]), "r"(a[6]), "r"(a[7]), "r"(b),
        "r"(p[0]), "r"(p[1]), "r"(p[2]), "r"(p[3]), "r"(p[4]), "r"(p[5]), "r"(p[6]), "r"(p[7]), "r"(inv));
}

__device__ __forceinline__ void add8(u32 r[8], const u32 a[8], const u32 b[8]) {
  asm(GAL_PTX_ADD8
      : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]), "=r"(r[4]), "=r"(r[5]), "=r"(r[6]), "=r"(r[7])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5]), "r"(a[6]), "r"(a[7]),
        "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(b[4]), "r"(b[5]), "r"(b[6]), "r"(b[7]));
}

// Returns all ones when a < b (the difference wrapped), else 0.
__device__ __forceinline__ u32 sub8(u32 r[8], const u32 a[8], const u32 b[8]) {
  u32 borrow;
  asm(GAL_PTX_SUB8
      : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]), "=r"(r[4]), "=r"(r[5]), "=r"(r[6]), "=r"(r[7]), "=r"(borrow)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5]), "r"(a[6]), "r"(a[7]),
        "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(b[4]), "r"(b[5]), "r"(b[6]), "r"(b[7]));
  return borrow;
}

}  // namespace ptx
}  // namespace gal
#endif
