// KV-cache sizes per token, per sequence and per paged block (shared formulas.md §5;
// docs/model/inference.md "KV cache").
#include "llmsizer/kv_cache.hpp"

#include <algorithm>

#include "llmsizer/fields.hpp"

namespace llmsizer {

std::string canonical_kv_cache_dtype(std::string_view name) {
  const std::string s = ascii_lower(name);
  if (s == "float16" || s == "half" || s == "f16") return "fp16";
  if (s == "bfloat16") return "bf16";
  if (s == "float32" || s == "f32") return "fp32";
  return s;
}

const std::vector<std::string_view>& kv_cache_dtype_names() {
  static const std::vector<std::string_view> n = {"auto", "fp16", "bf16", "fp32", "fp8",  "fp8_e4m3", "fp8_e5m2",
                                                  "int8", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1"};
  return n;
}

double kv_element_bytes(std::string_view t, int model_dtype_bytes) {
  if (t == "auto") return model_dtype_bytes;
  if (t == "fp16" || t == "bf16") return 2;
  if (t == "fp32") return 4;
  if (t == "fp8" || t == "fp8_e4m3" || t == "fp8_e5m2" || t == "int8") return 1;
  // llama.cpp block types (ggml-common.h): 32 elements per block plus an fp16 scale (and min).
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

double KvLayers::sequence_bytes(int64_t tokens) const {
  const int64_t win_tokens = window > 0 ? std::min(tokens, window) : tokens;
  return bytes_per_token_layer * (static_cast<double>(full) * static_cast<double>(tokens) +
                                  static_cast<double>(windowed) * static_cast<double>(win_tokens));
}

KvLayers kv_layers(const ModelSpec& m, double elem_bytes, int tp, int64_t first_layer, int64_t last_layer,
                   bool with_cross_attention) {
  KvLayers k;
  const int64_t L = std::max<int64_t>(1, m.num_hidden_layers);
  const int64_t n = std::clamp<int64_t>(last_layer, 0, L) - std::clamp<int64_t>(first_layer, 0, L);
  const int64_t cache_layers_total = with_cross_attention ? L : kv_text_layers(m);
  // This stage's share of the cache layers and of the windowed ones (spread evenly: Gemma and
  // gpt-oss interleave them, Llama 4 has 3 chunked layers in every 4).
  const int64_t stage_layers = n * cache_layers_total / L;
  const int64_t windowed_total = std::min(m.num_sliding_layers, cache_layers_total);
  k.windowed = m.sliding_window > 0 ? n * windowed_total / L : 0;
  k.full = std::max<int64_t>(0, stage_layers - k.windowed);
  k.window = k.windowed > 0 ? m.sliding_window : 0;
  k.chunked = k.windowed > 0 && m.family == "llama4";  // model.cpp maps attention_chunk_size here
  k.bytes_per_token_layer = kv_bytes_per_token_per_layer(m, elem_bytes, tp);
  return k;
}

PagedKvGroups vllm_kv_groups(const KvLayers& layers, bool hybrid_allocator) {
  PagedKvGroups g;
  if (!hybrid_allocator || layers.windowed == 0 || layers.full == 0) {
    // One kind of layer (or the hybrid manager off: every layer is treated as full attention).
    g.group_size = layers.total();
    if (hybrid_allocator && layers.full == 0 && layers.windowed > 0)
      g.windowed_groups = 1;
    else
      g.full_groups = 1;
    return g;
  }
  const int64_t lo = std::min(layers.full, layers.windowed), hi = std::max(layers.full, layers.windowed);
  // The smaller count is the group size, unless the two counts are within 25 % of each other
  // (then the larger one, to avoid padding whole groups).
  g.group_size = 4 * hi < 5 * lo ? hi : lo;
  auto groups_of = [&](int64_t n) { return (n + g.group_size - 1) / g.group_size; };
  g.full_groups = groups_of(layers.full);
  g.windowed_groups = groups_of(layers.windowed);
  return g;
}

int64_t vllm_blocks_per_request(const PagedKvGroups& g, const KvLayers& layers, int64_t tokens, int64_t block_size,
                                int64_t max_num_batched_tokens) {
  const int64_t bs = std::max<int64_t>(1, block_size);
  auto cdiv = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  int64_t per_window_group = cdiv(tokens, bs);
  if (layers.window > 0 && layers.chunked) {
    per_window_group = cdiv(std::min(layers.window + max_num_batched_tokens, tokens), bs);
  } else if (layers.window > 0) {
    const int64_t held = std::min(layers.window - 1 + max_num_batched_tokens, tokens);
    per_window_group = cdiv(std::max<int64_t>(1, held), bs) + 1;  // the window may start mid-block
  }
  return g.full_groups * cdiv(tokens, bs) + g.windowed_groups * per_window_group;
}

}  // namespace llmsizer
