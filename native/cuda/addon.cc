// The N-API boundary of the CUDA kernels, the same shape as the CPU addon's:
// argument checks, borrowed inputs, kernels on worker threads, errors as
// GAL_ERR_* codes. It also lists the devices and keeps the resident point
// sets, which JS refers to by number.
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "../addon/worker.h"
#include "api.h"

namespace {

using gal::Status;
using gal::cuda::ResidentPoints;
using namespace gal::addon;

std::mutex resident_mutex;
std::map<uint32_t, std::shared_ptr<ResidentPoints>> resident_sets;
uint32_t next_resident = 1;

std::shared_ptr<ResidentPoints> find_resident(uint32_t id) {
  std::lock_guard<std::mutex> lock(resident_mutex);
  auto it = resident_sets.find(id);
  if (it == resident_sets.end()) throw BadArgument{"Expected a resident point set that is still held but received " + std::to_string(id)};
  return it->second;
}

// devices() → { count, reason?, devices: [...] }. Synchronous: it asks the
// driver, which answers at once.
Napi::Value Devices(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string reason;
  const int count = gal::cuda::device_count(reason);
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", count);
  if (!count) out.Set("reason", reason);
  Napi::Array list = Napi::Array::New(env);
  for (int i = 0; i < count; ++i) {
    gal::cuda::DeviceInfo d;
    std::string why;
    if (!gal::cuda::device_info(i, d, why)) continue;
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", d.index);
    o.Set("name", d.name);
    o.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    o.Set("multiprocessors", d.multiprocessors);
    o.Set("clockMHz", d.clock_mhz);
    o.Set("memoryBusBits", d.memory_bus_bits);
    o.Set("memoryTotal", (double)d.memory_total);
    o.Set("pciBusId", d.pci_bus_id);
    list.Set(list.Length(), o);
  }
  out.Set("devices", list);
  out.Set("architectures", GALACTIC_CUDA_ARCHS);
  return out;
}

// msm(device, points | null, residentId, scalars, windowBits) → Promise<Uint8Array(64)>
Napi::Value Msm(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    const int device = (int)uint_arg(info, 0, "device");
    const bool resident = info[1].IsNull();
    auto scalars = bytes_arg(info, 3, "scalars", 32);
    const unsigned window = uint_arg(info, 4, "windowBits");
    if (window > 24) throw BadArgument{"Expected windowBits from 0 to 24"};
    const size_t n = scalars.ElementLength() / 32;
    std::vector<Napi::Object> keep{scalars};
    const uint8_t *p = nullptr, *s = scalars.Data();
    std::shared_ptr<ResidentPoints> set;
    if (resident) {
      set = find_resident(uint_arg(info, 2, "residentId"));
    } else {
      auto points = bytes_arg(info, 1, "points", 64);
      if (points.ElementLength() / 64 != n) throw BadArgument{"Expected as many scalars as points"};
      p = points.Data();
      keep.push_back(points);
    }
    return new KernelWorker(info.Env(), "galactic:cuda-msm", keep, 64, [=](uint8_t *out) {
      return gal::cuda::msm_g1(device, p, set.get(), s, n, window, out);
    });
  });
}

// uploadPoints(device, points) → Promise<Uint8Array(4)>: the set's id, little-endian.
Napi::Value UploadPoints(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    const int device = (int)uint_arg(info, 0, "device");
    auto points = bytes_arg(info, 1, "points", 64);
    const size_t n = points.ElementLength() / 64;
    const uint8_t *p = points.Data();
    return new KernelWorker(info.Env(), "galactic:cuda-upload", {points}, 4, [=](uint8_t *out) {
      auto set = std::make_shared<ResidentPoints>();
      Status st = gal::cuda::upload_points(device, p, n, *set);
      if (!st.ok()) return st;
      std::lock_guard<std::mutex> lock(resident_mutex);
      const uint32_t id = next_resident++;
      resident_sets[id] = set;
      std::memcpy(out, &id, 4);
      return st;
    });
  });
}

// releasePoints(id) → Promise<Uint8Array(0)>. The memory goes back once no
// running call holds the set; the free runs on a worker thread, since it
// waits for the device.
Napi::Value ReleasePoints(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    const uint32_t id = uint_arg(info, 0, "residentId");
    std::shared_ptr<ResidentPoints> set;
    {
      std::lock_guard<std::mutex> lock(resident_mutex);
      auto it = resident_sets.find(id);
      if (it != resident_sets.end()) set = std::move(it->second), resident_sets.erase(it);
    }
    return new KernelWorker(info.Env(), "galactic:cuda-release", {}, 0, [set](uint8_t *) mutable {
      if (!set) return Status{};
      const int device = set->device;
      return gal::cuda::guarded(device, [&](gal::cuda::Context &) { set.reset(); });
    });
  });
}

// releaseCached(device) → Promise<Uint8Array(0)>: frees the buffers, tables
// and staging memory kept between calls.
Napi::Value ReleaseCached(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    const int device = (int)uint_arg(info, 0, "device");
    return new KernelWorker(info.Env(), "galactic:cuda-release-cached", {}, 0, [=](uint8_t *) {
      return gal::cuda::release_cached(device);
    });
  });
}

// ntt(device, values, inverse, cosetShift | null) → Promise<Uint8Array>
Napi::Value Ntt(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    const int device = (int)uint_arg(info, 0, "device");
    auto values = bytes_arg(info, 1, "values", 32);
    const bool inverse = info[2].ToBoolean();
    std::vector<Napi::Object> keep{values};
    const uint8_t *shift = nullptr;
    if (!info[3].IsNull() && !info[3].IsUndefined()) {
      auto s = bytes_arg(info, 3, "cosetShift", 0);
      if (s.ElementLength() != 32) throw BadArgument{"Expected 32 bytes for cosetShift"};
      shift = s.Data();
      keep.push_back(s);
    }
    const size_t n = values.ElementLength() / 32;
    const uint8_t *in = values.Data();
    return new KernelWorker(info.Env(), "galactic:cuda-ntt", keep, n * 32, [=](uint8_t *out) {
      return gal::cuda::ntt_fr(device, in, out, n, inverse, shift);
    });
  });
}

// poseidon(device, inputs, arity, constants) → Promise<Uint8Array(count·32)>
Napi::Value Poseidon(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    const int device = (int)uint_arg(info, 0, "device");
    const unsigned arity = uint_arg(info, 2, "arity");
    if (arity < 1 || arity > 16) throw BadArgument{"Expected arity from 1 to 16"};
    auto inputs = bytes_arg(info, 1, "inputs", 32 * arity);
    auto constants = bytes_arg(info, 3, "constants", 32);
    const size_t count = inputs.ElementLength() / (32 * arity), kb = constants.ElementLength();
    const uint8_t *in = inputs.Data(), *k = constants.Data();
    return new KernelWorker(info.Env(), "galactic:cuda-poseidon", {inputs, constants}, count * 32, [=](uint8_t *out) {
      return gal::cuda::poseidon_hash(device, in, count, arity, k, kb, out);
    });
  });
}

// poseidonMerkleRoot(device, leaves, constants) → Promise<Uint8Array(32)>
Napi::Value PoseidonMerkleRoot(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    const int device = (int)uint_arg(info, 0, "device");
    auto leaves = bytes_arg(info, 1, "leaves", 32);
    auto constants = bytes_arg(info, 2, "constants", 32);
    const size_t n = leaves.ElementLength() / 32, kb = constants.ElementLength();
    const uint8_t *in = leaves.Data(), *k = constants.Data();
    return new KernelWorker(info.Env(), "galactic:cuda-merkle", {leaves, constants}, 32, [=](uint8_t *out) {
      return gal::cuda::poseidon_merkle_root(device, in, n, k, kb, out);
    });
  });
}

// lastKernelMs(device) → ms: the device time of the last call's kernels,
// without its copies (-1 before any call). For benchmarks.
Napi::Value LastKernelMs(const Napi::CallbackInfo &info) {
  const int device = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  return Napi::Number::New(info.Env(), gal::cuda::last_kernel_ms(device));
}

// lastMsmPhasesMs(device) → [digits, sort, bucket sums, window reduction]
// ms of the last MSM's kernels, or null before any. For benchmarks.
Napi::Value LastMsmPhasesMs(const Napi::CallbackInfo &info) {
  const int device = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  float ms[4];
  if (!gal::cuda::last_msm_phases(device, ms)) return info.Env().Null();
  Napi::Array out = Napi::Array::New(info.Env(), 4);
  for (uint32_t i = 0; i < 4; ++i) out.Set(i, Napi::Number::New(info.Env(), ms[i]));
  return out;
}

Napi::Value MsmWindowBits(const Napi::CallbackInfo &info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "Expected a number for n");
  const double n = info[0].As<Napi::Number>().DoubleValue();
  return Napi::Number::New(info.Env(), gal::cuda::msm_window_bits(n > 1 ? (size_t)n : 1));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("devices", Napi::Function::New(env, Devices));
  exports.Set("msm", Napi::Function::New(env, Msm));
  exports.Set("uploadPoints", Napi::Function::New(env, UploadPoints));
  exports.Set("releasePoints", Napi::Function::New(env, ReleasePoints));
  exports.Set("releaseCached", Napi::Function::New(env, ReleaseCached));
  exports.Set("ntt", Napi::Function::New(env, Ntt));
  exports.Set("poseidon", Napi::Function::New(env, Poseidon));
  exports.Set("poseidonMerkleRoot", Napi::Function::New(env, PoseidonMerkleRoot));
  exports.Set("msmWindowBits", Napi::Function::New(env, MsmWindowBits));
  exports.Set("lastKernelMs", Napi::Function::New(env, LastKernelMs));
  exports.Set("lastMsmPhasesMs", Napi::Function::New(env, LastMsmPhasesMs));
  return exports;
}

}  // namespace

NODE_API_MODULE(galactic_cuda, Init)
