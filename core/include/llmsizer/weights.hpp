// Weight bytes per storage format, tensor by tensor (shared formulas.md §2): which modules a
// format quantizes and which it leaves in 16 bits, and the per-format block/group overheads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llmsizer/model.hpp"

namespace llmsizer {

enum class FormatKind : uint8_t {
  fp32, fp16, bf16,
  fp8,        // fp8 e4m3 weights, per-channel or 128x128 block scales (vLLM/compressed-tensors, DeepSeek)
  int8,       // W8A8 int8 with per-channel fp32 scales (SmoothQuant / compressed-tensors)
  bnb_int8,   // bitsandbytes LLM.int8(): int8 + fp32 per-row scale
  bnb_nf4, bnb_fp4,  // bitsandbytes 4-bit, blocksize 64, optional double quant
  gptq, awq,  // group-wise integer (bits 2..8), fp16 scales, packed zeros (+ g_idx for GPTQ)
  mxfp4,      // OCP MX fp4: 4-bit elements + one 8-bit scale per 32 (gpt-oss experts)
  nvfp4,      // NVIDIA NVFP4: 4-bit E2M1 elements + one FP8 E4M3 scale per 16, every decoder linear
  int4,       // torchao int4 weight-only: 4-bit + bf16 scale and zero per group (default 128)
  gguf,       // llama.cpp file types (per-tensor mixes)
};

struct WeightFormat {
  FormatKind kind = FormatKind::bf16;
  std::string name;        // as requested ("gptq-int4", "gguf-q4_k_m", …)
  int bits = 16;           // nominal element bits of quantized tensors
  int group_size = 128;    // gptq/awq
  bool double_quant = false;  // bnb 4-bit
  std::string gguf_type;   // "q4_k_m", "q8_0", …
};

// Parses a quantization name: "none", "fp8", "int8", "gptq-int4", "gptq-int8", "awq-int4",
// "bnb-int8", "bnb-nf4", "bnb-fp4", "mxfp4", "gguf-<type>". `dtype_bytes` is the compute
// dtype used for tensors a format leaves unquantized. Returns false on an unknown name.
bool parse_weight_format(std::string_view name, WeightFormat& out);
// The list of accepted quantization names (for error messages and the UI).
const std::vector<std::string_view>& weight_format_names();

// Bytes of one tensor group stored in `fmt`, unquantized tensors in `dtype_bytes` per element.
double tensor_bytes(const Tensor& t, const WeightFormat& fmt, int dtype_bytes, int64_t num_layers);

// Whether `fmt` stores `t` quantized (else in the compute dtype). Exported for the inference
// estimators, which size each framework's allocations tensor by tensor (issue 6).
bool is_quantized(const Tensor& t, const WeightFormat& fmt);
// Whether tensor parallelism shards `r` (linear layers, vocab-parallel embedding and LM head,
// biases of sharded layers) rather than replicating it (norms, routers). One rule for
// weight_bytes() and the inference estimators' per-stage sums (issue 6).
bool tp_sharded(Role r);

struct WeightBytes {
  double total = 0;          // whole model
  double quantized = 0;      // of which: tensors stored in the quantized format
  double unquantized = 0;    // of which: tensors left in the compute dtype
  double per_gpu = 0;        // most-loaded GPU under tp × pp
  int64_t quantized_params = 0;
};

// tp shards linear layers, embeddings and the LM head; norms, routers and biases of
// row-parallel layers are replicated. pp splits layers; the most-loaded stage is reported
// (first stage holds the embedding, last the LM head).
WeightBytes weight_bytes(const ModelSpec& m, const WeightFormat& fmt, int dtype_bytes, int tp, int pp);

}  // namespace llmsizer
