// The N-API plumbing both native modules share: argument checks that throw
// BadArgument, and a worker that runs a kernel off the JS thread and settles
// a promise with its output or a GAL_ERR_* error. No C++ exception escapes.
#pragma once
#include <napi.h>

#include <cstdlib>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <functional>
#include <string>
#include <vector>

#include "gal/status.h"

namespace gal {
namespace addon {

using Kernel = std::function<Status(uint8_t *out)>;

inline Napi::Error make_error(Napi::Env env, const Status &st) {
  Napi::Error err = Napi::Error::New(env, st.message);
  err.Set("code", Napi::String::New(env, st.code));
  return err;
}

// Output buffers are 64-byte aligned (the vector kernels work on cache-line
// blocks). Large ones are 2 MiB aligned and asked for as transparent huge
// pages: a fresh 32 MiB output otherwise costs 8192 page faults per call.
inline uint8_t *allocate_output(size_t bytes) {
  constexpr size_t kHuge = size_t(2) << 20;
  if (bytes < 2 * kHuge) return static_cast<uint8_t *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + (bytes ? 0 : 64)));
  const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
  void *p = std::aligned_alloc(kHuge, rounded);
#ifdef MADV_HUGEPAGE
  if (p) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
  return static_cast<uint8_t *>(p);
}

class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, const char *name, std::vector<Napi::Object> inputs, size_t out_bytes, Kernel kernel)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), out_bytes_(out_bytes),
        kernel_(std::move(kernel)) {
    for (auto &in : inputs) keep_alive_.push_back(Napi::Persistent(in));
  }
  ~KernelWorker() override { std::free(out_); }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      out_ = allocate_output(out_bytes_);
      if (!out_) {
        status_ = Status::fail("GAL_ERR_OUT_OF_MEMORY", "Expected " + std::to_string(out_bytes_) + " bytes for the output but the allocation failed");
        return;
      }
      status_ = kernel_(out_);
    } catch (const std::exception &e) {
      status_ = Status::fail("GAL_ERR_NATIVE", e.what());
    } catch (...) {
      status_ = Status::fail("GAL_ERR_NATIVE", "unknown native failure");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!status_.ok()) {
      deferred_.Reject(make_error(env, status_).Value());
      return;
    }
    uint8_t *data = out_;
    out_ = nullptr;  // ownership moves to the JS buffer
    auto buffer = Napi::ArrayBuffer::New(env, data, out_bytes_, [](Napi::Env, void *p) { std::free(p); });
    deferred_.Resolve(Napi::Uint8Array::New(env, out_bytes_, buffer, 0));
  }

  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> keep_alive_;
  size_t out_bytes_;
  Kernel kernel_;
  uint8_t *out_ = nullptr;
  Status status_;
};

// Thrown synchronously for calls the TypeScript facade would never make.
struct BadArgument {
  std::string message;
};

inline Napi::TypedArrayOf<uint8_t> bytes_arg(const Napi::CallbackInfo &info, size_t i, const char *name, size_t unit) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw BadArgument{std::string("Expected a Uint8Array for ") + name};
  auto arr = v.As<Napi::TypedArrayOf<uint8_t>>();
  if (unit && arr.ElementLength() % unit)
    throw BadArgument{std::string("Expected a multiple of ") + std::to_string(unit) + " bytes for " + name +
                      " but received " + std::to_string(arr.ElementLength())};
  return arr;
}

inline unsigned uint_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsNumber()) throw BadArgument{std::string("Expected a number for ") + name};
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 1 << 20) || d != (double)(unsigned)d)
    throw BadArgument{std::string("Expected a small non-negative integer for ") + name};
  return (unsigned)d;
}

template <class Build>
Napi::Value run(const Napi::CallbackInfo &info, Build build) {
  Napi::Env env = info.Env();
  try {
    KernelWorker *w = build();
    w->Queue();
    return w->promise();
  } catch (const BadArgument &e) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(make_error(env, Status::fail("GAL_ERR_INVALID_ARGUMENT", e.message)).Value());
    return d.Promise();
  }
}

}  // namespace addon
}  // namespace gal
