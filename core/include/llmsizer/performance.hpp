// Speed: throughput, latency, training time and cost (shared formulas.md §7,
// calibration/NOTES-throughput.md, docs/model/speed.md). Filled in after the memory estimate,
// from the same request.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "llmsizer/estimate.hpp"
#include "llmsizer/gpu.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer {

// Adds the `performance` block of `e` (and any speed warnings) for the request's task.
// `request` is the whole request object, already validated by the memory estimator.
// Top-level request keys the speed model reads beyond the memory estimator's own (so they are
// not reported as unknown): docs/model/speed.md lists their meaning.
std::vector<std::string_view> speed_request_keys(std::string_view task);

void add_performance(const Common& c, const Value& request, Estimate& e);

// The pure building blocks of the speed model, one formula each (docs/model/speed.md gives the
// sources). Units: seconds, bytes, bytes/s.
namespace speed {

// Distinct routed experts one MoE layer reads when `tokens` tokens each pick `k` of `e`
// (uniform routing): e · (1 − (1 − k/e)^tokens). Between k (one token) and e (many).
double experts_touched(double e, double k, double tokens);

// Ring all-reduce of `bytes` over `ranks` GPUs: latency + 2·(ranks−1)/ranks · bytes / bandwidth.
double allreduce_s(double bytes, int ranks, double link_bytes_per_s, double latency_s);
// Ring all-gather or reduce-scatter: latency + (ranks−1)/ranks · bytes / bandwidth.
double allgather_s(double bytes, int ranks, double link_bytes_per_s, double latency_s);

// Pipeline bubble of 1F1B with `pp` stages, `micro_batches` micro-batches and `virtual_stages`
// model chunks per GPU (Narayanan et al. 2021 §2.2): (pp − 1) / (virtual_stages · micro_batches).
double pipeline_bubble_fraction(int pp, int64_t micro_batches, int virtual_stages);

// A soft roofline: (compute^p + memory^p)^(1/p). p → ∞ is the ideal max(); a finite p charges
// the imperfect overlap of compute and memory traffic near the ridge point.
double roofline_s(double compute_s, double memory_s, double sharpness);

// Per-direction bandwidth of the link `ranks` GPUs of one kind use to talk to each other: NVLink
// inside an 8-GPU node when the GPU has it, else PCIe of its generation; `internode_bytes_per_s`
// when the group spans nodes.
double link_bytes_per_s(const GpuSpec& g, int ranks, double internode_bytes_per_s);
// An SXM record without an NVLink figure: the link speed is its architecture's (link_bytes_per_s).
bool nvlink_assumed(const GpuSpec& g);
// Per-direction PCIe x16 bandwidth of the GPU's generation (host ↔ GPU copies).
double pcie_bytes_per_s(const GpuSpec& g);

}  // namespace speed
}  // namespace llmsizer
