// NTT over BN254 Fr on the GPU: decimation in frequency in passes of up to
// ten stages, each pass one kernel that holds its tiles in shared memory,
// then one kernel that writes natural order (and scales, for the inverse).
// Twiddle tables ω^i, i < 2^(log-1), stay on the device for every size up
// to the largest seen. The per-thread work is in steps/ntt_steps.h.
#include <vector>

#include "api.h"
#include "steps/ntt_steps.h"

namespace gal {
namespace cuda {

using gpu::Fr;
using gpu::NttPass;
using gpu::u32;

namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kMaxLog = bn254::FrParams::two_adicity;

unsigned blocks(size_t n, unsigned threads) { return (unsigned)((n + threads - 1) / threads); }

// Wire values into Montgomery form in place, times pw[i] when pw is given
// (the forward coset); the lowest index out of range goes to *bad.
__global__ void from_wire_kernel(Fr *x, u32 n, const Fr *pw, unsigned long long *bad) {
  const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const u64 *limbs = reinterpret_cast<const u64 *>(&x[i]);
  const u64 l[4] = {limbs[0], limbs[1], limbs[2], limbs[3]};
  Fr v;
  if (!Fr::from_limbs(l, v)) {
    atomicMin(bad, (unsigned long long)i);
    v = Fr::zero();
  }
  x[i] = pw ? v * pw[i] : v;
}

__global__ void powers_kernel(Fr base, u32 n, Fr *out) {
  const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
  if ((size_t)i * gpu::kPowerRun < n) gpu::powers_run(base, i, n, out);
}

// One pass: a block loads its tile, runs pass.k butterfly levels with a
// barrier between them, and writes the tile back.
__global__ void pass_kernel(Fr *x, NttPass pass, const Fr *twiddles, unsigned tab_log) {
  extern __shared__ u64 shared_words[];
  Fr *tile = reinterpret_cast<Fr *>(shared_words);
  const u32 size = 1u << pass.tile_log();
  const size_t block = blockIdx.x;
  for (u32 e = threadIdx.x; e < size; e += blockDim.x) tile[e] = x[pass.index(block, e)];
  __syncthreads();
  for (unsigned j = 0; j < pass.k; ++j) {
    for (u32 q = threadIdx.x; q < size / 2; q += blockDim.x) pass.butterfly(tile, block, q, j, twiddles, tab_log);
    __syncthreads();
  }
  for (u32 e = threadIdx.x; e < size; e += blockDim.x) x[pass.index(block, e)] = tile[e];
}

// out[i] = x[bitrev(i)] (· n^-1 · pw[i] for the inverse), as wire bytes.
__global__ void to_wire_kernel(const Fr *x, u32 n, unsigned log_n, bool scale, Fr n_inv, const Fr *pw, uint8_t *out) {
  const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  Fr y = x[gpu::bit_reverse(i, log_n)];
  if (scale) y = y * n_inv;
  if (pw) y = y * pw[i];
  y.to_bytes(out + 32ull * i);
}

// The twiddle table for `inverse`, at least 2^log_n in size (a larger one
// serves with a stride).
const Fr *twiddles(Context &ctx, bool inverse, unsigned log_n, unsigned &tab_log) {
  const int d = inverse ? 1 : 0;
  const unsigned want = std::max(log_n, 1u);
  if (ctx.twiddle_log[d] < want) {
    const size_t half = size_t(1) << (want - 1);
    Fr *table = ctx.twiddles[d].as<Fr>(half, "the NTT twiddle table");
    ctx.twiddle_log[d] = 0;  // until the table is complete
    powers_kernel<<<blocks(blocks(half, gpu::kPowerRun), kThreads), kThreads, 0, ctx.compute>>>(bn254::root_of_unity(want, inverse), (u32)half, table);
    CUDA_OK(cudaGetLastError());
    ctx.twiddle_log[d] = want;
  }
  tab_log = ctx.twiddle_log[d];
  return ctx.twiddles[d].get<Fr>();
}

}  // namespace

Status ntt_fr(int device, const uint8_t *in, uint8_t *out, size_t n, bool inverse, const uint8_t *coset_shift) {
  return guarded(device, [&](Context &ctx) {
    unsigned log_n = 0;
    while ((size_t(1) << log_n) < n) ++log_n;
    if (n == 0 || (size_t(1) << log_n) != n || log_n > kMaxLog)
      fail("GAL_ERR_NTT_SIZE", "Expected a power of two from 1 to 2^28 for n but received " + std::to_string(n));
    Fr shift = Fr::one();
    if (coset_shift) {
      if (!Fr::from_bytes(coset_shift, shift)) fail("GAL_ERR_FIELD_RANGE", "Expected coset shift below r but received a larger value");
      if (shift.is_zero()) fail("GAL_ERR_INVALID_ARGUMENT", "Expected a non-zero coset shift but received 0");
    }
    Fr *x = ctx.buffer("ntt.values").as<Fr>(n, "the NTT values");
    uint8_t *result = ctx.buffer("ntt.out").as<uint8_t>(32 * n, "the NTT output");
    auto *bad = ctx.buffer("ntt.bad").as<unsigned long long>(1, "error flags");
    Fr *pw = nullptr;
    if (coset_shift) {
      pw = ctx.buffer("ntt.powers").as<Fr>(n, "the coset powers");
      powers_kernel<<<blocks(blocks(n, gpu::kPowerRun), kThreads), kThreads, 0, ctx.compute>>>(inverse ? shift.inverse() : shift, (u32)n, pw);
    }
    unsigned tab_log;
    const Fr *table = twiddles(ctx, inverse, log_n, tab_log);
    CUDA_OK(cudaMemsetAsync(bad, 0xff, sizeof(unsigned long long), ctx.compute));
    CUDA_OK(cudaMemcpyAsync(x, in, 32 * n, cudaMemcpyHostToDevice, ctx.compute));
    ctx.mark_begin();
    from_wire_kernel<<<blocks(n, kThreads), kThreads, 0, ctx.compute>>>(x, (u32)n, inverse ? nullptr : pw, bad);
    CUDA_OK(cudaGetLastError());
    NttPass passes[3];
    const unsigned count = gpu::ntt_plan(log_n, passes);
    for (unsigned p = 0; p < count; ++p) {
      const u32 size = 1u << passes[p].tile_log();
      pass_kernel<<<(unsigned)(n / size), std::min(size / 2, 512u), size * sizeof(Fr), ctx.compute>>>(x, passes[p], table, tab_log);
      CUDA_OK(cudaGetLastError());
    }
    const Fr n_inv = Fr::from_u64(n).inverse();
    to_wire_kernel<<<blocks(n, kThreads), kThreads, 0, ctx.compute>>>(x, (u32)n, log_n, inverse, n_inv, inverse ? pw : nullptr, result);
    CUDA_OK(cudaGetLastError());
    ctx.mark_end();
    const unsigned long long host_bad = finish(ctx, bad, out, result, 32 * n);
    if (host_bad < n)
      fail("GAL_ERR_FIELD_RANGE", "Expected value " + std::to_string(host_bad) + " below r but received a larger value");
  });
}

}  // namespace cuda
}  // namespace gal
