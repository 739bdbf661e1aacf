#include "llmsizer/kv_cache.hpp"

#include <algorithm>

namespace llmsizer {

const std::vector<std::string_view>& kv_cache_dtype_names() {
  static const std::vector<std::string_view> n = {"auto", "fp16", "bf16", "fp32", "fp8", "fp8_e4m3",
                                                  "fp8_e5m2", "int8", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1"};
  return n;
}

double kv_element_bytes(std::string_view t, int model_dtype_bytes) {
  if (t == "auto") return model_dtype_bytes;
  if (t == "fp16" || t == "bf16") return 2;
  if (t == "fp32") return 4;
  if (t == "fp8" || t == "fp8_e4m3" || t == "fp8_e5m2" || t == "int8") return 1;
  // llama.cpp block types (ggml-common.h): 32 elements per block.
  if (t == "q8_0") return 34.0 / 32;
  if (t == "q4_0") return 18.0 / 32;
  if (t == "q4_1") return 20.0 / 32;
  if (t == "q5_0") return 22.0 / 32;
  if (t == "q5_1") return 24.0 / 32;
  return -1;
}

int64_t kv_heads_per_gpu(const ModelSpec& m, int tp) {
  return std::max<int64_t>(1, m.num_key_value_heads / std::max(1, tp));
}

double kv_bytes_per_token_per_layer(const ModelSpec& m, double elem_bytes, int tp) {
  if (m.attention == Attention::mla)  // latent + decoupled rope key, one "head", not split by TP
    return static_cast<double>(m.kv_lora_rank + m.qk_rope_head_dim) * elem_bytes;
  return 2.0 * static_cast<double>(kv_heads_per_gpu(m, tp) * m.head_dim) * elem_bytes;
}

int64_t kv_text_layers(const ModelSpec& m) { return m.num_hidden_layers - m.num_cross_attention_layers; }

double kv_bytes_for_sequence(const ModelSpec& m, int64_t tokens, double elem_bytes, int tp, bool apply_windows,
                             double layers_fraction) {
  const double per = kv_bytes_per_token_per_layer(m, elem_bytes, tp);
  const int64_t text_layers = kv_text_layers(m);
  const int64_t windowed = apply_windows ? std::min(m.num_sliding_layers, text_layers) : 0;
  const double full = static_cast<double>(text_layers - windowed) * static_cast<double>(tokens);
  const double win = static_cast<double>(windowed) * static_cast<double>(std::min(tokens, m.sliding_window));
  return (full + win) * per * layers_fraction;
}

}  // namespace llmsizer
