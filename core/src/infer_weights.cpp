// Weights as the inference frameworks allocate them on one GPU: the format's tensor bytes
// (weights.cpp) sharded by TP and split into pipeline stages, plus what the frameworks add —
// vocab padding, caching-allocator block rounding, rotary caches, MLA re-layouts, MXFP4 kernel
// padding, the vision tower of multimodal checkpoints and multi-LoRA slots.
// Sources and the cases behind each rule: docs/model/inference.md "Weights as loaded".
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <tuple>

#include "infer_common.hpp"
#include "llmsizer/catalog.hpp"

namespace llmsizer::infer {
namespace {

// vLLM pads the vocab-parallel embedding and LM head to a multiple of 64 rows
// (layers/vocab_parallel_embedding.py: DEFAULT_VOCAB_PADDING_SIZE = 64); SGLang inherits it.
constexpr int64_t kVocabPadding = 64;

int64_t round_up(int64_t x, int64_t m) { return m <= 1 ? x : (x + m - 1) / m * m; }

const Value* member(const Value* obj, std::string_view key) {
  if (!obj || !obj->is_object()) return nullptr;
  const Value* v = obj->find(key);
  return v && !v->is_null() ? v : nullptr;
}

// A key of the config, looked up at the top level and in text_config (multimodal wrappers).
const Value* config_key(const Value* cfg, std::string_view key) {
  if (const Value* v = member(cfg, key)) return v;
  return member(member(cfg, "text_config"), key);
}

double number_or(const Value* v, double fallback) { return v && v->is_number() ? v->as_double() : fallback; }


// Parameters of a ViT-style vision tower and its projector from a vision_config:
// layers · (4h² + 4h attention, 2·h·I + I + h MLP — 3·h·I + 2I + h when the MLP is gated
// (hidden_act silu: Qwen2.5-VL, Pixtral) — 4h for two norms) + patch embedding
// (C·p²·h [· temporal_patch_size] + h) + learned positions ((image/patch)²·h, or
// num_position_embeddings·h) + a projector.
// The width is `embed_dim` where a config has it (Qwen2-VL, whose vision `hidden_size` is the
// language model's width) and the MLP width `mlp_ratio`·h where no intermediate_size is given.
// Qwen-VL towers (a `spatial_merge_size` key; transformers modeling_qwen2_vl.py PatchMerger,
// modeling_qwen2_5_vl.py, modeling_qwen3_vl.py) project through a merger MLP
// (h·m²)² + (h·m²)·out, one per deepstack index besides the final one; other towers through one
// h_v × h_text linear.
// Mllama's tower (transformers modeling_mllama.py, MllamaVisionModel) adds a second, gated
// encoder of num_global_layers layers and tile position embeddings: one
// [max_num_tiles · (patches + 1) · h] row per aspect-ratio id (supported ratios + 1) and two
// [max_num_tiles · h] aspect-ratio embeddings of the same row count.
// Returns 0 without a tower, −1 for sizes out of range.
// A vision tower above 1 T parameters is a typo, not a model (the largest released are ~6 B).
constexpr double kVisionParamsLimit = 1e12;

int64_t vision_tower_params(const Value& vc, int64_t text_hidden) {
  const double h = number_or(member(&vc, "embed_dim"), number_or(member(&vc, "hidden_size"), 0));
  const double I = number_or(member(&vc, "intermediate_size"), number_or(member(&vc, "mlp_ratio"), 4) * h);
  const double layers = number_or(member(&vc, "num_hidden_layers"), number_or(member(&vc, "depth"), 0)) +
                        number_or(member(&vc, "num_global_layers"), 0);
  if (h < 0 || layers < 0) return -1;
  if (h == 0 || layers == 0) return 0;
  const Value* act = member(&vc, "hidden_act");
  const bool gated = act && act->is_string() && (act->as_string() == "silu" || act->as_string() == "swiglu");
  const double p = number_or(member(&vc, "patch_size"), 14);
  if (!(p >= 1) || !(I >= 0) || !std::isfinite(h * I * layers)) return -1;
  const double channels = number_or(member(&vc, "num_channels"), number_or(member(&vc, "in_chans"), number_or(member(&vc, "in_channels"), 3)));
  const double temporal = number_or(member(&vc, "temporal_patch_size"), 1);
  const double image = number_or(member(&vc, "image_size"), 0);
  const double mlp = gated ? 3 * h * I + 2 * I + h : 2 * h * I + I + h;
  const double per_layer = 4 * h * h + 4 * h + mlp + 4 * h;
  const double patches = image > 0 ? std::pow(std::floor(image / p), 2) : 0;
  const double positions = number_or(member(&vc, "num_position_embeddings"), patches) * h;
  double tiles = 0;
  if (const double max_tiles = number_or(member(&vc, "max_num_tiles"), 0); max_tiles > 0) {
    const Value* ratios = member(&vc, "supported_aspect_ratios");
    const double ids = (ratios && ratios->is_array() ? static_cast<double>(ratios->items().size()) : 8.0) + 1;
    tiles = ids * max_tiles * (patches + 1) * h + 2 * ids * max_tiles * h;
  }
  double projector = 0;
  if (const double merge = number_or(member(&vc, "spatial_merge_size"), 0); merge > 0) {
    // Qwen2-VL names the output width hidden_size (and the tower width embed_dim).
    const double out = number_or(member(&vc, "out_hidden_size"),
                                 member(&vc, "embed_dim") ? number_or(member(&vc, "hidden_size"), static_cast<double>(text_hidden))
                                                          : static_cast<double>(text_hidden));
    const double wide = h * merge * merge;
    const Value* deepstack = member(&vc, "deepstack_visual_indexes");
    const double mergers = 1 + (deepstack && deepstack->is_array() ? static_cast<double>(deepstack->items().size()) : 0);
    projector = mergers * (wide * wide + wide + wide * out + out + 2 * wide);
  } else {
    const double out = number_or(member(&vc, "vision_output_dim"), number_or(member(&vc, "output_dim"), h));
    projector = out * static_cast<double>(text_hidden);
  }
  const double total = layers * per_layer + channels * temporal * p * p * h + h + positions + tiles + 2 * h + projector;
  // Hostile sizes (1e300 layers, 0-px patches, negative widths) return −1: resolve_common refuses
  // the request at /model/vision_config.
  return std::isfinite(total) && total >= 0 && total <= kVisionParamsLimit ? to_int64(total) : -1;
}

// The vision_config a model class fills in when the config has none (transformers
// configuration_mllama.py: MllamaConfig uses MllamaVisionConfig() — "vision_config is None,
// using default mllama vision config"). Only classes whose default is the released checkpoint's
// tower are listed.
const Value* default_vision_config(const std::string& model_type) {
  if (model_type != "mllama") return nullptr;
  static const Value mllama = Value::object({{"hidden_size", 1280},
                                             {"intermediate_size", 5120},
                                             {"num_hidden_layers", 32},
                                             {"num_global_layers", 8},
                                             {"num_channels", 3},
                                             {"image_size", 448},
                                             {"patch_size", 14},
                                             {"max_num_tiles", 4},
                                             {"vision_output_dim", 7680}});
  return &mllama;
}

}  // namespace

std::optional<Common::VisionTower> vision_tower(const Common& c, const Value* model_json) {
  const ModelSpec& m = c.model;
  const ModelPreset* preset = m.id.empty() ? nullptr : find_model(m.id);
  const Value* cfg = model_json && model_json->is_object() ? model_json : preset ? &preset->config : nullptr;
  const Value* fallback = preset ? &preset->config : nullptr;
  Common::VisionTower t;
  if (const Value* vc = member(cfg, "vision_config"); vc && vc->is_object()) {
    t.params = vision_tower_params(*vc, m.hidden_size);
  } else if (const Value* vf = member(fallback, "vision_config"); vf && vf->is_object() && fallback != cfg) {
    t.params = vision_tower_params(*vf, m.hidden_size);
    t.from = "preset";
  } else if (const Value* dv = default_vision_config(m.model_type)) {
    t.params = vision_tower_params(*dv, m.hidden_size);
    t.from = "the model class's default (transformers MllamaVisionConfig)";
  }
  if (t.params < 0) return std::nullopt;
  return t;
}

ModelInfo model_info(const Common& c, const Value* model_json) {
  ModelInfo mi;
  const ModelSpec& m = c.model;
  mi.spec = &c.model;
  const Value* cfg = nullptr;
  const ModelPreset* preset = m.id.empty() ? nullptr : find_model(m.id);
  if (model_json && model_json->is_object())
    cfg = model_json;
  else if (preset)
    cfg = &preset->config;
  const Value* fallback = preset ? &preset->config : nullptr;
  auto key = [&](std::string_view k) -> const Value* {
    if (const Value* v = config_key(cfg, k)) return v;
    if (const Value* v = config_key(fallback, k); v && fallback != cfg) {
      if (mi.notes.find(std::string(k)) == std::string::npos)
        mi.notes += (mi.notes.empty() ? "" : ", ") + std::string(k);
      return v;
    }
    return nullptr;
  };

  mi.max_position = m.max_position_embeddings;
  if (mi.max_position <= 0) mi.max_position = to_int64(number_or(key("max_position_embeddings"), 0));

  // Rotary cos/sin caches (layers/rotary_embedding.py): one [positions, rotary_dim] buffer per
  // distinct rope, in the model dtype. Linear and dynamic-NTK scaling cache max_position·factor
  // positions, YaRN original·factor, Phi-3 longrope original + max; Gemma 3 keeps a second,
  // unscaled cache for its local layers.
  const bool learned_positions =
      std::any_of(m.tensors.begin(), m.tensors.end(), [](const Tensor& t) { return t.role == Role::pos_embed; });
  if (!m.alibi && !learned_positions) {
    double factor = number_or(key("partial_rotary_factor"), number_or(key("rotary_pct"), 1.0));
    mi.rotary_dim =
        m.attention == Attention::mla ? m.qk_rope_head_dim : to_int64(std::llround(m.head_dim * factor));
    if (const Value* rd = key("rotary_dim"); rd && rd->is_number()) mi.rotary_dim = rd->as_int();
    const double base_positions = static_cast<double>(mi.max_position);
    double positions = base_positions;
    const Value* rs = key("rope_scaling");
    if (!rs) rs = key("rope_parameters");
    if (rs && rs->is_object()) {
      std::string type;
      if (const Value* t = member(rs, "rope_type"); t && t->is_string())
        type = ascii_lower(t->as_string());
      else if (const Value* t2 = member(rs, "type"); t2 && t2->is_string())
        type = ascii_lower(t2->as_string());
      const double f = number_or(member(rs, "factor"), 1.0);
      const double original = number_or(member(rs, "original_max_position_embeddings"), base_positions);
      if (type == "linear" || type == "dynamic")
        positions = base_positions * f;
      else if (type == "yarn" || type == "deepseek_yarn")
        positions = original * f;
      else if (type == "longrope" || type == "su")
        positions = base_positions + original;
    }
    mi.rope_caches = 1;
    mi.rope_cache_positions = positions;
    if (m.model_type == "gemma3" || m.model_type == "gemma3_text") {
      mi.rope_caches = 2;
      mi.rope_cache_positions = positions + base_positions;
    }
  }

  mi.vision_params = c.vision.params;
  if (c.vision.from == "preset") mi.notes += std::string(mi.notes.empty() ? "" : ", ") + "vision_config";
  else if (!c.vision.from.empty()) mi.vision_source = c.vision.from;
  mi.multimodal = mi.vision_params > 0 || m.num_cross_attention_layers > 0;
  return mi;
}

std::vector<Stage> pipeline_stages(int64_t num_layers, int pp) {
  const int stages = std::max(1, pp);
  std::vector<int64_t> sizes(static_cast<size_t>(stages), num_layers / stages);
  const int64_t remaining = num_layers % stages;
  for (int64_t i = 2; i < remaining + 2; ++i) sizes[static_cast<size_t>(stages - i)] += 1;
  std::vector<Stage> out;
  int64_t start = 0;
  for (int s = 0; s < stages; ++s) {
    out.push_back(Stage{start, start + sizes[static_cast<size_t>(s)], s == 0, s == stages - 1});
    start += sizes[static_cast<size_t>(s)];
  }
  return out;
}

double allocator_rounding(double bytes, bool max_split_20mib) {
  constexpr double kMinLargeAlloc = 10 * kMiB, kRoundLarge = 2 * kMiB, kSmallSize = 1 * kMiB;
  if (bytes <= kMinLargeAlloc) return 0;  // carved from shared 2 / 20 MiB segments
  const double segment = std::ceil(bytes / kRoundLarge) * kRoundLarge;
  const double remainder = segment - bytes;
  if (max_split_20mib && bytes >= 20 * kMiB) return remainder;  // oversize blocks are never split
  return remainder <= kSmallSize ? remainder : 0;
}

Value StageWeights::values() const {
  Value v = Value::object({{"tensor_bytes", tensors}});
  if (allocator_rounding > 0) v.set("allocator_rounding_bytes", allocator_rounding);
  if (rope_cache > 0) v.set("rope_cache_bytes", rope_cache);
  if (relayout > 0) v.set("mla_relayout_bytes", relayout);
  if (kernel_padding > 0) v.set("kernel_padding_bytes", kernel_padding);
  if (vision > 0) v.set("vision_tower_bytes", vision);
  if (vision > 0 && !vision_source.empty()) v.set("vision_config", vision_source);
  if (lora > 0) v.set("lora_slot_bytes", lora);
  return v;
}

StageWeights stage_weights(const ModelInfo& mi, const Job& j, Loader loader, const Stage& s) {
  const ModelSpec& m = *mi.spec;
  const WeightFormat& fmt = j.format;
  const int tp = std::max(1, j.tp);
  const int64_t L = m.num_hidden_layers;
  const bool engine = loader == Loader::vllm || loader == Loader::sglang;
  const bool fused = loader != Loader::transformers;  // qkv and gate_up are one tensor in servers
  const bool torch_alloc = loader != Loader::trtllm;  // TensorRT engines allocate their own way
  const bool max_split = loader == Loader::vllm && j.version.at_least(0, 21);
  const bool mxfp4_padding = engine && fmt.kind == FormatKind::mxfp4;
  const int unq_bytes = fmt.kind == FormatKind::fp32 ? 4 : j.dtype_bytes;
  StageWeights w;

  // Bytes of the main data buffer of one element (scales and zeros are separate small buffers).
  auto main_bytes_per_element = [&](const Tensor& t) {
    if (!is_quantized(t, fmt)) return static_cast<double>(unq_bytes);
    switch (fmt.kind) {
      case FormatKind::fp8:
      case FormatKind::int8:
      case FormatKind::bnb_int8:
        return 1.0;
      case FormatKind::mxfp4:
      case FormatKind::nvfp4:
      case FormatKind::int4:
      case FormatKind::bnb_nf4:
      case FormatKind::bnb_fp4:
        return 0.5;
      case FormatKind::gguf:
        return tensor_bytes(t, fmt, j.dtype_bytes, L) / static_cast<double>(t.params());
      default:
        return fmt.bits / 8.0;
    }
  };
  // Which allocation a tensor lands in: serving engines fuse q/k/v and gate/up, and stack all
  // experts of a layer into w13 / w2 (FusedMoE).
  auto fuse_key = [&](Role r) -> int {
    if (!fused) return -1;
    switch (r) {
      case Role::attn_q:
      case Role::attn_k:
      case Role::attn_v:
        return 1;
      case Role::mlp_gate:
      case Role::mlp_up:
        return 2;
      case Role::expert_gate:
      case Role::expert_up:
        return 3;
      case Role::shared_gate:
      case Role::shared_up:
        return 4;
      default:
        return -1;
    }
  };
  std::map<std::tuple<int32_t, int32_t, int>, double> fused_bytes;  // per layer, per fused allocation

  for (const auto& t : m.tensors) {
    const bool model_level = t.first_layer < 0;
    double here = 0;  // layers (or 1 for a model-level tensor) this stage holds
    if (model_level) {
      const bool head = t.role == Role::lm_head || t.role == Role::lm_head_bias || t.role == Role::final_norm;
      here = (head ? s.last : s.first) ? 1 : 0;
      // A tied LM head on a later stage is a separate copy of the embedding there.
      if (t.role == Role::embed && m.tie_word_embeddings && s.last && !s.first) here += 1;
    } else {
      here = static_cast<double>(std::max<int64_t>(
          0, std::min<int64_t>(t.last_layer, s.last_layer) - std::max<int64_t>(t.first_layer, s.first_layer)));
    }
    if (here <= 0) continue;
    double bytes = tensor_bytes(t, fmt, j.dtype_bytes, L) / static_cast<double>(t.layers());
    double rows_scale = 1.0;
    if (engine && (t.role == Role::embed || t.role == Role::lm_head) && m.vocab_size > 0)
      rows_scale = static_cast<double>(round_up(m.vocab_size, kVocabPadding)) / static_cast<double>(m.vocab_size);
    bytes *= rows_scale;
    const bool sharded = tp_sharded(t.role);
    if (sharded) bytes /= tp;
    w.tensors += bytes * here;

    const double elements = static_cast<double>(t.elements_per_layer()) * rows_scale / (sharded ? tp : 1);
    if (is_quantized(t, fmt) && role_is_linear(t.role) && !t.vector)
      w.largest_linear_elements = std::max(w.largest_linear_elements, elements / static_cast<double>(t.copies));

    if (mxfp4_padding && role_is_expert(t.role) && is_quantized(t, fmt)) {
      // vLLM mxfp4.py (mxfp4_round_up_hidden_size_and_intermediate_size, Marlin / SM90 paths):
      // hidden padded to a multiple of 256, the per-GPU intermediate to a multiple of 128.
      const bool down = t.role == Role::expert_down;
      const double inter = static_cast<double>(down ? t.in_features : t.out_features) / tp;
      const double hid = static_cast<double>(down ? t.out_features : t.in_features);
      const double grow = static_cast<double>(round_up(to_int64(inter), 128)) *
                              static_cast<double>(round_up(to_int64(hid), 256)) / (inter * hid) -
                          1.0;
      w.kernel_padding += bytes * here * grow;
    }
    if (m.attention == Attention::mla && t.role == Role::attn_kv_b && engine) {
      // W_UK_T and W_UV, re-laid out from kv_b_proj after loading (v1/attention/backends/mla),
      // dequantized to the compute dtype when kv_b_proj is quantized.
      w.relayout += elements * j.dtype_bytes * here;
    }
    if (!torch_alloc || t.vector) continue;
    const double main = elements * main_bytes_per_element(t);
    const int key = fuse_key(t.role);
    if (key >= 0) {
      fused_bytes[{model_level ? -1 : std::max(t.first_layer, static_cast<int32_t>(s.first_layer)),
                   model_level ? -1 : std::min(t.last_layer, static_cast<int32_t>(s.last_layer)), key}] += main;
    } else if (fused && role_is_expert(t.role)) {
      w.allocator_rounding += allocator_rounding(main, max_split) * here;  // all experts: one tensor
    } else {
      const double per_copy = main / static_cast<double>(t.copies);
      w.allocator_rounding += allocator_rounding(per_copy, max_split) * static_cast<double>(t.copies) * here;
    }
  }
  for (const auto& [k, bytes] : fused_bytes) {
    const double layers = std::get<0>(k) < 0 ? 1.0 : static_cast<double>(std::get<1>(k) - std::get<0>(k));
    w.allocator_rounding += allocator_rounding(bytes, max_split) * layers;
  }

  if (engine || loader == Loader::trtllm) {
    // vLLM/SGLang keep the cache in the model dtype; TensorRT-LLM's rotary table is fp32.
    const double elem = loader == Loader::trtllm ? 4.0 : static_cast<double>(j.dtype_bytes);
    w.rope_cache = mi.rope_cache_positions * static_cast<double>(mi.rotary_dim) * elem;
  }
  if (s.first && mi.vision_params > 0 && loader != Loader::trtllm) {
    w.vision = static_cast<double>(mi.vision_params) * j.dtype_bytes / (engine ? tp : 1);
    w.vision_source = mi.vision_source;
  }

  if (loader == Loader::vllm && j.max_loras > 0) {
    // vLLM LoRA layers (lora/layers/*): per slot and layer, lora_a [rank, in] and lora_b
    // [out, rank] for each slice of qkv (3), o, gate_up (2) and down; column-parallel layers
    // shard lora_b's out, row-parallel ones lora_a's in.
    const double h = static_cast<double>(m.hidden_size), d = static_cast<double>(m.head_dim);
    const double q = static_cast<double>(m.num_attention_heads) * d,
                 kv = static_cast<double>(m.num_key_value_heads) * d;
    const double inter = m.num_experts > 1 ? static_cast<double>(m.shared_expert_intermediate_size)
                                           : static_cast<double>(m.intermediate_size);
    const double per_layer = 3 * h + (q + 2 * kv) / tp + q / tp + h + 2 * h + 2 * inter / tp + inter / tp + h;
    w.lora = static_cast<double>(j.max_loras) * static_cast<double>(j.max_lora_rank) * per_layer * j.dtype_bytes *
             static_cast<double>(s.layers());
  }
  return w;
}

}  // namespace llmsizer::infer
