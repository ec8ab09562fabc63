// circomlib Poseidon on the GPU: one thread per hash. A width's constants
// (from the CPU addon, converted once per device) sit in constant memory
// when they fit in its 64 KiB bank — every thread of a warp reads the same
// constant at the same time, which is what that bank broadcasts — and are
// read through the cache from global memory otherwise (the widest arities'
// sparse matrices exceed the bank). The permutation is steps/poseidon_steps.h.
#include <vector>

#include "api.h"
#include "steps/poseidon_steps.h"

namespace gal {
namespace cuda {

using gpu::Fr;
using gpu::PoseidonLayout;
using u32 = uint32_t;

namespace {

constexpr unsigned kThreads = 128;
constexpr int kBankSlots = 1984;  // 62 KiB of the 64 KiB constant bank

__constant__ Fr poseidon_bank[kBankSlots];

struct BankConstants {
  GAL_HD Fr operator()(int i) const {
#ifdef __CUDA_ARCH__
    return poseidon_bank[i];
#else
    return Fr::zero();  // never called on the host
#endif
  }
};

struct GlobalConstants {
  const Fr *__restrict__ k;
  GAL_HD Fr operator()(int i) const { return k[i]; }
};

unsigned blocks(size_t n, unsigned threads) { return (unsigned)((n + threads - 1) / threads); }

// Width > 0: compiled for that width (the state in registers); 0: any width.
template <int Width, class K>
__global__ void hash_kernel(const uint8_t *in, u32 count, int arity, PoseidonLayout at, K k, uint8_t *out,
                            unsigned long long *bad) {
  const u32 h = blockIdx.x * blockDim.x + threadIdx.x;
  if (h >= count) return;
  Fr s[Width ? Width : gpu::kPoseidonMaxWidth];
  s[0] = Fr::zero();
  bool ok = true;
  if (Width) arity = Width - 1;
  GAL_UNROLL for (int i = 0; i < arity; ++i) {
    const unsigned long long at_input = (unsigned long long)h * arity + i;
    if (!Fr::from_bytes(in + 32 * at_input, s[i + 1])) {
      atomicMin(bad, at_input);
      ok = false;
    }
  }
  if (!ok) return;
  gpu::poseidon_permute<Width>(s, at, k);
  s[0].to_bytes(out + 32ull * h);
}

__global__ void level_kernel(const Fr *in, u32 count, PoseidonLayout at, BankConstants k, Fr *out) {
  const u32 h = blockIdx.x * blockDim.x + threadIdx.x;
  if (h >= count) return;
  Fr s[3] = {Fr::zero(), in[2 * h], in[2 * h + 1]};
  gpu::poseidon_permute<3>(s, at, k);
  out[h] = s[0];
}

__global__ void leaves_kernel(const uint8_t *in, u32 n, Fr *out, unsigned long long *bad) {
  const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  if (!Fr::from_bytes(in + 32ull * i, out[i])) {
    atomicMin(bad, (unsigned long long)i);
    out[i] = Fr::zero();
  }
}

// The width's layout, after checking the constants have its size; the
// constants are converted and uploaded the first time, and moved into the
// bank when they fit and it holds another width's.
struct Loaded {
  PoseidonLayout at;
  bool in_bank;
  const Fr *global;
};

Loaded load_constants(Context &ctx, unsigned arity, const uint8_t *constants, size_t bytes) {
  if (arity < 1 || arity > 16) fail("GAL_ERR_ARITY", "Expected arity from 1 to 16 but received " + std::to_string(arity));
  const int t = (int)arity + 1, total = (int)(bytes / 32);
  PoseidonLayout at;
  if (bytes % 32 || !PoseidonLayout::from_size(t, total, at))
    fail("GAL_ERR_INVALID_ARGUMENT", "Expected Poseidon constants for width " + std::to_string(t) +
                                         " (dense and optimised tables) but received " + std::to_string(bytes) + " bytes");
  DeviceBuffer &slot = ctx.poseidon[arity];
  if (slot.bytes() < (size_t)total * sizeof(Fr)) {
    std::vector<Fr> k(total);
    for (int i = 0; i < total; ++i)
      if (!Fr::from_bytes(constants + 32 * i, k[i])) fail("GAL_ERR_FIELD_RANGE", "Expected Poseidon constants below r");
    Fr *dst = slot.as<Fr>(total, "Poseidon constants");
    // On the compute stream, so the copy into the bank below is ordered after it.
    CUDA_OK(cudaMemcpyAsync(dst, k.data(), total * sizeof(Fr), cudaMemcpyHostToDevice, ctx.compute));
  }
  const bool in_bank = total <= kBankSlots;
  if (in_bank && ctx.poseidon_constant_arity != (int)arity) {
    CUDA_OK(cudaMemcpyToSymbolAsync(poseidon_bank, slot.get<Fr>(), total * sizeof(Fr), 0, cudaMemcpyDeviceToDevice, ctx.compute));
    ctx.poseidon_constant_arity = (int)arity;
  }
  return Loaded{at, in_bank, slot.get<Fr>()};
}

}  // namespace

Status poseidon_hash(int device, const uint8_t *inputs, size_t count, unsigned arity, const uint8_t *constants,
                     size_t constants_bytes, uint8_t *out) {
  return guarded(device, [&](Context &ctx) {
    const Loaded k = load_constants(ctx, arity, constants, constants_bytes);
    if (count == 0) return;
    uint8_t *in = ctx.buffer("poseidon.in").as<uint8_t>(32 * arity * count, "the Poseidon inputs");
    uint8_t *result = ctx.buffer("poseidon.out").as<uint8_t>(32 * count, "the Poseidon hashes");
    auto *bad = ctx.buffer("poseidon.bad").as<unsigned long long>(1, "error flags");
    CUDA_OK(cudaMemsetAsync(bad, 0xff, sizeof(unsigned long long), ctx.compute));
    CUDA_OK(cudaMemcpyAsync(in, inputs, 32 * arity * count, cudaMemcpyHostToDevice, ctx.compute));
    ctx.mark_begin();
    const unsigned grid = blocks(count, kThreads);
    if (arity == 2)  // the common width (Merkle trees, pairs)
      hash_kernel<3><<<grid, kThreads, 0, ctx.compute>>>(in, (u32)count, 2, k.at, BankConstants{}, result, bad);
    else if (k.in_bank)
      hash_kernel<0><<<grid, kThreads, 0, ctx.compute>>>(in, (u32)count, (int)arity, k.at, BankConstants{}, result, bad);
    else
      hash_kernel<0><<<grid, kThreads, 0, ctx.compute>>>(in, (u32)count, (int)arity, k.at, GlobalConstants{k.global}, result, bad);
    CUDA_OK(cudaGetLastError());
    ctx.mark_end();
    const unsigned long long host_bad = finish(ctx, bad, out, result, 32 * count);
    if (host_bad < count * arity)
      fail("GAL_ERR_FIELD_RANGE", "Expected input " + std::to_string(host_bad) + " below r but received a larger value");
  });
}

Status poseidon_merkle_root(int device, const uint8_t *leaves, size_t n, const uint8_t *constants, size_t constants_bytes,
                            uint8_t *out) {
  return guarded(device, [&](Context &ctx) {
    if (n == 0 || (n & (n - 1)) || n > (size_t(1) << 31))
      fail("GAL_ERR_INVALID_ARGUMENT", "Expected a power of two for the leaf count but received " + std::to_string(n));
    const Loaded k = load_constants(ctx, 2, constants, constants_bytes);
    uint8_t *wire = ctx.buffer("merkle.in").as<uint8_t>(32 * n, "the Merkle leaves");
    Fr *level[2] = {ctx.buffer("merkle.a").as<Fr>(n, "a Merkle level"), ctx.buffer("merkle.b").as<Fr>(n / 2 ? n / 2 : 1, "a Merkle level")};
    auto *bad = ctx.buffer("merkle.bad").as<unsigned long long>(1, "error flags");
    CUDA_OK(cudaMemsetAsync(bad, 0xff, sizeof(unsigned long long), ctx.compute));
    CUDA_OK(cudaMemcpyAsync(wire, leaves, 32 * n, cudaMemcpyHostToDevice, ctx.compute));
    ctx.mark_begin();
    leaves_kernel<<<blocks(n, 256), 256, 0, ctx.compute>>>(wire, (u32)n, level[0], bad);
    int side = 0;
    for (size_t width = n; width > 1; width /= 2, side ^= 1) {
      const u32 half = (u32)(width / 2);
      level_kernel<<<blocks(half, kThreads), kThreads, 0, ctx.compute>>>(level[side], half, k.at, BankConstants{}, level[side ^ 1]);
      CUDA_OK(cudaGetLastError());
    }
    ctx.mark_end();
    Fr root;
    const unsigned long long host_bad = finish(ctx, bad, &root, level[side], sizeof root);
    if (host_bad < n) fail("GAL_ERR_FIELD_RANGE", "Expected leaf " + std::to_string(host_bad) + " below r but received a larger value");
    root.to_bytes(out);
  });
}

}  // namespace cuda
}  // namespace gal
