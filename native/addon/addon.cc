// The N-API boundary of the CPU kernels. It checks argument shapes again (the
// TypeScript facade already did), borrows the input buffers, runs the kernel
// on a worker thread and hands the output to JS without a copy. No C++
// exception escapes: failures come back as rejected promises whose error
// carries a GAL_ERR_* code.
#include <cstring>

#include "../cpu/kernels.h"
#include "../cpu/parallel.h"
#include "worker.h"

namespace {

using gal::Status;
using namespace gal::addon;

// msm(points, scalars, threads, windowBits) → Promise<Buffer(64)>
Napi::Value Msm(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    auto points = bytes_arg(info, 0, "points", 64);
    auto scalars = bytes_arg(info, 1, "scalars", 32);
    unsigned threads = uint_arg(info, 2, "threads"), window = uint_arg(info, 3, "windowBits");
    size_t n = points.ElementLength() / 64;
    if (scalars.ElementLength() / 32 != n) throw BadArgument{"Expected as many scalars as points"};
    if (window > 24) throw BadArgument{"Expected windowBits from 0 to 24"};
    const uint8_t *p = points.Data(), *s = scalars.Data();
    return new KernelWorker(info.Env(), "galactic:msm", {points, scalars}, 64, [=](uint8_t *out) {
      return gal::cpu::msm_g1(p, s, n, threads, window, out);
    });
  });
}

// msmG2(points, scalars, threads) → Promise<Buffer(128)>
Napi::Value MsmG2(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    auto points = bytes_arg(info, 0, "points", 128);
    auto scalars = bytes_arg(info, 1, "scalars", 32);
    unsigned threads = uint_arg(info, 2, "threads");
    size_t n = points.ElementLength() / 128;
    if (scalars.ElementLength() / 32 != n) throw BadArgument{"Expected as many scalars as points"};
    const uint8_t *p = points.Data(), *s = scalars.Data();
    return new KernelWorker(info.Env(), "galactic:msm-g2", {points, scalars}, 128, [=](uint8_t *out) {
      return gal::cpu::msm_g2(p, s, n, threads, out);
    });
  });
}

// pairing(g1, g2) → Promise<Buffer(384)>: Π e(g1[i], g2[i]) in Fq12
Napi::Value Pairing(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    auto g1 = bytes_arg(info, 0, "g1", 64);
    auto g2 = bytes_arg(info, 1, "g2", 128);
    size_t k = g1.ElementLength() / 64;
    if (g2.ElementLength() / 128 != k) throw BadArgument{"Expected as many G2 points as G1 points"};
    const uint8_t *a = g1.Data(), *b = g2.Data();
    return new KernelWorker(info.Env(), "galactic:pairing", {g1, g2}, 384, [=](uint8_t *out) {
      return gal::cpu::pairing_product(a, b, k, out);
    });
  });
}

// ntt(values, inverse, cosetShift | null, threads) → Promise<Buffer>
Napi::Value Ntt(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    auto values = bytes_arg(info, 0, "values", 32);
    bool inverse = info[1].ToBoolean();
    std::vector<Napi::Object> keep{values};
    const uint8_t *shift = nullptr;
    if (!info[2].IsNull() && !info[2].IsUndefined()) {
      auto s = bytes_arg(info, 2, "cosetShift", 0);
      if (s.ElementLength() != 32) throw BadArgument{"Expected 32 bytes for cosetShift"};
      shift = s.Data();
      keep.push_back(s);
    }
    unsigned threads = uint_arg(info, 3, "threads");
    size_t n = values.ElementLength() / 32;
    const uint8_t *in = values.Data();
    return new KernelWorker(info.Env(), "galactic:ntt", keep, n * 32, [=](uint8_t *out) {
      return gal::cpu::ntt_fr(in, out, n, inverse, shift, threads);
    });
  });
}

// poseidon(inputs, arity, threads) → Promise<Buffer(count·32)>
Napi::Value Poseidon(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    unsigned arity = uint_arg(info, 1, "arity");
    if (arity < 1 || arity > 16) throw BadArgument{"Expected arity from 1 to 16"};
    auto inputs = bytes_arg(info, 0, "inputs", 32 * arity);
    unsigned threads = uint_arg(info, 2, "threads");
    size_t count = inputs.ElementLength() / (32 * arity);
    const uint8_t *in = inputs.Data();
    return new KernelWorker(info.Env(), "galactic:poseidon", {inputs}, count * 32, [=](uint8_t *out) {
      return gal::cpu::poseidon_hash(in, count, arity, out, threads);
    });
  });
}

// poseidonMerkleRoot(leaves, threads) → Promise<Buffer(32)>
Napi::Value PoseidonMerkleRoot(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    auto leaves = bytes_arg(info, 0, "leaves", 32);
    unsigned threads = uint_arg(info, 1, "threads");
    size_t n = leaves.ElementLength() / 32;
    const uint8_t *in = leaves.Data();
    return new KernelWorker(info.Env(), "galactic:merkle", {leaves}, 32, [=](uint8_t *out) {
      return gal::cpu::poseidon_merkle_root(in, n, out, threads);
    });
  });
}

// montgomery(field 'q'|'r', toMontgomery, values, threads) → Promise<Buffer>
Napi::Value Montgomery(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    if (!info[0].IsString()) throw BadArgument{"Expected 'q' or 'r' for field"};
    std::string field = info[0].As<Napi::String>().Utf8Value();
    if (field != "q" && field != "r") throw BadArgument{"Expected 'q' or 'r' for field"};
    bool to_mont = info[1].ToBoolean();
    auto values = bytes_arg(info, 2, "values", 32);
    unsigned threads = uint_arg(info, 3, "threads");
    size_t count = values.ElementLength() / 32;
    const uint8_t *in = values.Data();
    char f = field[0];
    return new KernelWorker(info.Env(), "galactic:montgomery", {values}, count * 32, [=](uint8_t *out) {
      return gal::cpu::montgomery_convert(f, to_mont, in, out, count, threads);
    });
  });
}

// frMulSub(a, b, c | null, threads) → Promise<Buffer>: a_i·b_i − c_i over Fr
Napi::Value FrMulSub(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    auto a = bytes_arg(info, 0, "a", 32);
    auto b = bytes_arg(info, 1, "b", 32);
    std::vector<Napi::Object> keep{a, b};
    const uint8_t *c = nullptr;
    if (!info[2].IsNull() && !info[2].IsUndefined()) {
      auto cv = bytes_arg(info, 2, "c", 32);
      if (cv.ElementLength() != a.ElementLength()) throw BadArgument{"Expected as many values in c as in a"};
      c = cv.Data();
      keep.push_back(cv);
    }
    if (b.ElementLength() != a.ElementLength()) throw BadArgument{"Expected as many values in b as in a"};
    unsigned threads = uint_arg(info, 3, "threads");
    size_t count = a.ElementLength() / 32;
    const uint8_t *pa = a.Data(), *pb = b.Data();
    return new KernelWorker(info.Env(), "galactic:fr-mul-sub", keep, count * 32, [=](uint8_t *out) {
      return gal::cpu::fr_mul_sub(pa, pb, c, out, count, threads);
    });
  });
}

// frSparseMul(records, vector, rows, matrices) → Promise<Buffer(matrices·rows·32)>
Napi::Value FrSparseMul(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    auto records = bytes_arg(info, 0, "records", gal::cpu::kSparseRecordBytes);
    auto vector = bytes_arg(info, 1, "vector", 32);
    if (!info[2].IsNumber()) throw BadArgument{"Expected a number for rows"};
    const double rows_arg = info[2].As<Napi::Number>().DoubleValue();
    if (!(rows_arg >= 0 && rows_arg <= double(1 << 28)) || rows_arg != (double)(size_t)rows_arg)
      throw BadArgument{"Expected rows from 0 to 2^28"};
    const size_t rows = (size_t)rows_arg;
    unsigned matrices = uint_arg(info, 3, "matrices");
    const uint8_t *r = records.Data(), *v = vector.Data();
    size_t count = records.ElementLength() / gal::cpu::kSparseRecordBytes, length = vector.ElementLength() / 32;
    return new KernelWorker(info.Env(), "galactic:fr-sparse-mul", {records, vector}, (size_t)matrices * rows * 32,
                            [=](uint8_t *out) { return gal::cpu::fr_sparse_mul(r, count, v, length, rows, matrices, out); });
  });
}

// fieldMulCost(field, iterations) → Promise<Uint8Array(8)>: a float64, ns per multiplication
Napi::Value FieldMulCost(const Napi::CallbackInfo &info) {
  return run(info, [&] {
    if (!info[0].IsString()) throw BadArgument{"Expected 'q' or 'r' for field"};
    char f = info[0].As<Napi::String>().Utf8Value()[0];
    size_t iterations = uint_arg(info, 1, "iterations");
    return new KernelWorker(info.Env(), "galactic:calibrate", {}, sizeof(double), [=](uint8_t *out) {
      double ns = 0;
      Status st = gal::cpu::field_mul_cost(f, iterations, &ns);
      std::memcpy(out, &ns, sizeof ns);
      return st;
    });
  });
}

Napi::Value MsmWindowBits(const Napi::CallbackInfo &info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "Expected a number for n");
  double n = info[0].As<Napi::Number>().DoubleValue();
  return Napi::Number::New(info.Env(), gal::cpu::msm_window_bits(n > 1 ? (size_t)n : 1));
}

// poseidonConstants(arity) → { c, m, partial: Uint8Array }. Synchronous:
// derives at most one small parameter set, once.
Napi::Value PoseidonConstants(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  unsigned arity = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
  std::vector<uint8_t> c, m, partial;
  Status st = gal::cpu::poseidon_constants(arity, c, m, partial);
  if (!st.ok()) throw make_error(env, st);
  Napi::Object out = Napi::Object::New(env);
  auto copy = [&](const std::vector<uint8_t> &v) {
    auto arr = Napi::Uint8Array::New(env, v.size());
    std::memcpy(arr.Data(), v.data(), v.size());
    return arr;
  };
  out.Set("c", copy(c));
  out.Set("m", copy(m));
  out.Set("partial", copy(partial));
  return out;
}

Napi::Value HardwareThreads(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), gal::cpu::hardware_threads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("msm", Napi::Function::New(env, Msm));
  exports.Set("msmG2", Napi::Function::New(env, MsmG2));
  exports.Set("ntt", Napi::Function::New(env, Ntt));
  exports.Set("pairing", Napi::Function::New(env, Pairing));
  exports.Set("poseidon", Napi::Function::New(env, Poseidon));
  exports.Set("poseidonMerkleRoot", Napi::Function::New(env, PoseidonMerkleRoot));
  exports.Set("montgomery", Napi::Function::New(env, Montgomery));
  exports.Set("frMulSub", Napi::Function::New(env, FrMulSub));
  exports.Set("frSparseMul", Napi::Function::New(env, FrSparseMul));
  exports.Set("fieldMulCost", Napi::Function::New(env, FieldMulCost));
  exports.Set("msmWindowBits", Napi::Function::New(env, MsmWindowBits));
  exports.Set("poseidonConstants", Napi::Function::New(env, PoseidonConstants));
  exports.Set("hardwareThreads", Napi::Function::New(env, HardwareThreads));
  return exports;
}

}  // namespace

NODE_API_MODULE(galactic_cpu, Init)
