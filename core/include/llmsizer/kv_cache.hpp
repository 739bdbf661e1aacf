// KV-cache sizes (shared formulas.md §5): GQA/MQA heads per GPU under TP, MLA's compressed
// latent, sliding-window and hybrid layer layouts, quantized cache types, and the paged layouts
// of the serving engines (vLLM's block tables and hybrid KV-cache groups).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmsizer/model.hpp"

namespace llmsizer {

// Bytes per cached element for a cache type; `model_dtype_bytes` for "auto". < 0: unknown name.
// llama.cpp block types carry their fp16 scale: q8_0 = 34 B per 32 elements (ggml-common.h).
double kv_element_bytes(std::string_view kv_cache_dtype, int model_dtype_bytes);
const std::vector<std::string_view>& kv_cache_dtype_names();
// A cache dtype as written ("FP8", "float16", "f16") under the name kv_cache_dtype_names() uses;
// unknown names come back lowercased.
std::string canonical_kv_cache_dtype(std::string_view name);

// KV heads held by one GPU: max(1, a_kv / tp) — vLLM replicates KV heads when tp > a_kv.
int64_t kv_heads_per_gpu(const ModelSpec& m, int tp);

// Bytes one token adds to one attention layer's cache on one GPU.
//   standard: 2 · heads_per_gpu · head_dim · elem      MLA: (kv_lora_rank + rope_dim) · elem
double kv_bytes_per_token_per_layer(const ModelSpec& m, double elem_bytes, int tp);

// Layers whose cache grows with the text (cross-attention layers cache image tokens instead).
int64_t kv_text_layers(const ModelSpec& m);

// Bytes of one sequence of `tokens` on one GPU (all layers of this GPU's pipeline stage share
// `layers_fraction`), sliding-window layers capped at their window when `apply_windows`.
double kv_bytes_for_sequence(const ModelSpec& m, int64_t tokens, double elem_bytes, int tp, bool apply_windows,
                             double layers_fraction = 1.0);

// The cache layers one GPU holds, split by kind: full attention, or windowed (sliding window or
// Llama-4 chunked local attention, both bounded by `window` tokens).
struct KvLayers {
  int64_t full = 0;
  int64_t windowed = 0;
  int64_t window = 0;                // tokens; 0 when no layer is windowed
  bool chunked = false;              // Llama 4 chunked local attention rather than a sliding window
  double bytes_per_token_layer = 0;  // one token, one layer, this GPU
  int64_t total() const { return full + windowed; }
  // Bytes per token when every layer keeps every token (what "bytes per token" means to users).
  double bytes_per_token() const { return bytes_per_token_layer * static_cast<double>(total()); }
  // Bytes of one sequence of `tokens`, windowed layers holding at most `window` tokens.
  double sequence_bytes(int64_t tokens) const;
};
// The layers [first_layer, last_layer) of a pipeline stage; windowed layers are spread evenly.
// `with_cross_attention`: count mllama's cross-attention layers as cache layers (vLLM allocates
// their blocks like any decoder layer; HF caches image tokens there instead).
KvLayers kv_layers(const ModelSpec& m, double elem_bytes, int tp, int64_t first_layer, int64_t last_layer,
                   bool with_cross_attention);

// vLLM V1's hybrid KV-cache manager (v1/core/kv_cache_utils.py,
// _get_kv_cache_groups_uniform_page_size): layers of one kind form groups of `group_size`
// layers; each of the `group_size` page tensors is shared by one layer of every group, so
//   num_blocks = available // (page_bytes · group_size),
//   reported tokens = (num_blocks // num_groups) · block_size,
// and one request of L tokens takes cdiv(L, block) blocks in a full-attention group and
// cdiv(min(window − 1 + max_num_batched_tokens, L), block) + 1 in a sliding-window group, and
// cdiv(min(chunk + max_num_batched_tokens, L), block) in a chunked-local group
// (kv_cache_interface.py: SlidingWindowSpec / ChunkedLocalAttentionSpec.max_memory_usage_bytes).
struct PagedKvGroups {
  int64_t group_size = 0;  // layers per group (padded groups count as full)
  int64_t full_groups = 0;
  int64_t windowed_groups = 0;
  int64_t num_groups() const { return full_groups + windowed_groups; }
};
PagedKvGroups vllm_kv_groups(const KvLayers& layers, bool hybrid_allocator);
int64_t vllm_blocks_per_request(const PagedKvGroups& g, const KvLayers& layers, int64_t tokens, int64_t block_size,
                                int64_t max_num_batched_tokens);

}  // namespace llmsizer
