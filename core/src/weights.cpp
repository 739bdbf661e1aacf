// Weight storage per format. Layouts and sources: shared formulas.md §2 (bitsandbytes
// functional.py quantize_4bit / int8_vectorwise_quant, AutoGPTQ qlinear_cuda_old, AutoAWQ
// WQLinear_GEMM, ggml-common.h block sizes, llama-quant.cpp mixes); docs/model.md "Weights".
#include "llmsizer/weights.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "llmsizer/fields.hpp"

namespace llmsizer {
namespace {

// GGUF block layouts: bits per weight from ggml-common.h (bytes per block × 8 / block size).
struct GgufType { std::string_view name; double bpw; int block; };
constexpr GgufType kGgufTypes[] = {
    {"f32", 32, 1}, {"f16", 16, 1}, {"bf16", 16, 1}, {"q8_0", 8.5, 32}, {"q6_k", 6.5625, 256},
    {"q5_k", 5.5, 256}, {"q5_0", 5.5, 32}, {"q5_1", 6.0, 32}, {"q4_k", 4.5, 256}, {"q4_0", 4.5, 32},
    {"q4_1", 5.0, 32}, {"q3_k", 3.4375, 256}, {"q2_k", 2.625, 256}, {"iq4_xs", 4.25, 256},
    {"iq4_nl", 4.5, 32}, {"iq3_xxs", 3.0625, 256}, {"iq3_s", 3.4375, 256}, {"iq2_xxs", 2.0625, 256},
    {"iq2_xs", 2.3125, 256}, {"iq2_s", 2.5625, 256}, {"iq1_s", 1.5625, 256}, {"iq1_m", 1.75, 256},
    {"tq1_0", 1.6875, 256}, {"tq2_0", 2.0625, 256},
    // ik_llama.cpp's K-variant i-quants (block bytes per 256 weights: IQ2_K 76, IQ3_K 110,
    // IQ4_K 144, IQ5_K 176, IQ6_K 212, IQ4_KS 136 + a 4-byte fp32 row scale). Added for the
    // inference calibration cases (issue 6), which include an ik_llama.cpp IQ4_K run.
    {"iq2_k", 2.375, 256}, {"iq3_k", 3.4375, 256}, {"iq4_k", 4.5, 256}, {"iq5_k", 5.5, 256},
    {"iq6_k", 6.625, 256}, {"iq4_ks", 4.25, 256},
};

const GgufType* gguf_type(std::string_view n) {
  for (const auto& t : kGgufTypes)
    if (t.name == n) return &t;
  return nullptr;
}

// A file type ("ftype") → default tensor type plus the _S/_M/_L promotions of
// llama-quant.cpp : llama_tensor_get_type. Only the rules that change sizes materially are
// modelled: output.weight, attn_v and ffn_down on use_more_bits layers, and token_embd.
struct GgufMix { std::string_view ftype; std::string_view base; std::string_view output;
                 std::string_view more_bits; std::string_view attn_v_all; };
constexpr GgufMix kGgufMixes[] = {
    {"q4_0", "q4_0", "q6_k", "", ""},         {"q4_1", "q4_1", "q6_k", "", ""},
    {"q5_0", "q5_0", "q6_k", "", ""},         {"q5_1", "q5_1", "q6_k", "", ""},
    {"q8_0", "q8_0", "q8_0", "", ""},         {"f16", "f16", "f16", "", ""},
    {"bf16", "bf16", "bf16", "", ""},         {"f32", "f32", "f32", "", ""},
    {"q6_k", "q6_k", "q6_k", "", ""},
    {"q4_k_s", "q4_k", "q6_k", "q5_k", ""},  // ffn_down Q5_K on the first n/8 layers (approximated by use_more_bits)
    {"q4_k_m", "q4_k", "q6_k", "q6_k", ""},
    {"q5_k_s", "q5_k", "q6_k", "", ""},       {"q5_k_m", "q5_k", "q6_k", "q6_k", ""},
    {"q3_k_s", "q3_k", "q6_k", "", ""},       {"q3_k_m", "q3_k", "q6_k", "q4_k", "q5_k"},
    {"q3_k_l", "q3_k", "q6_k", "q5_k", "q5_k"},
    {"q2_k", "q2_k", "q6_k", "q3_k", "q4_k"},
    {"iq4_xs", "iq4_xs", "q6_k", "", ""},     {"iq4_nl", "iq4_nl", "q6_k", "", ""},
    {"iq2_xxs", "iq2_xxs", "q6_k", "", ""},   {"iq3_xxs", "iq3_xxs", "q6_k", "", ""},
    // ik_llama.cpp file types named after their base type (issue 6; output rule as for IQ4_XS).
    {"iq2_k", "iq2_k", "q6_k", "", ""},       {"iq3_k", "iq3_k", "q6_k", "", ""},
    {"iq4_k", "iq4_k", "q6_k", "", ""},       {"iq5_k", "iq5_k", "q6_k", "", ""},
    {"iq6_k", "iq6_k", "q6_k", "", ""},       {"iq4_ks", "iq4_ks", "q6_k", "", ""},
};

const GgufMix* gguf_mix(std::string_view n) {
  for (const auto& m : kGgufMixes)
    if (m.ftype == n) return &m;
  return nullptr;
}

// llama-quant.cpp : use_more_bits(i, n)
bool use_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

int64_t more_bits_layers(int64_t first, int64_t last, int64_t n) {
  int64_t c = 0;
  for (int64_t i = first; i < last; ++i) c += use_more_bits(i, n) ? 1 : 0;
  return c;
}

bool quantizable(const Tensor& t, const WeightFormat& f) {
  if (t.vector) return false;
  switch (f.kind) {
    case FormatKind::fp32: case FormatKind::fp16: case FormatKind::bf16: return false;
    case FormatKind::gguf: return t.role != Role::router && t.role != Role::pos_embed;
    case FormatKind::mxfp4: return role_is_expert(t.role);  // gpt-oss: only the MoE experts
    // torchao quantize_(model, int4_weight_only()) replaces every nn.Linear, the LM head too.
    case FormatKind::int4: return role_is_linear(t.role) || t.role == Role::lm_head;
    default: return role_is_linear(t.role);  // nn.Linear inside decoder blocks; embed/lm_head stay
  }
}

// Bits per weight of a quantized 2-D tensor with `in` input features and `out` outputs.
double bits_per_weight(const WeightFormat& f, int64_t in, int64_t out) {
  switch (f.kind) {
    case FormatKind::fp8: return 8.0 + 32.0 / static_cast<double>(in);  // fp32 per-channel scale
    case FormatKind::int8: return 8.0 + 32.0 / static_cast<double>(in);
    case FormatKind::bnb_int8: return 8.0 + 32.0 / static_cast<double>(in);  // SCB: fp32 per row
    case FormatKind::bnb_nf4: case FormatKind::bnb_fp4:
      return f.double_quant ? 4.0 + 8.0 / 64 + 32.0 / (64 * 256) : 4.0 + 32.0 / 64;
    case FormatKind::gptq: case FormatKind::awq: {
      const double g = f.group_size > 0 ? f.group_size : static_cast<double>(in);
      double bpw = f.bits + 16.0 / g + f.bits / g;  // fp16 scale + packed zero per group
      if (f.kind == FormatKind::gptq) bpw += 32.0 / static_cast<double>(out);  // g_idx int32 per input row
      return bpw;
    }
    case FormatKind::mxfp4: return 4.0 + 8.0 / 32;
    // NVFP4 (ModelOpt / TensorRT-LLM): an E4M3 scale per 16 elements (+ one fp32 scale per tensor).
    case FormatKind::nvfp4: return 4.0 + 8.0 / 16;
    // torchao int4_weight_only: scales_and_zeros in bf16, one pair per group of `group_size` inputs.
    case FormatKind::int4: return 4.0 + 32.0 / (f.group_size > 0 ? f.group_size : 128);
    default: return 16;
  }
}

}  // namespace

bool is_quantized(const Tensor& t, const WeightFormat& fmt) {
  return quantizable(t, fmt) && fmt.kind != FormatKind::fp32 && fmt.kind != FormatKind::fp16 &&
         fmt.kind != FormatKind::bf16;
}

bool tp_sharded(Role r) {
  return role_is_linear(r) || r == Role::embed || r == Role::lm_head || r == Role::attn_bias ||
         r == Role::mlp_bias || r == Role::expert_bias || r == Role::lm_head_bias;
}

const std::vector<std::string_view>& weight_format_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n = {"none", "fp8", "int8", "gptq-int4", "gptq-int8", "gptq-int3",
                                       "gptq-int2", "awq-int4", "bnb-int8", "bnb-nf4", "bnb-nf4-dq",
                                       "bnb-fp4", "bnb-fp4-dq", "mxfp4", "nvfp4", "int4"};
    static std::vector<std::string> gguf;
    for (const auto& m : kGgufMixes) gguf.push_back("gguf-" + std::string(m.ftype));
    for (const auto& g : gguf) n.push_back(g);
    return n;
  }();
  return names;
}

namespace {

// Names the ecosystem uses for the same storage layouts, lowercased: llm-compressor /
// compressed-tensors schemes (W4A16 = GPTQ-style int4 groups of 128, W8A8 = int8 per channel,
// FP8 dynamic/static/block = fp8 weights), SmoothQuant (int8 W8A8), bare "awq"/"gptq" (4 bit), bnb
// nicknames, and llama.cpp's own aliases (quantize: "Q4_K" is Q4_K_M, "Q5_K" is Q5_K_M).
std::string canonical_format(std::string_view name) {
  const std::string s = ascii_lower(name);
  static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
      {"awq", "awq-int4"},       {"gptq", "gptq-int4"},     {"w4a16", "gptq-int4"},   {"w8a16", "int8"},
      {"w8a8-int8", "int8"},     {"int8-w8a8", "int8"},     {"smoothquant", "int8"},  {"w8a8-fp8", "fp8"},
      {"fp8-dynamic", "fp8"},    {"fp8_dynamic", "fp8"},    {"fp8-static", "fp8"},    {"fp8-block", "fp8"},
      {"nf4", "bnb-nf4"},        {"llm.int8", "bnb-int8"},  {"bnb-8bit", "bnb-int8"}, {"gguf-q4_k", "gguf-q4_k_m"},
      {"gguf-q5_k", "gguf-q5_k_m"}, {"bf16", "none"},       {"fp16", "none"},         {"float16", "none"},
      {"bfloat16", "none"},
  };
  for (const auto& [alias, canonical] : kAliases)
    if (s == alias) return std::string(canonical);
  return s;
}

}  // namespace

bool parse_weight_format(std::string_view requested, WeightFormat& out) {
  const std::string canonical = canonical_format(requested);
  const std::string_view name = canonical;
  out = WeightFormat{};
  out.name = canonical;
  if (name == "none" || name.empty()) { out.kind = FormatKind::bf16; return true; }
  if (name == "fp8") { out.kind = FormatKind::fp8; out.bits = 8; return true; }
  if (name == "int8" || name == "w8a8") { out.kind = FormatKind::int8; out.bits = 8; return true; }
  if (name == "bnb-int8") { out.kind = FormatKind::bnb_int8; out.bits = 8; return true; }
  if (name == "mxfp4") { out.kind = FormatKind::mxfp4; out.bits = 4; return true; }
  if (name == "nvfp4") { out.kind = FormatKind::nvfp4; out.bits = 4; out.group_size = 16; return true; }
  if (name == "int4") { out.kind = FormatKind::int4; out.bits = 4; out.group_size = 128; return true; }
  if (name.starts_with("bnb-nf4") || name.starts_with("bnb-fp4")) {
    out.kind = name.starts_with("bnb-nf4") ? FormatKind::bnb_nf4 : FormatKind::bnb_fp4;
    out.bits = 4;
    out.double_quant = name.ends_with("-dq");
    return name.size() == 7 || name.ends_with("-dq");
  }
  for (auto [prefix, kind] : {std::pair{std::string_view("gptq-int"), FormatKind::gptq},
                              std::pair{std::string_view("awq-int"), FormatKind::awq}}) {
    if (name.starts_with(prefix) && name.size() == prefix.size() + 1) {
      const int bits = name.back() - '0';
      if (bits < 2 || bits > 8) return false;
      out.kind = kind;
      out.bits = bits;
      return true;
    }
  }
  if (name.starts_with("gguf-")) {
    const auto t = name.substr(5);
    if (!gguf_mix(t)) return false;
    out.kind = FormatKind::gguf;
    out.gguf_type = std::string(t);
    out.bits = static_cast<int>(gguf_type(gguf_mix(t)->base)->bpw);
    return true;
  }
  return false;
}

double tensor_bytes(const Tensor& t, const WeightFormat& fmt, int dtype_bytes, int64_t num_layers) {
  const double elems = static_cast<double>(t.params());
  if (fmt.kind == FormatKind::fp32) return elems * 4;
  if (!quantizable(t, fmt)) {
    // GGUF keeps 1-D tensors in F32; everything else left unquantized is in the compute dtype.
    return elems * (fmt.kind == FormatKind::gguf && t.vector ? 4 : dtype_bytes);
  }
  if (fmt.kind != FormatKind::gguf) return elems * bits_per_weight(fmt, t.in_features, t.out_features) / 8;

  const GgufMix& mix = *gguf_mix(fmt.gguf_type);
  auto bpw = [](std::string_view type) { return gguf_type(type)->bpw; };
  // Rows that are not a multiple of the block fall back (llama.cpp uses q8_0 / f16 there).
  const bool fits_k = t.in_features % 256 == 0;
  auto block_ok = [&](std::string_view type) {
    return gguf_type(type)->block == 1 || t.in_features % gguf_type(type)->block == 0;
  };
  auto type_bpw = [&](std::string_view type) { return block_ok(type) ? bpw(type) : (fits_k ? bpw(type) : 8.5); };
  const bool is_output = t.role == Role::lm_head || (t.role == Role::embed && num_layers >= 0 && false);
  if (t.role == Role::lm_head) return elems * type_bpw(mix.output) / 8;
  if (t.role == Role::embed) return elems * type_bpw(mix.base) / 8;
  (void)is_output;
  const bool v_or_down = t.role == Role::attn_v || t.role == Role::mlp_down || t.role == Role::expert_down ||
                         t.role == Role::shared_down;
  if (v_or_down && !mix.more_bits.empty()) {
    const int64_t n = num_layers;
    const int64_t more = more_bits_layers(t.first_layer, t.last_layer, n);
    const double per_layer = static_cast<double>(t.elements_per_layer());
    std::string_view promoted = mix.more_bits;
    if (t.role == Role::attn_v && !mix.attn_v_all.empty()) {
      return per_layer * (more * type_bpw(promoted) + (t.layers() - more) * type_bpw(mix.attn_v_all)) / 8;
    }
    return per_layer * (more * type_bpw(promoted) + (t.layers() - more) * type_bpw(mix.base)) / 8;
  }
  if (t.role == Role::attn_v && !mix.attn_v_all.empty()) return elems * type_bpw(mix.attn_v_all) / 8;
  return elems * type_bpw(mix.base) / 8;
}

WeightBytes weight_bytes(const ModelSpec& m, const WeightFormat& fmt, int dtype_bytes, int tp, int pp) {
  WeightBytes w;
  const int64_t L = m.num_hidden_layers;
  const int stages = std::max(1, pp);
  // Layers per stage: vLLM/Megatron give the remainder to the first stages.
  const int64_t base = L / stages, extra = L % stages;
  auto stage_of = [&](int64_t layer) {
    int64_t acc = 0;
    for (int s = 0; s < stages; ++s) {
      acc += base + (s < extra ? 1 : 0);
      if (layer < acc) return s;
    }
    return stages - 1;
  };
  std::vector<double> stage_bytes(static_cast<size_t>(stages), 0.0);
  for (const auto& t : m.tensors) {
    const double b = tensor_bytes(t, fmt, dtype_bytes, L);
    w.total += b;
    if (is_quantized(t, fmt)) {
      w.quantized += b;
      w.quantized_params += t.params();
    } else {
      w.unquantized += b;
    }
    // TP: replicated unless a linear or an embedding / LM head (vocab-parallel).
    const double per_tp = tp_sharded(t.role) ? b / std::max(1, tp) : b;
    if (t.first_layer < 0) {
      const bool head = t.role == Role::lm_head || t.role == Role::lm_head_bias || t.role == Role::final_norm;
      stage_bytes[head ? stages - 1 : 0] += per_tp;
      continue;
    }
    const double per_layer = per_tp / static_cast<double>(t.layers());
    for (int64_t i = t.first_layer; i < t.last_layer; ++i) stage_bytes[stage_of(i)] += per_layer;
  }
  // A tied LM head needs the embedding on the last stage too.
  if (stages > 1 && m.tie_word_embeddings)
    for (const auto& t : m.tensors)
      if (t.role == Role::embed) stage_bytes[stages - 1] += tensor_bytes(t, fmt, dtype_bytes, L) / std::max(1, tp);
  w.per_gpu = *std::max_element(stage_bytes.begin(), stage_bytes.end());
  return w;
}

}  // namespace llmsizer
