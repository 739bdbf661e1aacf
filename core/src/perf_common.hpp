// Internal: what the inference and training speed models share (docs/model/speed.md): a lenient
// reader for the speed keys, the named efficiency constants with their request overrides, peak
// FLOP/s per precision, the per-architecture efficiency table, power limits and cost.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmsizer/estimate.hpp"
#include "llmsizer/performance.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer::perf {

// Reads request keys without failing: the memory estimator has already validated the job's own
// keys (and refused the request when they were wrong), so here a speed key with a wrong type or
// an out-of-range value becomes a warning and its default.
class Reader {
 public:
  Reader(const Value* object, std::string path, std::vector<std::string>& warnings)
      : object_(object && object->is_object() ? object : nullptr), path_(std::move(path)), warnings_(&warnings) {}

  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::optional<double> optional_number(std::string_view key, double min, double max);
  double number(std::string_view key, double fallback, double min, double max) {
    return optional_number(key, min, max).value_or(fallback);
  }
  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  bool boolean(std::string_view key, bool fallback);
  std::string text(std::string_view key, std::string_view fallback);
  Reader child(std::string_view key) const { return Reader(find(key), path_ + "/" + std::string(key), *warnings_); }

 private:
  void warn(std::string_view key, const std::string& what);
  const Value* object_;
  std::string path_;
  std::vector<std::string>* warnings_;
};

// The named efficiency constants one estimate uses. Each default (docs/model/speed.md gives its
// source or the cases it was fitted on) can be replaced by request.efficiency.<name>; every
// constant used is echoed in performance.efficiency so that a user can check and override it.
class Constants {
 public:
  Constants(const Value* overrides, std::vector<std::string>& warnings);
  // `name` must outlive the estimate (the constants are string literals).
  double get(std::string_view name, double fallback);
  bool overridden(std::string_view name) const;
  Value used() const;
  // Warns about override keys this estimate never asked for (typos, or a training constant on
  // an inference request).
  void warn_unused() const;

 private:
  bool was_used(std::string_view name) const;
  const Value* overrides_;
  std::vector<std::string>* warnings_;
  std::vector<std::pair<std::string_view, double>> used_;
};

// Dense tensor-core precisions the GPU records give peaks for.
enum class Precision : uint8_t { fp32, fp16, bf16, fp8, int8, fp4 };
const char* precision_name(Precision p);
// Dense peak FLOP/s for `p`; falls back to the nearest slower format the GPU has (fp4 → fp8 →
// 16-bit → fp32), 0 when the record has no FLOP/s at all. `used` gets the format actually used.
double peak_flops(const GpuSpec& g, Precision p, Precision* used = nullptr);

// Fraction of the dense 16-bit peak large GEMMs reach on this architecture (the calibrated
// per-generation table of docs/model/speed.md), and the name of the table row.
double tensor_efficiency(const GpuSpec& g, std::string* row = nullptr);
// Per-token work that is not GEMM (norms, activations, rotary, residuals) grows with the hidden
// size h while GEMM FLOPs grow with h²: the achieved GEMM share is h / (h + half).
double hidden_size_factor(double hidden_size, double half);
// Efficiency of causal flash attention relative to the GEMMs on this architecture, for kernels
// of the FlashAttention-2 class (training, HF) and for inference engines' own attention.
double attention_relative_efficiency(const GpuSpec& g, bool inference_engine);

// Compute slowdown under a power cap below the board's TDP: (limit / tdp)^exponent (clocks fall
// roughly as the 1/exponent-th root of power near the top of the DVFS curve).
double power_limit_factor(const GpuSpec& g, double power_limit_w, double exponent);

// Adds usd_per_hour, usd_per_million_tokens and (when `total_time_s` > 0) usd_total.
void add_cost(const GpuSpec& g, int num_gpus, double tokens_per_s, double total_time_s, Reader& r, Value& perf);

// Sets `key` only for finite positive values (a figure that is not modelled is left out).
void set_positive(Value& v, std::string_view key, double x);

// Inter-node bandwidth per GPU (one 200/400 Gb/s NIC per GPU) by architecture generation.
double default_internode_bytes_per_s(const GpuSpec& g);

// The two models (perf_inference.cpp, perf_training.cpp).
void add_inference_performance(const Common& c, const Value& request, Estimate& e);
void add_training_performance(const Common& c, const Value& request, Estimate& e);

inline constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace llmsizer::perf
