#include <cstdio>
#include <functional>
#include <stdexcept>

#include "runtime.h"

namespace gal {
namespace cuda {

void fail(const char *code, std::string message) { throw Failure{Status::fail(code, std::move(message))}; }

std::string human_bytes(size_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

namespace {

// Errors after which the CUDA context cannot be used again in this process
// without a reset.
bool sticky(cudaError_t err) {
  switch (err) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorECCUncorrectable:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
      return true;
    default:
      return false;
  }
}

std::mutex contexts_mutex;
std::map<int, std::shared_ptr<Context>> contexts;
std::map<int, unsigned> generations;
thread_local bool lost = false;  // set by check(), read by guarded()

// GAL_ERR_DEVICE_MEMORY with the size asked for (0: not known) and what is free.
[[noreturn]] void out_of_memory(size_t bytes, const char *what) {
  size_t free = 0, total = 0;
  cudaMemGetInfo(&free, &total);
  fail("GAL_ERR_DEVICE_MEMORY", "Expected " + (bytes ? human_bytes(bytes) + " of device memory" : std::string("device memory")) +
                                    " for " + what + " but only " + human_bytes(free) + " of " + human_bytes(total) + " are free");
}

}  // namespace

void check(cudaError_t err, const char *what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  std::string name = cudaGetErrorName(err), text = cudaGetErrorString(err);
  if (err == cudaErrorMemoryAllocation) out_of_memory(0, what);
  if (sticky(err)) {
    lost = true;
    fail("GAL_ERR_DEVICE_LOST", "CUDA device failed during the call (" + name + ": " + text + " in " + what +
                                    "); the device was reset and the next call starts afresh");
  }
  fail("GAL_ERR_NATIVE", "CUDA call failed: " + name + " (" + text + ") in " + what);
}

void *DeviceBuffer::ensure(size_t bytes, const char *what) {
  if (bytes <= bytes_ && ptr_) return ptr_;
  release();
  if (bytes == 0) bytes = 1;
  const cudaError_t err = cudaMalloc(&ptr_, bytes);
  if (err != cudaSuccess) {
    ptr_ = nullptr;
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      out_of_memory(bytes, what);
    }
    check(err, what);
  }
  bytes_ = bytes;
  return ptr_;
}

void DeviceBuffer::release() {
  if (ptr_) cudaFree(ptr_);  // an error here would only repeat an earlier one
  ptr_ = nullptr;
  bytes_ = 0;
}

void *PinnedBuffer::ensure(size_t bytes) {
  if (bytes <= bytes_ && ptr_) return ptr_;
  release();
  const cudaError_t err = cudaHostAlloc(&ptr_, bytes ? bytes : 1, cudaHostAllocDefault);
  if (err != cudaSuccess) {
    ptr_ = nullptr;
    cudaGetLastError();
    fail("GAL_ERR_OUT_OF_MEMORY", "Expected " + human_bytes(bytes) + " of page-locked host memory for staging copies but " +
                                      cudaGetErrorString(err));
  }
  bytes_ = bytes;
  return ptr_;
}

void PinnedBuffer::release() {
  if (ptr_) cudaFreeHost(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

Context::Context(int d) : device(d) {
  CUDA_OK(cudaSetDevice(d));
  CUDA_OK(cudaStreamCreateWithFlags(&compute, cudaStreamNonBlocking));
  CUDA_OK(cudaStreamCreateWithFlags(&copy, cudaStreamNonBlocking));
  CUDA_OK(cudaEventCreate(&began));
  CUDA_OK(cudaEventCreate(&ended));
}

Context::~Context() {
  cudaSetDevice(device);
  if (compute) cudaStreamDestroy(compute);
  if (copy) cudaStreamDestroy(copy);
  if (began) cudaEventDestroy(began);
  if (ended) cudaEventDestroy(ended);
}

DeviceBuffer &Context::buffer(const std::string &name) {
  auto &slot = scratch[name];
  if (!slot) slot.reset(new DeviceBuffer());
  return *slot;
}

namespace {

Status check_index(int device) {
  std::string reason;
  const int count = device_count(reason);
  if (device < 0 || device >= count)
    return Status::fail("GAL_ERR_BACKEND_UNAVAILABLE", "Expected a CUDA device index below " + std::to_string(count) +
                                                          " but received " + std::to_string(device) +
                                                          (count ? "" : " (" + reason + ")"));
  return Status{};
}

}  // namespace

Status guarded(int device, const std::function<void(Context &)> &body) {
  if (Status st = check_index(device); !st.ok()) return st;
  std::shared_ptr<Context> ctx;
  {
    std::lock_guard<std::mutex> lock(contexts_mutex);
    auto &slot = contexts[device];
    try {
      if (!slot) slot = std::make_shared<Context>(device);
    } catch (const Failure &f) {
      return f.status;
    }
    ctx = slot;
  }
  Status status;
  {
    std::lock_guard<std::mutex> lock(ctx->mutex);
    lost = false;
    ctx->marked = false;
    try {
      CUDA_OK(cudaSetDevice(device));
      body(*ctx);
      if (ctx->marked) {
        CUDA_OK(cudaEventSynchronize(ctx->ended));
        CUDA_OK(cudaEventElapsedTime(&ctx->last_kernel_ms, ctx->began, ctx->ended));
      }
    } catch (const Failure &f) {
      status = f.status;
    } catch (const std::bad_alloc &) {
      status = Status::fail("GAL_ERR_OUT_OF_MEMORY", "Expected host memory for the call but an allocation failed");
    } catch (const std::exception &e) {
      status = Status::fail("GAL_ERR_NATIVE", e.what());
    }
    if (!status.ok() && !lost) {
      // A call that failed half-way may have copies and kernels in flight
      // that read the caller's buffers; they finish before the caller gets
      // its error and frees them.
      cudaStreamSynchronize(ctx->copy);
      cudaStreamSynchronize(ctx->compute);
      cudaGetLastError();
    }
  }
  if (lost) {
    // Everything the context holds belongs to a dead CUDA context: drop it
    // and reset the device, so the next call builds everything afresh.
    std::lock_guard<std::mutex> lock(contexts_mutex);
    contexts.erase(device);
    ++generations[device];
    ctx.reset();
    cudaDeviceReset();
    cudaGetLastError();
  }
  return status;
}

void Context::release_cached() {
  scratch.clear();
  for (auto &b : staging) b.release();
  small.release();
  for (int d = 0; d < 2; ++d) twiddles[d].release(), twiddle_log[d] = 0;
  for (auto &b : poseidon) b.release();
  poseidon_constant_arity = 0;
}

Status release_cached(int device) {
  if (Status st = check_index(device); !st.ok()) return st;
  {
    std::lock_guard<std::mutex> lock(contexts_mutex);
    if (!contexts.count(device)) return Status{};  // nothing was ever kept
  }
  return guarded(device, [](Context &ctx) { ctx.release_cached(); });
}

unsigned long long finish(Context &ctx, const unsigned long long *bad, void *out, const void *result, size_t bytes) {
  unsigned long long first_bad = 0;
  CUDA_OK(cudaMemcpyAsync(&first_bad, bad, sizeof first_bad, cudaMemcpyDeviceToHost, ctx.compute));
  CUDA_OK(cudaMemcpyAsync(out, result, bytes, cudaMemcpyDeviceToHost, ctx.compute));
  CUDA_OK(cudaStreamSynchronize(ctx.compute));
  return first_bad;
}

float last_kernel_ms(int device) {
  std::lock_guard<std::mutex> lock(contexts_mutex);
  auto it = contexts.find(device);
  return it == contexts.end() ? -1 : it->second->last_kernel_ms;
}

bool last_msm_phases(int device, float out[4]) {
  std::lock_guard<std::mutex> lock(contexts_mutex);
  auto it = contexts.find(device);
  if (it == contexts.end() || it->second->msm_phase_ms[0] < 0) return false;
  for (int i = 0; i < 4; ++i) out[i] = it->second->msm_phase_ms[i];
  return true;
}

unsigned generation(int device) {
  std::lock_guard<std::mutex> lock(contexts_mutex);
  return generations[device];
}

int device_count(std::string &reason) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    reason = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
    return 0;
  }
  if (count == 0) reason = "no CUDA device";
  return count;
}

// Properties only: asking for free memory would create a CUDA context on
// every device, which costs time and memory on GPUs this process may never use.
bool device_info(int index, DeviceInfo &out, std::string &reason) {
  cudaDeviceProp p;
  cudaError_t err = cudaGetDeviceProperties(&p, index);
  if (err != cudaSuccess) {
    cudaGetLastError();
    reason = cudaGetErrorString(err);
    return false;
  }
  char bus[32] = {0};
  cudaDeviceGetPCIBusId(bus, sizeof bus, index);
  int clock_khz = 0, bus_bits = 0;
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, index);
  cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, index);
  cudaGetLastError();
  out = DeviceInfo{index, p.name, bus, p.major, p.minor, p.multiProcessorCount, clock_khz / 1000, bus_bits, p.totalGlobalMem};
  return true;
}

}  // namespace cuda
}  // namespace gal
