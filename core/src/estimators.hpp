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
// pytorch#86509 measured 287,047,680 B; vLLM 0.19 logs show 0.51 GiB on H100 (the figure used
// when the GPU's SM count is unknown).
inline constexpr double kCudaContextBytes = 0.51 * (1 << 30);
// The context's local-memory reservation is context-wide: max resident threads per SM × SMs ×
// bytes per thread (NVIDIA developer forums, "Local memory management": "calculated as
// MAX_THREADS_PER_SM x SMs x LOCAL_MEM_PER_THREAD"), the per-thread stack defaulting to 1 KiB
// (cudaLimitStackSize). The rest of the context is taken as fixed, fitted so that an H100 SXM
// (132 SMs × 2048 threads) gives the 0.51 GiB above: 0.51 GiB − 264 MiB = 283 MB. Check: RTX
// 3090 (82 × 1536) → 0.37 GiB; vLLM issue #10517 logged 0.35 GiB of non-torch memory on one.
inline constexpr double kCudaStackBytesPerThread = 1024;
inline constexpr double kCudaContextFixedBytes = kCudaContextBytes - 132.0 * 2048 * kCudaStackBytesPerThread;
inline double cuda_context_bytes(const GpuSpec& g) {
  if (g.sm_count <= 0 || g.max_threads_per_sm <= 0) return kCudaContextBytes;
  return kCudaContextFixedBytes + static_cast<double>(g.sm_count) * g.max_threads_per_sm * kCudaStackBytesPerThread;
}
// cuBLAS workspace per handle/stream (8,519,680 B, shared formulas.md §6) + cuBLASLt workspace.
inline constexpr double kCublasWorkspaceBytes = 8519680.0 + 4.0 * (1 << 20);

inline double gib(double bytes) { return bytes / static_cast<double>(1LL << 30); }

}  // namespace llmsizer
