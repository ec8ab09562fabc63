// The outcome of a native kernel call: empty code on success, else a
// GAL_ERR_* code (docs/errors.md) and a message saying what was expected and
// what arrived. Shared by the CPU and CUDA modules and their N-API boundary.
#pragma once
#include <string>

namespace gal {

struct Status {
  std::string code;
  std::string message;
  bool ok() const { return code.empty(); }
  static Status fail(const char *code, std::string message) { return Status{code, std::move(message)}; }
};

}  // namespace gal
