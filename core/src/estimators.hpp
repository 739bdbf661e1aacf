// Internal: the task estimators. Each reads its own request fields from the root object (so the
// field list of a task lives beside the formulas that use it) and fills an Estimate.
#pragma once

#include "llmsizer/estimate.hpp"
#include "llmsizer/fields.hpp"
#include "llmsizer/result.hpp"

namespace llmsizer {

Result<Estimate> estimate_inference(const Common& c, Fields& request);

// A whole estimate from a request object (task "train" or "infer"): what the JSON API and the
// recommendation sweep both run.
struct Answer {
  Common common;
  Estimate estimate;
  std::vector<std::string> warnings;
};
Result<Answer> run_estimate(const Value& request);
std::string error_response(const Error& e);
std::string recommend_value(const Value& request);
Result<Estimate> estimate_training(const Common& c, Fields& request);

// Shared runtime constants (docs/model.md "Runtime overheads").
// CUDA context + loaded kernels per process per GPU, lazy module loading (CUDA ≥ 11.7):
// pytorch#86509 measured 287,047,680 B; vLLM 0.19 logs show 0.51 GiB on H100.
inline constexpr double kCudaContextBytes = 0.51 * (1 << 30);
// cuBLAS workspace per handle/stream (8,519,680 B, shared formulas.md §6) + cuBLASLt workspace.
inline constexpr double kCublasWorkspaceBytes = 8519680.0 + 4.0 * (1 << 20);

inline double gib(double bytes) { return bytes / static_cast<double>(1LL << 30); }

}  // namespace llmsizer
