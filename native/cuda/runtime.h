// The CUDA module's runtime: checked CUDA calls, device memory with sizes in
// its errors, and one context per device (streams, cached buffers, tables)
// whose calls run one at a time.
//
// Inside the module a failed check throws Failure; guarded() at the API
// boundary turns it, and anything else thrown, into a Status, so no CUDA
// error reaches JavaScript unconverted.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gal/status.h"

namespace gal {
namespace cuda {

struct Failure {
  Status status;
};

[[noreturn]] void fail(const char *code, std::string message);

// Throws Failure for any error: GAL_ERR_DEVICE_MEMORY for an allocation,
// GAL_ERR_DEVICE_LOST for the errors that leave the context unusable (the
// context is then rebuilt by the next call), GAL_ERR_NATIVE otherwise.
void check(cudaError_t err, const char *what);
#define CUDA_OK(call) ::gal::cuda::check((call), #call)

// Device memory that grows on demand and is kept between calls.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() { release(); }
  // At least `bytes`, contents not kept; `what` names it in an OOM error.
  void *ensure(size_t bytes, const char *what);
  template <class T>
  T *as(size_t count, const char *what) { return static_cast<T *>(ensure(count * sizeof(T), what)); }
  template <class T>
  T *get() const { return static_cast<T *>(ptr_); }
  void release();
  size_t bytes() const { return bytes_; }

 private:
  void *ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Page-locked host memory, so copies run asynchronously at full bus speed.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer &) = delete;
  PinnedBuffer &operator=(const PinnedBuffer &) = delete;
  ~PinnedBuffer() { release(); }
  void *ensure(size_t bytes);
  void release();

 private:
  void *ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A G1 point set converted once and kept on the device (proving keys reuse
// the same bases across calls) until released.
struct ResidentPoints {
  int device = 0;
  unsigned generation = 0;  // the device's reset count when uploaded
  uint32_t n = 0;
  DeviceBuffer points;  // n Montgomery-form affine points
};

struct Context {
  explicit Context(int device);
  ~Context();
  int device;
  std::mutex mutex;  // one call at a time on this device
  cudaStream_t compute = nullptr, copy = nullptr;
  // Scratch kept between calls; each kernel file names its own slots.
  std::map<std::string, std::unique_ptr<DeviceBuffer>> scratch;
  PinnedBuffer staging[2], small;
  // NTT twiddle tables, ω^i and ω^-i for i < 2^(log-1), by direction.
  DeviceBuffer twiddles[2];
  unsigned twiddle_log[2] = {0, 0};
  // Poseidon constants by arity (Montgomery form), and which arity the
  // constant-memory bank holds now (0: none).
  DeviceBuffer poseidon[17];
  int poseidon_constant_arity = 0;

  DeviceBuffer &buffer(const std::string &name);
  // Frees everything kept between calls (not resident point sets), so other
  // programs on the GPU get the memory back.
  void release_cached();

  // Device time of a call's kernels, without its host↔device copies: a
  // call marks where its kernels begin and end on the compute stream.
  cudaEvent_t began = nullptr, ended = nullptr;
  bool marked = false;
  float last_kernel_ms = -1;
  // The last MSM's device time by phase, in ms: digits (with the points'
  // conversion), sort (with bucket bounds), bucket sums, window reduction.
  float msm_phase_ms[4] = {-1, -1, -1, -1};
  void mark_begin() { CUDA_OK(cudaEventRecord(began, compute)); }
  void mark_end() {
    CUDA_OK(cudaEventRecord(ended, compute));
    marked = true;
  }
};

// Context::release_cached for a device whose context exists.
Status release_cached(int device);

// Ends a call: copies `bytes` of the device's `result` into `out`, waits for
// the compute stream and returns the lowest failing input index its kernels
// recorded in *bad (~0 when none failed).
unsigned long long finish(Context &ctx, const unsigned long long *bad, void *out, const void *result, size_t bytes);

// Runs body(context) for a device with its lock held and the device current.
// Any Failure or exception becomes the returned Status.
Status guarded(int device, const std::function<void(Context &)> &body);

// How many times the device was reset after a fatal error; resident data
// from an earlier generation is gone.
unsigned generation(int device);

// The kernels' device time of the last call on a device that marked it, in
// ms (-1: none yet). For benchmarks.
float last_kernel_ms(int device);

// Context::msm_phase_ms of a device into out; false before any MSM there.
bool last_msm_phases(int device, float out[4]);

// Number of devices, or 0 with the reason (no driver, no device …).
int device_count(std::string &reason);

struct DeviceInfo {
  int index;
  std::string name, pci_bus_id;
  int major, minor, multiprocessors, clock_mhz, memory_bus_bits;
  size_t memory_total;
};
bool device_info(int index, DeviceInfo &out, std::string &reason);

// Bytes as "1.5 GiB" for messages.
std::string human_bytes(size_t bytes);

}  // namespace cuda
}  // namespace gal
