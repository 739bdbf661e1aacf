// One accelerator's specs (gpu-data/*.json or a custom object in a request). Units in names:
// bytes, bytes/s, FLOP/s, watts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmsizer/result.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer {

struct GpuSpec {
  std::string id;            // catalog id, or "custom"
  std::string name;
  std::string vendor;        // nvidia, amd, huawei, apple, intel
  std::string architecture;  // volta, turing, ampere, ada, hopper, blackwell, cdna3, …
  int64_t memory_bytes = 0;  // total as the driver reports it
  double memory_bandwidth_bytes_per_s = 0;
  double dense_bf16_flops = 0;  // 0 = unknown / unsupported
  double dense_fp16_flops = 0;
  double dense_fp8_flops = 0;
  double dense_fp4_flops = 0;
  double dense_int8_ops = 0;
  double fp32_flops = 0;
  double nvlink_bytes_per_s = 0;  // bidirectional per GPU; 0 = none or not in the record
  std::string form_factor;        // sxm, pcie, … ("" = not stated)
  int pcie_gen = 0;
  double tdp_w = 0;
  int release_year = 0;
  bool bf16 = true;
  bool fp8 = false;
  bool flash_attention_2 = true;
  double usd_per_gpu_hour = 0;  // 0 = no price in the catalog
  int china_market = -1;        // 1 sold in mainland China, 0 not, -1 unknown
  int sm_count = 0;             // streaming multiprocessors (NVIDIA); 0 = unknown
  int max_threads_per_sm = 0;   // resident threads per SM, from compute_capability; 0 = unknown
};

// Reads a catalog record or a custom spec. Only memory_bytes is required for a custom GPU.
Result<GpuSpec> parse_gpu(const Value& v, const std::string& path, std::vector<std::string>* warnings);

}  // namespace llmsizer
