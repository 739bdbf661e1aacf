// Config import and parameter counting. Formulas: shared formulas.md §1 (dense decoder §1.2,
// MoE §1.3, MLA §1.3, active-parameter conventions §1.4); per-family module layouts are
// documented in docs/model.md ("Architectures").
#include "llmsizer/model.hpp"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace llmsizer {
namespace {

using Keys = std::initializer_list<std::string_view>;

// Config keys every family may carry that do not change memory or speed: read silently.
constexpr std::string_view kHarmlessKeys[] = {
    "_name_or_path", "architectures", "auto_map", "bos_token_id", "eos_token_id", "pad_token_id",
    "torch_dtype", "dtype", "transformers_version", "rope_theta", "rope_scaling", "rope_parameters",
    "hidden_act", "hidden_activation", "activation_function", "initializer_range", "rms_norm_eps",
    "layer_norm_eps", "layer_norm_epsilon", "layernorm_epsilon", "norm_epsilon", "use_cache",
    "attention_dropout", "hidden_dropout", "resid_pdrop", "embd_pdrop", "attn_pdrop",
    "summary_type", "summary_use_proj", "summary_activation", "summary_proj_to_labels",
    "summary_first_dropout", "task_specific_params", "pretraining_tp", "partial_rotary_factor",
    "rotary_pct", "rotary_dim", "rotary_emb_base", "max_window_layers", "use_sliding_window",
    "quantization_config", "generation_config", "id2label", "label2id", "model_name",
    "tokenizer_class", "query_pre_attn_scalar", "final_logit_softcapping",
    "attn_logit_softcapping", "router_aux_loss_coef", "output_router_logits", "norm_topk_prob",
    "routed_scaling_factor", "scoring_func", "topk_method", "n_group", "topk_group",
    "aux_loss_alpha", "seq_aux", "ep_size", "num_nextn_predict_layers", "scale_attn_weights",
    "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "n_ctx", "use_parallel_residual",
    "parallel_attn", "multi_query", "new_decoder_architecture", "alibi", "learned_pos_emb",
    "max_seq_len", "no_bias", "attn_config", "init_config", "logit_scale", "use_qk_norm",
    "cross_attention_layers", "image_token_index", "vision_config", "text_config",
    "model_type", "kv_channels", "rope_ratio", "seq_length", "original_rope", "apply_residual_connection_post_layernorm",
    "sliding_window_pattern", "cache_implementation", "attention_chunk_size", "no_rope_layers",
    "interleave_moe_layer_step", "attn_temperature_tuning", "floor_scale", "attn_scale",
    "swiglu_limit", "experts_per_token", "num_experts_per_tok", "mm_tokens_per_image",
    "boi_token_index", "eoi_token_index", "image_token_id", "embedding_multiplier",
    "residual_multiplier", "attention_multiplier", "logits_scaling", "use_bias", "qk_layernorm",
    "z_loss_coefficient", "emb_dropout", "output_attentions", "output_hidden_states",
    "return_dict", "is_encoder_decoder", "decoder_start_token_id", "vocab_size_padded",
};

std::optional<int64_t> first_int(Fields& f, Keys keys, int64_t min, int64_t max) {
  for (auto k : keys)
    if (f.has(k)) return f.optional_integer(k, min, max);
  for (auto k : keys) f.raw(k);  // present-but-null keys count as read
  return std::nullopt;
}

int64_t need_int(Fields& f, Keys keys, int64_t min, int64_t max) {
  if (auto v = first_int(f, keys, min, max)) return *v;
  if (!f.failed()) {
    std::string names;
    for (auto k : keys) names += (names.empty() ? "\"" : ", \"") + std::string(k) + "\"";
    f.fail(*keys.begin(), "missing_key",
           "the model config needs " + std::string(*keys.begin()) + " (accepted keys: " + names + ")");
  }
  return 0;
}

bool is_one_of(std::string_view s, Keys set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

// Per-family defaults that config.json leaves implicit (read from each family's modeling code;
// docs/model.md "Architectures" cites them).
struct Family {
  NormKind norm = NormKind::rms;
  int norms_per_layer = 2;
  bool gated_mlp = true;
  bool qkv_bias = false, o_bias = false, mlp_bias = false, lm_head_bias = false;
  bool qk_norm = false;
  bool tied_default = false;
  bool learned_positions = false;
  bool embedding_norm = false;  // BLOOM's word_embeddings_layernorm
};

Family family_of(std::string_view t) {
  Family f;
  if (is_one_of(t, {"qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl", "qwen"})) f.qkv_bias = true;
  if (is_one_of(t, {"qwen3", "qwen3_moe", "gemma3", "gemma3_text", "olmo2"})) f.qk_norm = true;
  if (is_one_of(t, {"gemma", "gemma2", "gemma3", "gemma3_text"})) f.tied_default = true;
  if (is_one_of(t, {"gemma2", "gemma3", "gemma3_text", "glm4"})) f.norms_per_layer = 4;
  if (t == "gpt2" || t == "gpt_bigcode") {
    f = Family{NormKind::layer, 2, false, true, true, true, false, false, true, true, false};
  } else if (t == "gpt_neox") {
    f = Family{NormKind::layer, 2, false, true, true, true, false, false, false, false, false};
  } else if (t == "gptj") {
    f = Family{NormKind::layer, 1, false, false, false, true, true, false, false, false, false};
  } else if (t == "phi") {
    f = Family{NormKind::layer, 1, false, true, true, true, true, false, false, false, false};
  } else if (t == "bloom") {
    f = Family{NormKind::layer, 2, false, true, true, true, false, false, true, false, true};
  } else if (t == "falcon") {
    f = Family{NormKind::layer, 1, false, false, false, false, false, false, true, false, false};
  } else if (t == "starcoder2") {
    f = Family{NormKind::layer, 2, false, true, true, true, false, false, true, false, false};
  } else if (t == "mpt") {
    f = Family{NormKind::layer, 2, false, true, true, true, false, false, true, false, false};
  } else if (t == "cohere" || t == "cohere2") {
    f = Family{NormKind::layer_no_bias, 1, true, false, false, false, false, false, true, false, false};
  } else if (t == "gpt_oss") {
    f.qkv_bias = f.o_bias = true;
  } else if (t == "chatglm" || t == "glm") {
    f.qkv_bias = true;
  }
  return f;
}

std::string normalise_family(std::string_view t) {
  if (t == "gemma3_text") return "gemma3";
  if (t == "llama4_text") return "llama4";
  if (t == "mistral3") return "mistral";
  return std::string(t);
}

}  // namespace

Result<ModelSpec> import_model_config(const Value& config, const std::string& path) {
  if (!config.is_object())
    return Error{"invalid_type", path, "model must be a preset id (a string) or a config.json object"};

  ModelSpec m;
  Fields top(config, path);
  if (const Value* n = top.raw("_name_or_path"); n && n->is_string()) m.id = n->as_string();

  // Multimodal configs keep the language model under text_config (Gemma 3, Llama 4, Mistral 3,
  // Llama 3.2 Vision, Qwen2-VL keeps it at the top level).
  const Value* text = config.find("text_config");
  const bool nested = text && text->is_object();
  Fields f(nested ? *text : config, nested ? path + "/text_config" : path);
  std::string top_type = top.text("model_type", "");
  std::string type = nested ? f.text("model_type", top_type) : top_type;
  if (type.empty()) type = "llama";
  if (type == "mllama") type = "mllama";
  m.model_type = type;
  m.config_model_type = top_type.empty() ? type : top_type;
  m.family = normalise_family(type);
  const Family fam = family_of(m.family == "gemma3" ? "gemma3_text" : m.family);
  const bool chatglm = type == "chatglm" || config.find("multi_query_group_num") ||
                       (config.find("padded_vocab_size") && config.find("num_layers"));

  m.num_hidden_layers = need_int(f, {"num_hidden_layers", "n_layer", "num_layers", "n_layers"}, 1, kMaxLayers);
  m.hidden_size = need_int(f, {"hidden_size", "n_embd", "d_model"}, 1, kMaxHidden);
  m.num_attention_heads = need_int(f, {"num_attention_heads", "n_head", "n_heads", "num_heads"}, 1, kMaxHidden);
  if (f.failed()) return *f.error();

  // KV heads: explicit key, else the family's MQA flags, else MHA.
  auto kv = first_int(f, {"num_key_value_heads", "num_kv_heads", "multi_query_group_num", "n_head_kv"}, 1, kMaxHidden);
  const bool multi_query = f.boolean("multi_query", false);
  const bool falcon_new = f.boolean("new_decoder_architecture", false);
  if (chatglm && !f.boolean("multi_query_attention", true)) kv = m.num_attention_heads;
  m.num_key_value_heads = kv ? *kv : (multi_query ? 1 : m.num_attention_heads);
  if (type == "falcon" && !falcon_new && !kv) m.num_key_value_heads = multi_query ? 1 : m.num_attention_heads;
  if (m.num_attention_heads % m.num_key_value_heads != 0)
    f.fail("num_key_value_heads", "inconsistent_config",
           "num_attention_heads (" + std::to_string(m.num_attention_heads) +
               ") must be a multiple of num_key_value_heads (" + std::to_string(m.num_key_value_heads) + ")");

  auto hd = first_int(f, {"head_dim", "kv_channels", "attention_head_dim"}, 1, 1 << 14);
  if (!hd && m.hidden_size % m.num_attention_heads != 0)
    f.fail("num_attention_heads", "inconsistent_config",
           "hidden_size (" + std::to_string(m.hidden_size) + ") is not divisible by num_attention_heads (" +
               std::to_string(m.num_attention_heads) + "); give head_dim explicitly");
  m.head_dim = hd ? *hd : m.hidden_size / m.num_attention_heads;

  // MLP width. Qwen v1 counts both halves of its gated MLP in intermediate_size; MPT and GPT-2
  // give a ratio or default to 4h; ChatGLM names it ffn_hidden_size.
  auto inter = first_int(f, {"intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim"}, 1, 1 << 22);
  auto ratio = f.optional_number("expansion_ratio", 0.1, 64);
  if (f.failed()) return *f.error();
  m.intermediate_size = inter ? *inter : ratio ? static_cast<int64_t>(*ratio * m.hidden_size) : 4 * m.hidden_size;
  if (type == "qwen") m.intermediate_size /= 2;

  m.vocab_size = need_int(f, {"vocab_size", "padded_vocab_size", "n_vocab"}, 1, kMaxVocab);
  if (auto v = first_int(f, {"padded_vocab_size"}, 1, kMaxVocab)) m.vocab_size = *v;
  m.max_position_embeddings =
      first_int(f, {"max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length"}, 1, 1LL << 27)
          .value_or(0);

  bool tied_default = fam.tied_default;
  if (type == "falcon" || type == "mpt" || type == "bloom" || type == "gpt2" || type == "gpt_bigcode") tied_default = true;
  m.tie_word_embeddings = f.boolean("tie_word_embeddings", top.boolean("tie_word_embeddings", tied_default));
  m.gated_mlp = fam.gated_mlp;
  m.norm = fam.norm;
  m.norms_per_layer = fam.norms_per_layer;
  if (type == "falcon" && falcon_new) m.norms_per_layer = 2;  // ln_attn + ln_mlp
  if (type == "falcon" && !falcon_new && !f.boolean("parallel_attn", true)) m.norms_per_layer = 2;

  // Biases: explicit keys override the family defaults.
  bool qkv_bias = fam.qkv_bias, o_bias = fam.o_bias, mlp_bias = fam.mlp_bias;
  if (f.has("attention_bias")) qkv_bias = o_bias = f.boolean("attention_bias", false);
  if (f.has("add_qkv_bias")) qkv_bias = f.boolean("add_qkv_bias", qkv_bias);
  if (f.has("add_bias_linear")) o_bias = mlp_bias = f.boolean("add_bias_linear", false);
  if (f.has("mlp_bias")) mlp_bias = f.boolean("mlp_bias", false);
  if (f.has("bias")) qkv_bias = o_bias = mlp_bias = f.boolean("bias", false);  // falcon, internlm2
  if (f.has("use_bias")) qkv_bias = o_bias = mlp_bias = f.boolean("use_bias", true);  // starcoder2
  if (f.has("no_bias")) {                                                      // MPT
    const bool nb = f.boolean("no_bias", false);
    qkv_bias = o_bias = mlp_bias = !nb;
    if (nb) m.norm = NormKind::layer_no_bias;
  }
  bool qk_norm = fam.qk_norm;
  if (type == "cohere" || type == "cohere2") qk_norm = f.boolean("use_qk_norm", false);
  bool mpt_alibi = false;  // MPT keeps alibi inside attn_config
  if (const Value* ac = f.raw("attn_config"); ac && ac->is_object())
    if (const Value* al = ac->find("alibi"); al && al->is_bool()) mpt_alibi = al->as_bool();
  m.alibi = type == "bloom" || mpt_alibi || (type == "mpt" && !f.boolean("learned_pos_emb", true)) ||
            (type == "falcon" && f.boolean("alibi", false)) ||
            (type == "baichuan" && m.num_hidden_layers == 40);  // Baichuan-13B uses ALiBi positions
  const bool learned_positions =
      (fam.learned_positions || (type == "mpt" && f.boolean("learned_pos_emb", true))) && !m.alibi;

  // MoE keys under every family's names.
  auto experts = first_int(f, {"num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"}, 0, kMaxExperts);
  m.num_experts = experts.value_or(0);
  m.num_experts_per_tok = first_int(f, {"num_experts_per_tok", "experts_per_token", "moe_top_k", "top_k"}, 0, kMaxExperts).value_or(0);
  if (m.num_experts > 1 && m.num_experts_per_tok == 0) m.num_experts_per_tok = 2;
  if (m.num_experts_per_tok > m.num_experts && m.num_experts > 0)
    f.fail("num_experts_per_tok", "inconsistent_config", "num_experts_per_tok exceeds the number of experts");
  const int64_t moe_inter = first_int(f, {"moe_intermediate_size"}, 1, 1 << 22).value_or(0);
  const int64_t n_shared = first_int(f, {"n_shared_experts", "num_shared_experts"}, 0, 64).value_or(0);
  const int64_t shared_inter = first_int(f, {"shared_expert_intermediate_size"}, 0, 1 << 22).value_or(0);
  const int64_t first_dense = first_int(f, {"first_k_dense_replace"}, 0, kMaxLayers).value_or(0);
  const int64_t moe_freq = first_int(f, {"moe_layer_freq", "decoder_sparse_step", "interleave_moe_layer_step"}, 1, kMaxLayers).value_or(1);
  std::vector<int64_t> mlp_only;
  if (const Value* v = f.raw("mlp_only_layers"); v && v->is_array())
    for (const auto& x : v->items())
      if (x.is_integer()) mlp_only.push_back(x.as_int());
  const int64_t dense_mlp_inter = first_int(f, {"intermediate_size_mlp"}, 1, 1 << 22).value_or(m.intermediate_size);

  // MLA
  m.kv_lora_rank = first_int(f, {"kv_lora_rank"}, 1, 1 << 16).value_or(0);
  if (m.kv_lora_rank > 0) {
    m.attention = Attention::mla;
    m.q_lora_rank = first_int(f, {"q_lora_rank"}, 1, 1 << 16).value_or(0);
    m.qk_rope_head_dim = first_int(f, {"qk_rope_head_dim"}, 0, 1 << 12).value_or(64);
    m.qk_nope_head_dim = first_int(f, {"qk_nope_head_dim"}, 0, 1 << 12).value_or(128);
    m.v_head_dim = first_int(f, {"v_head_dim"}, 1, 1 << 12).value_or(128);
  }

  // Sliding windows: layer_types when given, else each family's alternation.
  const int64_t L = m.num_hidden_layers;
  auto window = first_int(f, {"sliding_window", "attention_window"}, 0, 1LL << 27);
  auto chunk = first_int(f, {"attention_chunk_size"}, 1, 1LL << 27);
  if (const Value* lt = f.raw("layer_types"); lt && lt->is_array()) {
    for (const auto& x : lt->items())
      if (x.is_string() && x.as_string() != "full_attention") ++m.num_sliding_layers;
  } else if (window && *window > 0) {
    if (m.family == "gemma2") m.num_sliding_layers = (L + 1) / 2;
    else if (m.family == "gemma3") {
      const int64_t pattern = first_int(f, {"sliding_window_pattern"}, 1, kMaxLayers).value_or(6);
      m.num_sliding_layers = L - L / pattern;
    } else if (f.boolean("use_sliding_window", true) && m.family != "qwen2" && m.family != "qwen2_moe") {
      m.num_sliding_layers = L;  // Mistral v0.1: every layer (rolling buffer)
    } else if (f.boolean("use_sliding_window", false)) {
      const int64_t max_window_layers = first_int(f, {"max_window_layers"}, 0, kMaxLayers).value_or(L);
      m.num_sliding_layers = std::max<int64_t>(0, L - max_window_layers);
    }
  }
  if (m.num_sliding_layers > 0) m.sliding_window = window.value_or(0);
  if (chunk && m.family == "llama4") {  // chunked local attention on 3 of every 4 layers (no_rope_layers)
    m.sliding_window = *chunk;
    m.num_sliding_layers = L - L / 4;
  }
  if (m.num_sliding_layers > 0 && m.sliding_window == 0) m.num_sliding_layers = 0;
  if (const Value* cal = f.raw("cross_attention_layers"); cal && cal->is_array())
    m.num_cross_attention_layers = static_cast<int64_t>(cal->items().size());
  if (f.failed()) return *f.error();

  // ---- The tensor list -------------------------------------------------------------------
  const int64_t h = m.hidden_size, V = m.vocab_size, a = m.num_attention_heads,
                akv = m.num_key_value_heads, d = m.head_dim;
  const int64_t norm_vec = m.norm == NormKind::layer ? 2 * h : h;  // LayerNorm: weight + bias
  auto add = [&](Role r, int64_t out, int64_t in, int64_t copies, int64_t first, int64_t last, bool vec = false) {
    if (out <= 0 || in <= 0 || copies <= 0 || (first >= 0 && last <= first)) return;
    m.tensors.push_back(Tensor{r, out, in, copies, static_cast<int32_t>(first), static_cast<int32_t>(last), vec});
  };
  add(Role::embed, V, h, 1, -1, -1);
  if (learned_positions && m.max_position_embeddings > 0) add(Role::pos_embed, m.max_position_embeddings, h, 1, -1, -1);
  if (fam.embedding_norm) add(Role::norm, 1, norm_vec, 1, -1, -1, true);

  // Attention (all layers).
  if (m.attention == Attention::mla) {
    const int64_t qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
    if (m.q_lora_rank > 0) {
      add(Role::attn_q_a, m.q_lora_rank, h, 1, 0, L);
      add(Role::norm, 1, m.q_lora_rank, 1, 0, L, true);
      add(Role::attn_q_b, a * qk, m.q_lora_rank, 1, 0, L);
    } else {
      add(Role::attn_q, a * qk, h, 1, 0, L);
    }
    add(Role::attn_kv_a, m.kv_lora_rank + m.qk_rope_head_dim, h, 1, 0, L);
    add(Role::norm, 1, m.kv_lora_rank, 1, 0, L, true);
    add(Role::attn_kv_b, a * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank, 1, 0, L);
    add(Role::attn_o, h, a * m.v_head_dim, 1, 0, L);
  } else {
    add(Role::attn_q, a * d, h, 1, 0, L);
    add(Role::attn_k, akv * d, h, 1, 0, L);
    add(Role::attn_v, akv * d, h, 1, 0, L);
    add(Role::attn_o, h, a * d, 1, 0, L);
    if (qkv_bias) add(Role::attn_bias, 1, (a + 2 * akv) * d, 1, 0, L, true);
    if (o_bias) add(Role::attn_bias, 1, h, 1, 0, L, true);
    if (qk_norm) add(Role::norm, 1, 2 * d, 1, 0, L, true);
    if (type == "gpt_oss") add(Role::attn_extra, 1, a, 1, 0, L, true);  // attention sinks
    if (m.num_cross_attention_layers > 0)                                  // mllama gates + q/k norms
      add(Role::attn_extra, 1, 2 + 2 * d, 1, 0, m.num_cross_attention_layers, true);
  }
  add(Role::norm, 1, norm_vec, m.norms_per_layer, 0, L, true);

  // MLP: which layers are MoE?
  auto is_moe_layer = [&](int64_t i) {
    if (m.num_experts <= 1) return false;
    if (std::find(mlp_only.begin(), mlp_only.end(), i) != mlp_only.end()) return false;
    if (m.family == "deepseek_v2" || m.family == "deepseek_v3") return i >= first_dense && i % moe_freq == 0;
    return i >= first_dense && (i + 1) % moe_freq == 0;  // Qwen-MoE decoder_sparse_step, Llama 4 interleave
  };
  const int64_t mlp_mats = m.gated_mlp ? 3 : 2;
  auto add_dense_mlp = [&](int64_t inter, int64_t first, int64_t last) {
    if (m.gated_mlp) add(Role::mlp_gate, inter, h, 1, first, last);
    add(Role::mlp_up, inter, h, 1, first, last);
    add(Role::mlp_down, h, inter, 1, first, last);
    if (mlp_bias) add(Role::mlp_bias, 1, (mlp_mats - 1) * inter + h, 1, first, last, true);
  };
  if (m.num_experts <= 1) {
    add_dense_mlp(m.intermediate_size, 0, L);
  } else {
    const int64_t expert_inter = moe_inter > 0 ? moe_inter : m.intermediate_size;
    m.moe_intermediate_size = expert_inter;
    int64_t shared = shared_inter;
    if (shared == 0 && n_shared > 0) shared = n_shared * expert_inter;
    if (shared == 0 && m.family == "llama4") shared = m.intermediate_size;
    m.shared_expert_intermediate_size = shared;
    // Group consecutive layers of the same kind so the tensor list stays short.
    int64_t start = 0;
    for (int64_t i = 1; i <= L; ++i) {
      if (i < L && is_moe_layer(i) == is_moe_layer(start)) continue;
      if (is_moe_layer(start)) {
        m.num_moe_layers += i - start;
        add(Role::router, m.num_experts, h, 1, start, i);
        if (type == "deepseek_v3" || type == "gpt_oss") add(Role::router_bias, 1, m.num_experts, 1, start, i, true);
        add(Role::expert_gate, expert_inter, h, m.num_experts, start, i);
        add(Role::expert_up, expert_inter, h, m.num_experts, start, i);
        add(Role::expert_down, h, expert_inter, m.num_experts, start, i);
        if (type == "gpt_oss") add(Role::expert_bias, 1, 2 * expert_inter + h, m.num_experts, start, i, true);
        if (shared > 0) {
          add(Role::shared_gate, shared, h, 1, start, i);
          add(Role::shared_up, shared, h, 1, start, i);
          add(Role::shared_down, h, shared, 1, start, i);
          if (m.family == "qwen2_moe") add(Role::shared_expert_gate, 1, h, 1, start, i);
        }
      } else {
        add_dense_mlp(m.family == "llama4" ? dense_mlp_inter : m.intermediate_size, start, i);
      }
      start = i;
    }
  }
  add(Role::final_norm, 1, norm_vec, 1, -1, -1, true);
  if (!m.tie_word_embeddings) add(Role::lm_head, V, h, 1, -1, -1);
  if (fam.lm_head_bias) add(Role::lm_head_bias, 1, V, 1, -1, -1, true);

  // Absurd sizes are refused, not computed (every byte figure must stay a finite int64).
  {
    double total = 0;
    for (const auto& t : m.tensors) total += static_cast<double>(t.out_features) * t.in_features * t.copies * t.layers();
    if (total > kMaxParams)
      return Error{"out_of_range", path,
                   "the config describes " + std::to_string(static_cast<long long>(total / 1e12)) +
                       " trillion parameters; llm-sizer refuses models above 100 trillion"};
  }

  // Unknown keys: named, never fatal.
  static const std::vector<std::string_view> harmless = [] {
    std::vector<std::string_view> v(std::begin(kHarmlessKeys), std::end(kHarmlessKeys));
    std::sort(v.begin(), v.end());
    return v;
  }();
  f.accept_present(harmless);
  top.accept_present(harmless);
  f.unknown_keys(m.warnings);
  if (nested) {
    for (const auto& [k, v] : config.members()) top.raw(k);  // vision/projector keys: not ours
  }
  if (m.id.empty())
    if (const Value* n = config.find("_name_or_path"); n && n->is_string()) m.id = n->as_string();
  return m;
}

ParamCounts count_params(const ModelSpec& m) {
  ParamCounts c;
  const int64_t L = m.num_hidden_layers;
  int64_t routed = 0, routed_layers_elems = 0;
  int64_t typical_layer = -1;
  for (const auto& t : m.tensors)
    if (role_is_expert(t.role)) { typical_layer = t.first_layer; break; }
  if (typical_layer < 0) typical_layer = 0;
  for (const auto& t : m.tensors) {
    const int64_t p = t.params();
    c.total += p;
    if (t.role == Role::embed || t.role == Role::pos_embed || t.role == Role::lm_head) c.embedding += p;
    if (role_is_expert(t.role)) {
      routed += p;
      routed_layers_elems += p / t.copies;  // one expert's worth
    }
    const bool in_typical = t.first_layer >= 0 && t.first_layer <= typical_layer && typical_layer < t.last_layer;
    if (!in_typical) continue;
    const int64_t per = t.elements_per_layer();
    switch (t.role) {
      case Role::norm: c.per_layer_norm += per; break;
      case Role::attn_q: case Role::attn_k: case Role::attn_v: case Role::attn_o: case Role::attn_q_a:
      case Role::attn_q_b: case Role::attn_kv_a: case Role::attn_kv_b: case Role::attn_bias:
      case Role::attn_extra: c.per_layer_attention += per; break;
      default: c.per_layer_mlp += per; break;
    }
  }
  (void)L;
  c.non_embedding = c.total - c.embedding;
  // Active per token: all non-expert weights + top-k of the routed experts.
  const int64_t k = m.num_experts > 0 ? m.num_experts_per_tok : 0;
  c.active = m.num_experts > 1 ? c.total - routed + routed_layers_elems * k : c.total;
  int64_t input_embed = 0;
  for (const auto& t : m.tensors)
    if (t.role == Role::embed) input_embed = t.params();
  c.active_compute = c.active - (m.tie_word_embeddings ? 0 : input_embed);
  return c;
}

const char* role_name(Role r) {
  switch (r) {
    case Role::embed: return "embed_tokens";
    case Role::pos_embed: return "embed_positions";
    case Role::lm_head: return "lm_head";
    case Role::lm_head_bias: return "lm_head.bias";
    case Role::final_norm: return "norm";
    case Role::norm: return "layernorm";
    case Role::attn_q: return "q_proj";
    case Role::attn_k: return "k_proj";
    case Role::attn_v: return "v_proj";
    case Role::attn_o: return "o_proj";
    case Role::attn_q_a: return "q_a_proj";
    case Role::attn_q_b: return "q_b_proj";
    case Role::attn_kv_a: return "kv_a_proj_with_mqa";
    case Role::attn_kv_b: return "kv_b_proj";
    case Role::attn_bias: return "attention.bias";
    case Role::attn_extra: return "attention.extra";
    case Role::mlp_gate: return "gate_proj";
    case Role::mlp_up: return "up_proj";
    case Role::mlp_down: return "down_proj";
    case Role::mlp_bias: return "mlp.bias";
    case Role::expert_gate: return "experts.gate_proj";
    case Role::expert_up: return "experts.up_proj";
    case Role::expert_down: return "experts.down_proj";
    case Role::expert_bias: return "experts.bias";
    case Role::shared_gate: return "shared_expert.gate_proj";
    case Role::shared_up: return "shared_expert.up_proj";
    case Role::shared_down: return "shared_expert.down_proj";
    case Role::shared_expert_gate: return "shared_expert_gate";
    case Role::router: return "router";
    case Role::router_bias: return "router.bias";
  }
  return "?";
}

bool role_is_linear(Role r) {
  switch (r) {
    case Role::attn_q: case Role::attn_k: case Role::attn_v: case Role::attn_o: case Role::attn_q_a:
    case Role::attn_q_b: case Role::attn_kv_a: case Role::attn_kv_b: case Role::mlp_gate:
    case Role::mlp_up: case Role::mlp_down: case Role::expert_gate: case Role::expert_up:
    case Role::expert_down: case Role::shared_gate: case Role::shared_up: case Role::shared_down:
      return true;
    default: return false;
  }
}

bool role_is_expert(Role r) {
  return r == Role::expert_gate || r == Role::expert_up || r == Role::expert_down || r == Role::expert_bias;
}

}  // namespace llmsizer
