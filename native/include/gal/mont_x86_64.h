// 4-limb Montgomery multiplication for x86-64 with BMI2 (mulx) and ADX
// (adcx/adox): the no-carry CIOS of field.h, with two independent carry
// chains per row so the multiplier never waits on a single flag register.
// Host-only; the portable __int128 code in field.h is the reference and the
// fallback, and the kernels' tests exercise whichever the build selects.
#pragma once
#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__) && !defined(__CUDACC__) && !defined(GAL_PORTABLE)
#define GAL_MONT_X86_64 1
#include <cstdint>

namespace gal {

// One row i ≥ 1: t += a·b[i] (t3:t0, A the new top word), then the reduction
// by m = t0·inv that shifts t down one word. T0..T3, A name registers.
#define GAL_MUL_ROW(OFF, T0, T1, T2, T3, A)                                        \
  "movq " OFF "(%[b]), %%rdx\n\t"                                                  \
  "xorq %%rax, %%rax\n\t"                                                          \
  "mulxq 0(%[a]), %%rax, %%rbx\n\t"                                                \
  "adoxq %%rax, " T0 "\n\t"                                                        \
  "adcxq %%rbx, " T1 "\n\t"                                                        \
  "mulxq 8(%[a]), %%rax, %%rbx\n\t"                                                \
  "adoxq %%rax, " T1 "\n\t"                                                        \
  "adcxq %%rbx, " T2 "\n\t"                                                        \
  "mulxq 16(%[a]), %%rax, %%rbx\n\t"                                               \
  "adoxq %%rax, " T2 "\n\t"                                                        \
  "adcxq %%rbx, " T3 "\n\t"                                                        \
  "mulxq 24(%[a]), %%rax, " A "\n\t"                                               \
  "adoxq %%rax, " T3 "\n\t"                                                        \
  "adcxq %%r15, " A "\n\t"                                                         \
  "adoxq %%r15, " A "\n\t" GAL_REDUCE(T0, T1, T2, T3, A)

// t0 + lo(m·p0) ≡ 0 (mod 2^64): T0 ends as zero and becomes the next row's
// free register; the result is T1..T3, A.
#define GAL_REDUCE(T0, T1, T2, T3, A)                                              \
  "movq " T0 ", %%rdx\n\t"                                                         \
  "imulq %[inv], %%rdx\n\t"                                                        \
  "xorq %%rax, %%rax\n\t"                                                          \
  "mulxq %[p0], %%rax, %%rbx\n\t"                                                \
  "adcxq %%rax, " T0 "\n\t"                                                        \
  "adoxq %%rbx, " T1 "\n\t"                                                        \
  "mulxq %[p1], %%rax, %%rbx\n\t"                                                \
  "adcxq %%rax, " T1 "\n\t"                                                        \
  "adoxq %%rbx, " T2 "\n\t"                                                        \
  "mulxq %[p2], %%rax, %%rbx\n\t"                                               \
  "adcxq %%rax, " T2 "\n\t"                                                        \
  "adoxq %%rbx, " T3 "\n\t"                                                        \
  "mulxq %[p3], %%rax, %%rbx\n\t"                                               \
  "adcxq %%rax, " T3 "\n\t"                                                        \
  "adoxq %%rbx, " A "\n\t"                                                         \
  "adcxq %%r15, " A "\n\t"

// r = a·b·2^-256 mod p, for p < 2^254 (so no carry leaves the top word).
inline void mont_mul_x86_64(uint64_t r[4], const uint64_t a[4], const uint64_t b[4], const uint64_t p[4],
                            uint64_t inv) {
  asm(
      // Row 0: t = a·b[0] into r8..r11, top word r12.
      "movq 0(%[b]), %%rdx\n\t"
      "xorq %%r15, %%r15\n\t"
      "mulxq 0(%[a]), %%r8, %%r9\n\t"
      "mulxq 8(%[a]), %%rax, %%r10\n\t"
      "adcxq %%rax, %%r9\n\t"
      "mulxq 16(%[a]), %%rax, %%r11\n\t"
      "adcxq %%rax, %%r10\n\t"
      "mulxq 24(%[a]), %%rax, %%r12\n\t"
      "adcxq %%rax, %%r11\n\t"
      "adcxq %%r15, %%r12\n\t"
      GAL_REDUCE("%%r8", "%%r9", "%%r10", "%%r11", "%%r12")
      GAL_MUL_ROW("8", "%%r9", "%%r10", "%%r11", "%%r12", "%%r8")
      GAL_MUL_ROW("16", "%%r10", "%%r11", "%%r12", "%%r8", "%%r9")
      GAL_MUL_ROW("24", "%%r11", "%%r12", "%%r8", "%%r9", "%%r10")
      // t = r12, r8, r9, r10: subtract p once if t ≥ p, without branching.
      "movq %%r12, %%rax\n\t"
      "subq %[p0], %%rax\n\t"
      "movq %%r8, %%rbx\n\t"
      "sbbq %[p1], %%rbx\n\t"
      "movq %%r9, %%rdx\n\t"
      "sbbq %[p2], %%rdx\n\t"
      "movq %%r10, %%r13\n\t"
      "sbbq %[p3], %%r13\n\t"
      "cmovncq %%rax, %%r12\n\t"
      "cmovncq %%rbx, %%r8\n\t"
      "cmovncq %%rdx, %%r9\n\t"
      "cmovncq %%r13, %%r10\n\t"
      "movq %%r12, 0(%[r])\n\t"
      "movq %%r8, 8(%[r])\n\t"
      "movq %%r9, 16(%[r])\n\t"
      "movq %%r10, 24(%[r])\n\t"
      // The modulus and inv are memory operands (constants after inlining,
      // so RIP-relative): only the three pointers need registers besides the
      // ten the routine uses, which keeps the asm satisfiable wherever the
      // compiler inlines it.
      :
      : [r] "r"(r), [a] "r"(a), [b] "r"(b), [p0] "m"(p[0]), [p1] "m"(p[1]), [p2] "m"(p[2]), [p3] "m"(p[3]),
        [inv] "m"(inv)
      : "rax", "rbx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r15", "cc", "memory");
}

#undef GAL_MUL_ROW
#undef GAL_REDUCE

}  // namespace gal
#endif
