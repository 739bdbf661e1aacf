// KV-cache sizes (shared formulas.md §5): GQA/MQA heads per GPU under TP, MLA's compressed
// latent, sliding-window layers, quantized cache types.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "llmsizer/model.hpp"

namespace llmsizer {

// Bytes per cached element for a cache type; `model_dtype_bytes` for "auto". < 0: unknown name.
double kv_element_bytes(std::string_view kv_cache_dtype, int model_dtype_bytes);
const std::vector<std::string_view>& kv_cache_dtype_names();

// KV heads held by one GPU: max(1, a_kv / tp) — vLLM replicates KV heads when tp > a_kv.
int64_t kv_heads_per_gpu(const ModelSpec& m, int tp);

// Bytes one token adds to one attention layer's cache on one GPU.
//   standard: 2 · heads_per_gpu · head_dim · elem      MLA: (kv_lora_rank + rope_dim) · elem
double kv_bytes_per_token_per_layer(const ModelSpec& m, double elem_bytes, int tp);

// Layers whose cache grows with the text (cross-attention layers cache image tokens instead).
int64_t kv_text_layers(const ModelSpec& m);

// Bytes of one sequence of `tokens` on one GPU (all layers of this GPU's pipeline stage share
// `layers_fraction`), sliding-window layers capped at their window when `apply_windows`.
double kv_bytes_for_sequence(const ModelSpec& m, int64_t tokens, double elem_bytes, int tp,
                             bool apply_windows, double layers_fraction = 1.0);

}  // namespace llmsizer
