// Speed model: see docs/model/speed.md. This file holds what inference and training share (the
// building blocks of performance.hpp, the constants' plumbing, peaks, the per-architecture
// table, cost); perf_inference.cpp and perf_training.cpp hold the two models.
#include "llmsizer/performance.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "perf_common.hpp"

namespace llmsizer {

void add_performance(const Common& c, const Value& request, Estimate& e) {
  if (c.task == "train") perf::add_training_performance(c, request, e);
  else perf::add_inference_performance(c, request, e);
}

namespace speed {

double experts_touched(double e, double k, double tokens) {
  if (e <= 0 || k <= 0 || tokens <= 0) return 0;
  if (k >= e) return e;
  return e * (1.0 - std::pow(1.0 - k / e, tokens));
}

double allreduce_s(double bytes, int ranks, double link_bytes_per_s, double latency_s) {
  if (ranks <= 1 || bytes <= 0) return 0;
  return latency_s + 2.0 * (ranks - 1) / ranks * bytes / link_bytes_per_s;
}

double allgather_s(double bytes, int ranks, double link_bytes_per_s, double latency_s) {
  if (ranks <= 1 || bytes <= 0) return 0;
  return latency_s + static_cast<double>(ranks - 1) / ranks * bytes / link_bytes_per_s;
}

double pipeline_bubble_fraction(int pp, int64_t micro_batches, int virtual_stages) {
  if (pp <= 1) return 0;
  return static_cast<double>(pp - 1) / (std::max(1, virtual_stages) * static_cast<double>(std::max<int64_t>(1, micro_batches)));
}

double roofline_s(double compute_s, double memory_s, double sharpness) {
  const double hi = std::max(compute_s, memory_s), lo = std::min(compute_s, memory_s);
  if (hi <= 0) return 0;
  if (!std::isfinite(sharpness) || sharpness > 64) return hi;
  const double r = lo / hi;
  if (sharpness == 2.0) return hi * std::sqrt(1.0 + r * r);
  return hi * std::pow(1.0 + std::pow(r, sharpness), 1.0 / sharpness);
}

// NVLink per GPU (both directions) of an architecture's full-rate SXM parts, as the catalog's
// sourced records give them: V100 SXM2 300 GB/s (NVLink 2), A100 SXM 600 (3), H100/H200 SXM 900
// (4), B200 1,800 (5). Export parts (A800, H800: 400) carry their own figure.
double sxm_nvlink_bytes_per_s(const GpuSpec& g) {
  if (g.form_factor != "sxm" || g.vendor != "nvidia") return 0;
  if (g.architecture == "volta") return 300e9;
  if (g.architecture == "ampere") return 600e9;
  if (g.architecture == "hopper") return 900e9;
  if (g.architecture == "blackwell") return 1800e9;
  return 0;
}

bool nvlink_assumed(const GpuSpec& g) { return g.nvlink_bytes_per_s <= 0 && sxm_nvlink_bytes_per_s(g) > 0; }

double link_bytes_per_s(const GpuSpec& g, int ranks, double internode_bytes_per_s) {
  if (ranks <= 1) return perf::kInf;
  if (ranks > 8) return internode_bytes_per_s;
  if (g.nvlink_bytes_per_s > 0) return g.nvlink_bytes_per_s / 2;  // records give both directions
  // An SXM module always sits on an NVLink baseboard; a record without the figure gets its
  // architecture's (nvlink_assumed; the speed answers warn).
  if (const double nv = sxm_nvlink_bytes_per_s(g); nv > 0) return nv / 2;
  return pcie_bytes_per_s(g);
}

double pcie_bytes_per_s(const GpuSpec& g) {
  // PCIe x16 per direction by generation (PCI-SIG: 8, 16, 32, 64 GT/s per lane, 128b/130b).
  switch (g.pcie_gen) {
    case 3: return 15.75e9;
    case 5: return 63.0e9;
    case 6: return 121.0e9;
    default: return 31.5e9;
  }
}

}  // namespace speed

namespace perf {

const Value* Reader::find(std::string_view key) const {
  if (!object_) return nullptr;
  const Value* v = object_->find(key);
  return v && !v->is_null() ? v : nullptr;
}

void Reader::warn(std::string_view key, const std::string& what) {
  warnings_->push_back(path_ + "/" + std::string(key) + " " + what + "; the speed estimate uses its default");
}

std::optional<double> Reader::optional_number(std::string_view key, double min, double max) {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number() || !std::isfinite(v->as_double())) {
    warn(key, "must be a number");
    return std::nullopt;
  }
  const double d = v->as_double();
  if (d < min || d > max) {
    char b[96];
    std::snprintf(b, sizeof b, "must be between %g and %g", min, max);
    warn(key, b);
    return std::nullopt;
  }
  return d;
}

int64_t Reader::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const auto d = optional_number(key, static_cast<double>(min), static_cast<double>(max));
  return d ? to_int64(std::floor(*d)) : fallback;
}

bool Reader::boolean(std::string_view key, bool fallback) {
  const Value* v = find(key);
  if (!v) return fallback;
  if (!v->is_bool()) {
    warn(key, "must be true or false");
    return fallback;
  }
  return v->as_bool();
}

std::string Reader::text(std::string_view key, std::string_view fallback) {
  const Value* v = find(key);
  if (!v) return std::string(fallback);
  if (!v->is_string()) return std::string(fallback);  // the memory estimator reports type errors
  return v->as_string();
}

Constants::Constants(const Value* overrides, std::vector<std::string>& warnings)
    : overrides_(overrides && overrides->is_object() ? overrides : nullptr), warnings_(&warnings) {
  if (overrides && !overrides->is_null() && !overrides->is_object())
    warnings.push_back("/efficiency must be an object of named constants (docs/model/speed.md); ignored");
}

bool Constants::overridden(std::string_view name) const {
  const Value* v = overrides_ ? overrides_->find(name) : nullptr;
  return v && v->is_number() && std::isfinite(v->as_double()) && v->as_double() >= 0;
}

bool Constants::was_used(std::string_view name) const {
  for (const auto& [n, v] : used_)
    if (n == name) return true;
  return false;
}

double Constants::get(std::string_view name, double fallback) {
  double x = fallback;
  if (overrides_) {
    if (const Value* v = overrides_->find(name); v && !v->is_null()) {
      if (overridden(name)) x = v->as_double();
      else if (!was_used(name)) warnings_->push_back("/efficiency/" + std::string(name) + " must be a number ≥ 0; the default is used");
    }
  }
  for (auto& [n, v] : used_)
    if (n == name) {
      v = x;
      return x;
    }
  used_.emplace_back(name, x);
  return x;
}

Value Constants::used() const {
  Value v = Value::object();
  for (const auto& [n, x] : used_) v.set(n, x);
  return v;
}

void Constants::warn_unused() const {
  if (!overrides_) return;
  for (const auto& [k, v] : overrides_->members())
    if (!was_used(k))
      warnings_->push_back("/efficiency/" + k + " is not used by this estimate (docs/model/speed.md lists the constants per task)");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::fp16: return "fp16";
    case Precision::bf16: return "bf16";
    case Precision::fp8: return "fp8";
    case Precision::int8: return "int8";
    case Precision::fp4: return "fp4";
  }
  return "bf16";
}

double peak_flops(const GpuSpec& g, Precision p, Precision* used) {
  auto pick = [&](Precision q, double v) {
    if (used) *used = q;
    return v;
  };
  switch (p) {
    case Precision::fp4:  // the record's FP4 rate; without one, the fp8 rate (a floor)
      if (g.dense_fp4_flops > 0) return pick(Precision::fp4, g.dense_fp4_flops);
      [[fallthrough]];
    case Precision::fp8:
      if (g.dense_fp8_flops > 0) return pick(Precision::fp8, g.dense_fp8_flops);
      break;
    case Precision::int8:
      if (g.dense_int8_ops > 0) return pick(Precision::int8, g.dense_int8_ops);
      break;
    case Precision::fp32:
      if (g.fp32_flops > 0) return pick(Precision::fp32, g.fp32_flops);
      break;
    case Precision::fp16:
      if (g.dense_fp16_flops > 0) return pick(Precision::fp16, g.dense_fp16_flops);
      break;
    default: break;
  }
  if (g.dense_bf16_flops > 0 && g.bf16) return pick(Precision::bf16, g.dense_bf16_flops);
  if (g.dense_fp16_flops > 0) return pick(Precision::fp16, g.dense_fp16_flops);
  if (g.dense_bf16_flops > 0) return pick(Precision::bf16, g.dense_bf16_flops);
  if (g.fp32_flops > 0) return pick(Precision::fp32, g.fp32_flops);
  return pick(p, 0);
}

namespace {

// Fraction of the dense 16-bit tensor peak that large GEMMs reach, by architecture, for a very
// wide model (hidden_size → ∞; hidden_size_factor() charges narrower models). Fitted on
// (docs/model/speed.md "Compute efficiency"): ampere — TensorRT-LLM A100 prefill (0.61–0.67 of
// 312 TF) and llm-foundry A100 HFU (0.64–0.71); hopper — TensorRT-LLM/NIM H100 FP8 prefill
// (0.33–0.46 of the FP8 peak ÷ fp8 factor) and llm-foundry H100 MFU/HFU (0.40–0.57); ada —
// TensorRT-LLM L40S FP8 prefill (0.52 ÷ fp8 factor); blackwell — Megatron-Bridge B200 FP8
// (~0.35 of FP8 ÷ fp8 factor). The others are assumptions (no measured case).
struct ArchRow { std::string_view arch; double tensor; double attn_training; };
constexpr ArchRow kArch[] = {
    {"volta", 0.64, 0.60},  {"turing", 0.58, 0.60}, {"ampere", 0.72, 0.75},   {"ada", 0.72, 0.75},
    {"hopper", 0.53, 0.25}, {"blackwell", 0.48, 0.25}, {"cdna2", 0.48, 0.50}, {"cdna3", 0.43, 0.50},
    {"cdna4", 0.43, 0.50},  {"gaudi2", 0.53, 0.50}, {"gaudi3", 0.48, 0.50},   {"davinci", 0.48, 0.50},
};
constexpr ArchRow kArchDefault = {"default", 0.53, 0.50};

const ArchRow& arch_row(const GpuSpec& g) {
  for (const auto& r : kArch)
    if (g.architecture == r.arch) return r;
  return kArchDefault;
}

}  // namespace

double tensor_efficiency(const GpuSpec& g, std::string* row) {
  const ArchRow& r = arch_row(g);
  if (row) *row = std::string(r.arch);
  return r.tensor;
}

double hidden_size_factor(double hidden_size, double half) {
  return hidden_size > 0 ? hidden_size / (hidden_size + half) : 1.0;
}

double attention_relative_efficiency(const GpuSpec& g, bool inference_engine) {
  // Inference engines ship their own attention (TensorRT-LLM FMHA/XQA, FlashAttention-3 and
  // FlashInfer in vLLM/SGLang): close to GEMM efficiency on every generation (assumption).
  if (inference_engine) return 0.8;
  return arch_row(g).attn_training;
}

double power_limit_factor(const GpuSpec& g, double power_limit_w, double exponent) {
  if (power_limit_w <= 0 || g.tdp_w <= 0 || power_limit_w >= g.tdp_w) return 1.0;
  return std::pow(power_limit_w / g.tdp_w, exponent);
}

void set_positive(Value& v, std::string_view key, double x) {
  if (std::isfinite(x) && x > 0) v.set(key, x);
}

void add_cost(const GpuSpec& g, int num_gpus, double tokens_per_s, double total_time_s, Reader& r, Value& perf) {
  const double price = r.number("usd_per_gpu_hour", g.usd_per_gpu_hour, 0, 1e4);
  if (price <= 0) return;
  const double usd_per_hour = price * num_gpus;
  perf.set("usd_per_hour", usd_per_hour);
  if (tokens_per_s > 0) perf.set("usd_per_million_tokens", usd_per_hour / (tokens_per_s * 3600.0) * 1e6);
  if (total_time_s > 0) perf.set("usd_total", usd_per_hour * total_time_s / 3600.0);
}

double default_internode_bytes_per_s(const GpuSpec& g) {
  // One NIC per GPU in the reference systems: DGX H100/B200 ConnectX-7 400 Gb/s, DGX A100
  // ConnectX-6 200 Gb/s; anything else 100 Gb/s.
  if (g.architecture == "hopper" || g.architecture == "blackwell") return 50e9;
  if (g.architecture == "ampere" || g.architecture == "cdna3" || g.architecture == "cdna4") return 25e9;
  return 12.5e9;
}

}  // namespace perf
std::vector<std::string_view> speed_request_keys(std::string_view task) {
  if (task == "train")
    return {"efficiency", "usd_per_gpu_hour", "train_tokens", "num_epochs", "dataset_tokens", "fp8_recipe"};
  return {"efficiency", "usd_per_gpu_hour", "concurrency", "request_rate", "num_prompts", "torch_compile",
          "cuda_graphs", "batching", "gpu_power_limit_w"};
}

}  // namespace llmsizer
