// The request's common part and the answer's value types (DESIGN.md "The JSON contract").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmsizer/gpu.hpp"
#include "llmsizer/model.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer {

// double → int64 for byte and token counts: NaN → 0 and clamped to ±9e18, because casting an
// out-of-range double is undefined behaviour (absurd-but-valid requests must stay finite).
inline int64_t to_int64(double x) {
  if (!(x == x)) return 0;
  if (x > 9.0e18) return 9000000000000000000LL;
  if (x < -9.0e18) return -9000000000000000000LL;
  return static_cast<int64_t>(x);
}

// What every task shares: the resolved model and GPU.
struct Common {
  std::string task;  // "train" | "infer" | "recommend"
  ModelSpec model;
  ParamCounts params;
  GpuSpec gpu;
  int num_gpus = 1;
  std::string model_source;  // "preset" | "config"
  double params_stated = 0;  // from the preset, 0 when unknown
  // The vision tower + projector of a multimodal model (not in `params`), and where its sizes came
  // from when the request's config did not give them: "preset" (the preset's config.json) or a
  // model class's default (its description). Resolved once, in resolve_common.
  struct VisionTower {
    int64_t params = 0;
    std::string_view from;
  } vision;
  // A recommendation sweep's trial: it ranks on the peaks, `fits` and the speed figures only, so
  // the training estimator skips its reverse solvers (the sweep is itself the search over GPU
  // counts; `num_gpus_needed` alone was half of a training sweep, docs/performance.md).
  bool sweep_trial = false;
};

// One memory component on one GPU, with the formula and the numbers that went into it.
struct Component {
  std::string id;
  int64_t bytes = 0;
  std::string formula;
  Value values = Value::object();
  std::string explanation;
};

struct Peak {
  int64_t allocated_bytes = 0;  // torch.cuda.max_memory_allocated
  int64_t reserved_bytes = 0;   // torch.cuda.max_memory_reserved (caching allocator)
  int64_t device_bytes = 0;     // what nvidia-smi shows for the process
};

struct KvCacheInfo {
  int64_t bytes_per_token = 0;  // per GPU
  int64_t capacity_tokens = 0;
  double max_concurrency = 0;   // sequences of max_model_len that fit at once
  int64_t block_size = 0;
  int64_t num_blocks = 0;
  int64_t max_context_fit = 0;  // longest single sequence that fits
};

struct Estimate {
  std::vector<Component> components;  // per GPU
  Peak peak;
  int64_t low_bytes = 0, high_bytes = 0;
  int64_t host_bytes = 0;
  bool fits = false;
  int64_t num_gpus_needed = 0;        // fewest GPUs of this kind for the job (0 = not computed)
  std::optional<KvCacheInfo> kv_cache;
  Value performance = Value::object();
  Value extra = Value::object();       // figures the contract has no field for yet
  std::vector<std::string> warnings;

  int64_t total_bytes() const {
    int64_t t = 0;
    for (const auto& c : components) t += c.bytes;
    return t;
  }
  Component& add(std::string id, double bytes, std::string formula, Value values, std::string explanation);
};

}  // namespace llmsizer
