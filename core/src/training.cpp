// Training memory per GPU: model states (shared formulas.md §3), activations (§4), logits and
// loss (§4.5), runtime overheads (§6). Constants are documented in docs/model.md "Training".
#include <algorithm>
#include <cmath>
#include <string_view>

#include "estimators.hpp"
#include "llmsizer/weights.hpp"

namespace llmsizer {
namespace {

constexpr std::string_view kMethods[] = {"full", "lora", "qlora", "freeze"};
constexpr std::string_view kPrecisions[] = {"fp32", "fp16", "bf16", "amp-bf16", "amp-fp16"};
constexpr std::string_view kOptimizers[] = {"adamw", "adam", "sgd", "sgd-momentum", "adamw-8bit",
                                            "paged-adamw-8bit", "paged-adamw", "adafactor", "lion"};
constexpr std::string_view kCheckpointing[] = {"none", "selective", "full", "offload"};
constexpr std::string_view kAttention[] = {"eager", "sdpa", "flash_attention_2"};
constexpr std::string_view kLoss[] = {"standard", "chunked"};
constexpr std::string_view kOffload[] = {"none", "cpu", "nvme"};
constexpr std::string_view kFrameworks[] = {"transformers", "deepspeed", "fsdp", "megatron", "unsloth",
                                            "torchtune", "llama-factory", "axolotl", "swift", "peft",
                                            "trl", "nemo", "colossalai", "other"};
constexpr std::string_view kQuantTypes[] = {"nf4", "fp4"};

struct TrainingJob {
  std::string method, precision, optimizer, checkpointing, attention, loss, framework;
  int64_t micro_batch_size = 1, seq_len = 2048, grad_accum = 1;
  int zero_stage = 0;
  std::string offload_optimizer = "none", offload_param = "none";
  int tp = 1, pp = 1, dp = 1, cp = 1, ep = 1;
  bool sequence_parallel = false;
  int64_t lora_r = 16;
  double lora_alpha = 32;
  std::vector<std::string> lora_targets;
  bool all_linear = false, use_dora = false;
  std::string quant_type = "nf4";
  bool double_quant = true;
  int64_t trainable_layers = 2;
};

Result<TrainingJob> parse_job(const Common& c, Fields& f) {
  TrainingJob j;
  j.method = f.choice("method", "full", kMethods);
  j.precision = f.choice("precision", "bf16", kPrecisions);
  j.optimizer = f.choice("optimizer", "adamw", kOptimizers);
  j.micro_batch_size = f.integer("micro_batch_size", 1, 1, 1 << 16);
  j.seq_len = f.integer("seq_len", 2048, 1, 1 << 24);
  j.grad_accum = f.integer("gradient_accumulation_steps", 1, 1, 1 << 20);
  j.checkpointing = f.choice("gradient_checkpointing", "none", kCheckpointing);
  if (const Value* v = f.raw("gradient_checkpointing"); v && v->is_bool())
    j.checkpointing = v->as_bool() ? "full" : "none";
  j.attention = f.choice("attention", "flash_attention_2", kAttention);
  j.loss = f.choice("loss", "standard", kLoss);
  j.framework = f.choice("framework", "transformers", kFrameworks);
  j.zero_stage = static_cast<int>(f.integer("zero_stage", 0, 0, 3));
  j.offload_optimizer = f.choice("offload_optimizer", "none", kOffload);
  j.offload_param = f.choice("offload_param", "none", kOffload);
  if (const Value* p = f.raw("parallel"); p && p->is_object()) {
    Fields pf(*p, f.path_of("parallel"));
    j.tp = static_cast<int>(pf.integer("tp", 1, 1, 1024));
    j.pp = static_cast<int>(pf.integer("pp", 1, 1, 1024));
    j.dp = static_cast<int>(pf.integer("dp", c.num_gpus, 1, 1 << 20));
    j.cp = static_cast<int>(pf.integer("cp", 1, 1, 1024));
    j.ep = static_cast<int>(pf.integer("ep", 1, 1, 1024));
    j.sequence_parallel = pf.boolean("sequence_parallel", false);
    if (pf.failed()) return *pf.error();
    if (!pf.has("dp")) j.dp = std::max(1, c.num_gpus / (j.tp * j.pp * j.cp));
  } else {
    j.dp = c.num_gpus;
  }
  if (const Value* l = f.raw("lora"); l && l->is_object()) {
    Fields lf(*l, f.path_of("lora"));
    j.lora_r = lf.integer("r", 16, 1, 1 << 16);
    j.lora_alpha = lf.number("alpha", 2.0 * j.lora_r, 0, 1e6);
    j.use_dora = lf.boolean("use_dora", false);
    if (const Value* t = lf.raw("target_modules")) {
      if (t->is_string() && t->as_string() == "all-linear") j.all_linear = true;
      else if (t->is_array()) {
        for (const auto& x : t->items())
          if (x.is_string()) j.lora_targets.push_back(x.as_string());
          else lf.fail("target_modules", "invalid_type", "target_modules must be \"all-linear\" or a list of module names");
      } else if (!t->is_null()) {
        lf.fail("target_modules", "invalid_type", "target_modules must be \"all-linear\" or a list of module names");
      }
    }
    lf.accept({"dropout", "lora_dropout", "bias"});
    if (lf.failed()) return *lf.error();
  }
  if (j.lora_targets.empty() && !j.all_linear) j.lora_targets = {"q_proj", "v_proj"};  // PEFT's default for Llama
  if (const Value* q = f.raw("qlora"); q && q->is_object()) {
    Fields qf(*q, f.path_of("qlora"));
    j.quant_type = qf.choice("quant_type", "nf4", kQuantTypes);
    j.double_quant = qf.boolean("double_quant", true);
    if (qf.failed()) return *qf.error();
  }
  j.trainable_layers = f.integer("trainable_layers", 2, 0, kMaxLayers);
  f.accept({"packed", "torch_compile", "optimizer_in_backward", "pretraining", "dynamic_padding",
            "gradient_checkpointing_use_reentrant", "peft_method", "adapter_dtype", "base_weights_dtype",
            "trainable_modules", "zero3_init", "fsdp", "activation_offload", "cut_cross_entropy",
            "custom_sharded_layers", "float8", "gpu_power_limit_w"});
  if (f.failed()) return *f.error();
  if (j.zero_stage > 0 && j.dp <= 1)
    f.fail("zero_stage", "inconsistent_request",
           "zero_stage " + std::to_string(j.zero_stage) + " shards over data-parallel ranks; with num_gpus = 1 (dp = 1) nothing is sharded — use zero_stage 0 or more GPUs");
  if (c.model.num_attention_heads % j.tp != 0)
    f.fail("parallel", "inconsistent_request", "parallel.tp must divide num_attention_heads");
  if (j.tp * j.pp * j.cp * j.dp > c.num_gpus && c.num_gpus > 0)
    f.fail("parallel", "inconsistent_request", "tp × pp × cp × dp exceeds num_gpus");
  if (f.failed()) return *f.error();
  return j;
}

bool lora_targets(const TrainingJob& j, Role r) {
  if (!role_is_linear(r)) return false;
  if (j.all_linear) return true;
  const std::string name = role_name(r);
  for (const auto& t : j.lora_targets)
    if (name == t || name.ends_with("." + t) || (t == "qkv_proj" && (r == Role::attn_q || r == Role::attn_k || r == Role::attn_v)) ||
        (t == "gate_up_proj" && (r == Role::mlp_gate || r == Role::mlp_up)))
      return true;
  return false;
}

}  // namespace

Result<Estimate> estimate_training(const Common& c, Fields& f) {
  auto parsed = parse_job(c, f);
  if (!parsed) return parsed.error();
  const TrainingJob& j = *parsed;
  const ModelSpec& m = c.model;
  Estimate e;

  const bool amp = j.precision.starts_with("amp");
  const int weight_elem = (j.precision == "fp32" || amp) ? 4 : 2;
  const int grad_elem = weight_elem;
  const int model_shards = j.tp * j.pp;

  // Trainable parameters.
  double trainable = 0;
  if (j.method == "full") {
    trainable = static_cast<double>(c.params.total);
  } else if (j.method == "freeze") {
    const double per_layer = static_cast<double>(c.params.non_embedding) / m.num_hidden_layers;
    trainable = per_layer * std::min<int64_t>(j.trainable_layers, m.num_hidden_layers);
  } else {
    for (const auto& t : m.tensors)
      if (lora_targets(j, t.role))
        trainable += static_cast<double>(j.lora_r * (t.in_features + t.out_features) * t.copies * t.layers() +
                                         (j.use_dora ? t.out_features * t.copies * t.layers() : 0));
  }

  // Frozen / base weights.
  WeightFormat fmt;
  parse_weight_format("none", fmt);
  if (j.method == "qlora") parse_weight_format(j.quant_type == "fp4" ? (j.double_quant ? "bnb-fp4-dq" : "bnb-fp4")
                                                                    : (j.double_quant ? "bnb-nf4-dq" : "bnb-nf4"), fmt);
  const int base_elem = j.method == "full" ? weight_elem : (j.precision == "fp32" ? 4 : 2);
  const WeightBytes wb = weight_bytes(m, fmt, base_elem, j.tp, j.pp);
  double weights = wb.per_gpu;
  const int dp = std::max(1, j.dp);
  if (j.zero_stage == 3 && j.offload_param == "none") weights /= dp;
  if (j.offload_param != "none") weights = 0;
  e.add("weights", weights, j.method == "full" ? "params · bytes(precision) / (tp·pp) [/ dp under ZeRO-3]"
                                               : "frozen base weights in their storage format",
        Value::object({{"params", c.params.total}, {"bytes_per_param", base_elem}, {"format", fmt.name},
                       {"zero_stage", j.zero_stage}, {"dp", dp}}),
        "Model weights resident on one GPU.");
  if (j.method == "lora" || j.method == "qlora")
    e.add("trainable_weights", trainable * 4 / model_shards, "Σ_targets r·(in+out) · 4 B (fp32 adapters)",
          Value::object({{"trainable_params", trainable}, {"r", j.lora_r}}), "LoRA adapter weights.");

  const double grads_full = trainable * grad_elem / model_shards;
  const double grads = j.zero_stage >= 2 ? grads_full / dp : grads_full;
  e.add("gradients", grads, "trainable · bytes(grad) [/ dp under ZeRO-2/3]",
        Value::object({{"trainable_params", trainable}, {"bytes_per_param", grad_elem}}),
        "One gradient per trainable parameter.");

  double state_bytes = 0;  // per trainable param
  const double p_elem = (j.method == "full" && !amp && j.precision != "fp32") ? 2 : 4;
  if (j.optimizer == "adamw" || j.optimizer == "adam" || j.optimizer == "paged-adamw") state_bytes = 2 * p_elem;
  else if (j.optimizer == "adamw-8bit" || j.optimizer == "paged-adamw-8bit") state_bytes = 2 + 8.0 / 256;
  else if (j.optimizer == "sgd-momentum" || j.optimizer == "lion") state_bytes = p_elem;
  else if (j.optimizer == "adafactor") state_bytes = 4.0 * 2 / std::sqrt(std::max(1.0, static_cast<double>(m.hidden_size)));
  double master = (j.method != "full" || amp || j.precision == "fp32") ? 0 : 0;
  double opt = trainable * (state_bytes + master) / model_shards;
  if (j.zero_stage >= 1) opt /= dp;
  if (j.offload_optimizer != "none") { e.host_bytes += static_cast<int64_t>(opt); opt = 0; }
  e.add("optimizer_states", opt, "trainable · state bytes/param [/ dp under ZeRO ≥ 1]",
        Value::object({{"optimizer", j.optimizer}, {"state_bytes_per_param", state_bytes}}),
        "Optimizer moments.");

  // Activations (bf16), formulas.md §4.2 for a pre-norm GQA SwiGLU decoder.
  const double s = static_cast<double>(j.seq_len) / j.cp, b = static_cast<double>(j.micro_batch_size);
  const double h = m.hidden_size, a = m.num_attention_heads, d = m.head_dim, akv = m.num_key_value_heads;
  const double I = m.num_experts > 1 ? m.moe_intermediate_size * m.num_experts_per_tok : m.intermediate_size;
  const double act_elem = 2;
  double per_layer = act_elem * s * b * (2 * h + h + a * d + 2 * akv * d + a * d + h + 4 * I) / j.tp;
  if (j.attention == "flash_attention_2") per_layer += 4 * a * s * b / j.tp;
  else per_layer += (j.attention == "eager" ? 4 + 2 : 2) * a * s * s * b / j.tp;
  const double layers_here = static_cast<double>(m.num_hidden_layers) / j.pp * std::min(1, j.pp) * j.pp / j.pp;
  double act;
  std::string act_formula;
  if (j.checkpointing == "none" || j.checkpointing == "selective") {
    act = per_layer * static_cast<double>(m.num_hidden_layers) / j.pp * (j.pp > 1 ? j.pp : 1) / (j.pp > 1 ? j.pp : 1);
    act_formula = "L · per-layer saved tensors (norm inputs, QKV, attention out, MLP intermediates)";
  } else {
    const double ckpt = (j.checkpointing == "offload" ? 0 : act_elem * s * b * h * static_cast<double>(m.num_hidden_layers) / j.pp);
    act = ckpt + per_layer;
    act_formula = "L · 2·s·b·h (checkpointed layer inputs) + one layer recomputed";
  }
  (void)layers_here;
  e.add("activations", act, act_formula,
        Value::object({{"seq_len", j.seq_len}, {"micro_batch_size", j.micro_batch_size},
                       {"per_layer_bytes", per_layer}, {"checkpointing", j.checkpointing}}),
        "Tensors saved in the forward pass for the backward pass.");

  const double V = m.vocab_size;
  const double logits = j.loss == "chunked" ? b * std::min(s, 1024.0) * V * 4 * 2 : b * s * V * (2 + 4 + 4) / j.tp;
  e.add("logits", logits, j.loss == "chunked" ? "chunk · V · 4 · 2" : "b·s·V·(2 bf16 logits + 4 fp32 copy + 4 log-softmax)",
        Value::object({{"vocab_size", m.vocab_size}}), "Output logits and cross-entropy buffers.");
  e.add("framework_overhead", kCudaContextBytes + kCublasWorkspaceBytes, "CUDA context + cuBLAS workspace",
        Value::object({{"cuda_context_bytes", kCudaContextBytes}}), "Fixed per-process memory.");

  const int64_t total = e.total_bytes();
  e.peak.allocated_bytes = total - static_cast<int64_t>(kCudaContextBytes);
  e.peak.reserved_bytes = static_cast<int64_t>(e.peak.allocated_bytes * 1.05);
  e.peak.device_bytes = e.peak.reserved_bytes + static_cast<int64_t>(kCudaContextBytes);
  e.low_bytes = static_cast<int64_t>(total * 0.9);
  e.high_bytes = static_cast<int64_t>(total * 1.15);
  e.fits = e.peak.device_bytes <= c.gpu.memory_bytes;
  if (!c.gpu.flash_attention_2 && j.attention == "flash_attention_2")
    e.warnings.push_back("FlashAttention-2 needs an Ampere or newer GPU; " + c.gpu.name + " will fall back to SDPA/eager attention");
  if (!c.gpu.bf16 && (j.precision == "bf16" || j.precision == "amp-bf16"))
    e.warnings.push_back(c.gpu.name + " has no bf16 support: use fp16 or amp-fp16");
  e.extra.set("num_trainable_params", static_cast<int64_t>(trainable));
  return e;
}

}  // namespace llmsizer
