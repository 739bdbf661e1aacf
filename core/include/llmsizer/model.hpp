// The resolved architecture of a decoder-only LLM, imported from a Hugging Face config.json
// object, and the list of its weight tensors. Everything that depends on the architecture
// (parameter counts, weight bytes per format, KV cache, activations, FLOPs) reads ModelSpec and
// the tensor list, never the raw config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmsizer/fields.hpp"
#include "llmsizer/result.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer {

enum class NormKind : uint8_t { rms, layer, layer_no_bias };
enum class Attention : uint8_t { standard, mla };

// What each weight tensor does; quantization rules, LoRA targets and TP sharding key on it.
enum class Role : uint8_t {
  embed, pos_embed, lm_head, lm_head_bias, final_norm, norm,
  attn_q, attn_k, attn_v, attn_o, attn_q_a, attn_q_b, attn_kv_a, attn_kv_b, attn_bias, attn_extra,
  mlp_gate, mlp_up, mlp_down, mlp_bias,
  expert_gate, expert_up, expert_down, expert_bias,
  shared_gate, shared_up, shared_down, shared_expert_gate,
  router, router_bias,
};
const char* role_name(Role r);
bool role_is_linear(Role r);      // a 2-D nn.Linear weight (what LoRA, GPTQ, AWQ, bnb replace)
bool role_is_expert(Role r);      // routed-expert weights (all experts count for memory)

// One kind of weight tensor: `copies` instances (e.g. routed experts) in each of the layers
// [first_layer, last_layer), or one model-level tensor when first_layer < 0.
struct Tensor {
  Role role;
  int64_t out_features;  // rows; 1 for a vector
  int64_t in_features;   // columns; the element count for a vector
  int64_t copies = 1;
  int32_t first_layer = -1;
  int32_t last_layer = -1;
  bool vector = false;   // 1-D (norm weights, biases, scalars): never quantized

  int64_t layers() const { return first_layer < 0 ? 1 : last_layer - first_layer; }
  int64_t elements_per_layer() const { return out_features * in_features * copies; }
  int64_t params() const { return elements_per_layer() * layers(); }
};

struct ModelSpec {
  std::string id;          // preset id or config "_name_or_path"; "" when unnamed
  std::string model_type;  // the config's model_type (text model's, for multimodal configs)
  std::string config_model_type;  // the config's top-level model_type (a multimodal wrapper's own)
  std::string family;      // normalised family word used for defaults ("llama", "qwen2", …)

  int64_t num_hidden_layers = 0;
  int64_t hidden_size = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t intermediate_size = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool gated_mlp = true;
  NormKind norm = NormKind::rms;
  int norms_per_layer = 2;

  // MoE (0 = dense)
  int64_t num_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t moe_intermediate_size = 0;
  int64_t shared_expert_intermediate_size = 0;  // total width of the shared expert(s)
  int64_t num_moe_layers = 0;

  // Attention variants
  Attention attention = Attention::standard;
  int64_t kv_lora_rank = 0, q_lora_rank = 0, qk_rope_head_dim = 0, qk_nope_head_dim = 0,
          v_head_dim = 0;
  int64_t sliding_window = 0;       // tokens; 0 = none
  int64_t num_sliding_layers = 0;   // layers that attend only within sliding_window
  int64_t num_cross_attention_layers = 0;  // mllama: layers whose KV comes from image tokens
  bool alibi = false;

  std::vector<Tensor> tensors;
  std::vector<std::string> warnings;
};

struct ParamCounts {
  int64_t total = 0;
  int64_t embedding = 0;          // input embedding (+ learned positions) + untied lm_head
  int64_t non_embedding = 0;
  int64_t active = 0;             // per token, including the input embedding (Mixtral convention)
  int64_t active_compute = 0;     // per token, excluding the input embedding (no FLOPs in a lookup)
  int64_t per_layer_attention = 0;  // of a typical (first MoE, else first) layer
  int64_t per_layer_mlp = 0;
  int64_t per_layer_norm = 0;
};

// Imports a config.json object. `path` is the JSON pointer of the object in the request.
Result<ModelSpec> import_model_config(const Value& config, const std::string& path);
ParamCounts count_params(const ModelSpec& m);

// Largest accepted dimension values: anything larger is refused as absurd rather than computed.
inline constexpr int64_t kMaxLayers = 1024;
inline constexpr int64_t kMaxHidden = 1 << 17;
inline constexpr int64_t kMaxVocab = 1 << 23;
inline constexpr int64_t kMaxExperts = 4096;
inline constexpr double kMaxParams = 1e14;  // 100 trillion: ~50× the largest published model

}  // namespace llmsizer
