// Training request parsing (DESIGN.md "The JSON contract", Training) and the framework profiles.
// Every error names its JSON path and lists the allowed values; keys the estimator does not
// model are accepted and named in warnings. Sources of each profile field: docs/model/training.md
// "Framework profiles".
#include "train_job.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <span>

namespace llmsizer::train {
namespace {

constexpr std::string_view kMethods[] = {"full", "lora", "qlora", "freeze", "dora"};
constexpr std::string_view kPrecisions[] = {"fp32", "fp16", "bf16", "amp-bf16", "amp-fp16",
                                            "bf16-true", "bf16-mixed", "fp16-mixed", "32-true"};
constexpr std::string_view kOptimizers[] = {
    "adamw", "adam", "sgd", "sgd-momentum", "adamw-8bit", "paged-adamw-8bit", "paged-adamw",
    "paged-adamw-32bit", "adafactor", "lion", "lion-8bit", "paged-lion-8bit", "galore-adamw",
    "galore-adamw-8bit", "galore-adafactor"};
constexpr std::string_view kOptImpl[] = {"foreach", "fused", "for-loop"};
constexpr std::string_view kCheckpointing[] = {"none", "selective", "full", "offload"};
constexpr std::string_view kAttention[] = {"eager", "sdpa", "flash_attention_2", "flash_attention_3",
                                           "flex_attention"};
constexpr std::string_view kLoss[] = {"standard", "chunked", "fused"};
constexpr std::string_view kOffload[] = {"none", "cpu", "nvme"};
constexpr std::string_view kQuantTypes[] = {"nf4", "fp4", "int8", "bnb-int8", "gptq-int4", "gptq-int8",
                                            "awq-int4", "hqq-int4", "fp8"};
constexpr std::string_view kFsdpSharding[] = {"full_shard", "shard_grad_op", "no_shard", "hybrid_shard",
                                              "hybrid_shard_zero2"};
constexpr std::string_view kStages[] = {"sft", "pt", "dpo", "orpo", "simpo", "kto", "ppo", "grpo"};
constexpr std::string_view kDtypes[] = {"bf16", "fp16", "fp32"};

// ms-swift 1.x benchmark (A100, cls-fudan-news-zh: samples of 3234 ± 2547 tokens truncated at
// max_length, batch 1, no torch.cuda.empty_cache): max_memory_reserved exceeds the allocated peak
// by ≈ 2.7× the vocabulary-sized loss tensors — every new record length leaves the previous
// steps' logits-sized segments cached. Fitted on the 9 LoRA/QLoRA rows of that benchmark in the
// calibration set (docs/model/training.md "Allocator"); other profiles show no such growth.
constexpr double kMsSwiftVocabFragmentation = 2.7;

// Framework profiles. Columns: loss path, eager RMSNorm keeps fp32 input, fused SiLU·mul,
// fused LoRA blocks, default adapter bytes (0 = base dtype), default lora_dropout, optimizer
// implementation, AMP keeps fp32 weights on the GPU, multi-GPU engine, FSDP keeps gathered
// frozen weights, op-level selective AC, DeepSpeed-style AMP states, default loss, unties a tied
// embedding into a separate output tensor, vocabulary-tensor fragmentation of the cache.
constexpr Profile kProfiles[] = {
    // HF Trainer + PEFT: LlamaRMSNorm upcasts (hidden_states.to(float32)); PEFT
    // autocast_adapter_dtype=True keeps adapters fp32; LoraConfig lora_dropout=0.0; adamw_torch
    // is torch AdamW with foreach; bf16=True autocasts fp32 weights; DDP across GPUs.
    {"transformers", LossPath::hf, true, false, false, 4, 0.0, OptImpl::foreach, true, Engine::ddp, false, false, false, Loss::standard, false, 0.0},
    // ms-swift 1.x/2.x (PEFT < 0.12 moved adapters to the base layer's dtype), lora_dropout 0.05.
    {"ms-swift", LossPath::hf, true, false, false, 0, 0.05, OptImpl::foreach, true, Engine::ddp, false, false, false, Loss::standard, false, kMsSwiftVocabFragmentation},
    // LLaMA-Factory casts trainable params to fp32 (cast_trainable_params_to_fp32), dropout 0.
    {"llama-factory", LossPath::hf, true, false, false, 4, 0.0, OptImpl::foreach, true, Engine::ddp, false, false, false, Loss::standard, false, 0.0},
    {"axolotl", LossPath::hf, true, false, false, 4, 0.0, OptImpl::foreach, true, Engine::ddp, false, false, false, Loss::standard, false, 0.0},
    // HF Trainer + DeepSpeed: DeepSpeed keeps 16-bit params, fp32 master, fp32 grad partitions.
    {"deepspeed", LossPath::hf, true, false, false, 4, 0.0, OptImpl::fused, false, Engine::deepspeed, false, false, true, Loss::standard, false, 0.0},
    // accelerate / HF Trainer with FSDP.
    {"fsdp", LossPath::hf, true, false, false, 4, 0.0, OptImpl::foreach, false, Engine::fsdp, false, false, false, Loss::standard, false, 0.0},
    // torchtune: RMSNorm x.float(); LoRA params in the model dtype (bf16), lora_dropout 0.0;
    // configs set torch.optim.AdamW(fused=True) and CEWithChunkedOutputLoss; FSDP2 for distributed recipes.
    {"torchtune", LossPath::torchtune, true, false, false, 0, 0.0, OptImpl::fused, false, Engine::fsdp, false, false, false, Loss::chunked, false, 0.0},
    // torchtitan: FSDP2 + MixedPrecisionPolicy, op-level selective AC, fused AdamW.
    {"torchtitan", LossPath::hf, true, false, false, 0, 0.0, OptImpl::fused, false, Engine::fsdp, false, true, false, Loss::standard, false, 0.0},
    // lit-gpt / litgpt: bf16-true, chunked lm_head + bf16 cross-entropy, lora_dropout 0.05,
    // Lightning FSDPStrategy (FSDP1); bf16-mixed keeps fp32 weights; its checkpoint conversion
    // copies a tied wte into lm_head (copy_weights_hf_llama), so the output is a separate tensor.
    {"litgpt", LossPath::litgpt, true, false, false, 0, 0.05, OptImpl::foreach, true, Engine::fsdp, true, false, false, Loss::chunked, true, 0.0},
    // Unsloth: Triton RMSNorm, SwiGLU and LoRA kernels, fused cross-entropy.
    {"unsloth", LossPath::unsloth, false, true, true, 0, 0.0, OptImpl::foreach, false, Engine::ddp, false, false, false, Loss::standard, false, 0.0},
    // Megatron-LM / NeMo: TE/apex fused norms, bias_swiglu fusion, vocab-parallel CE, distributed optimizer.
    {"megatron", LossPath::megatron, false, true, false, 0, 0.0, OptImpl::fused, false, Engine::megatron, false, false, false, Loss::standard, false, 0.0},
};

struct Alias { std::string_view name, profile; };
constexpr Alias kFrameworkAliases[] = {
    {"transformers", "transformers"}, {"hf", "transformers"}, {"huggingface", "transformers"},
    {"peft", "transformers"}, {"trl", "transformers"}, {"accelerate", "transformers"},
    {"colossalai", "transformers"}, {"other", "transformers"}, {"fsdp_qlora", "fsdp"},
    {"fsdp-qlora", "fsdp"}, {"ms-swift", "ms-swift"}, {"swift", "ms-swift"},
    {"llama-factory", "llama-factory"}, {"llamafactory", "llama-factory"}, {"axolotl", "axolotl"},
    {"deepspeed", "deepspeed"}, {"fsdp", "fsdp"}, {"torchtune", "torchtune"},
    {"torchtitan", "torchtitan"}, {"litgpt", "litgpt"}, {"lit-gpt", "litgpt"},
    {"lightning", "litgpt"}, {"unsloth", "unsloth"}, {"megatron", "megatron"},
    {"megatron-lm", "megatron"}, {"nemo", "megatron"},
};


// The last dotted component of a module name ("model.layers.0.self_attn.q_proj" -> "q_proj").
std::string leaf(std::string_view name) {
  const size_t dot = name.rfind('.');
  return ascii_lower(dot == std::string_view::npos ? name : name.substr(dot + 1));
}

struct Resolved {
  uint64_t roles = 0;
  bool fused_qkv = false;
  int norm_copies = 0;  // -1 = all
  bool final_norm = false, embed = false, head = false;
  bool known = false;
};

// Module names as each family's modeling code spells them (HF, torchtune, lit-gpt, Meta).
Resolved resolve_module(std::string_view name, const ModelSpec& m, std::string_view framework) {
  Resolved r;
  r.known = true;
  const std::string n = leaf(name);
  const std::string full = ascii_lower(name);
  const bool qwen1 = m.model_type == "qwen";
  const bool moe = m.num_experts > 1;
  auto add = [&](Role x) { r.roles |= role_bit(x); };
  auto q = [&] { add(Role::attn_q); add(Role::attn_q_a); add(Role::attn_q_b); };
  auto kv = [&] { add(Role::attn_k); add(Role::attn_v); add(Role::attn_kv_a); add(Role::attn_kv_b); };
  auto gate = [&] { add(moe ? Role::expert_gate : Role::mlp_gate); if (moe) add(Role::shared_gate); };
  auto up = [&] { add(moe ? Role::expert_up : Role::mlp_up); if (moe) add(Role::shared_up); };
  auto down = [&] { add(moe ? Role::expert_down : Role::mlp_down); if (moe) add(Role::shared_down); };
  if (n == "q_proj" || n == "query" || n == "wq" || n == "q") q();
  else if (n == "q_a_proj") add(Role::attn_q_a);
  else if (n == "q_b_proj") add(Role::attn_q_b);
  else if (n == "kv_a_proj_with_mqa") add(Role::attn_kv_a);
  else if (n == "kv_b_proj") add(Role::attn_kv_b);
  else if (n == "k_proj" || n == "key" || n == "wk" || n == "k") add(Role::attn_k);
  else if (n == "v_proj" || n == "value" || n == "wv" || n == "v") add(Role::attn_v);
  else if (n == "qkv_proj" || n == "c_attn" || n == "query_key_value" || n == "wqkv" || n == "qkv" ||
           n == "attn" || n == "w_pack") { q(); kv(); r.fused_qkv = true; }
  else if (n == "o_proj" || n == "out_proj" || n == "dense" || n == "wo" || n == "output_proj") add(Role::attn_o);
  else if (n == "c_proj") {  // GPT-2 and Qwen v1 name both attn.c_proj and mlp.c_proj so
    if (full.find("mlp") == std::string::npos) add(Role::attn_o);
    if (full.find("attn") == std::string::npos) down();
  } else if (n == "proj") {  // lit-gpt: attn.proj and mlp.proj
    if (full.find("mlp") == std::string::npos) add(Role::attn_o);
    if (full.find("attn") == std::string::npos) down();
  } else if (n == "gate_proj" || n == "fc_1") gate();
  else if (n == "up_proj" || n == "fc_2" || n == "c_fc" || n == "fc1" || n == "dense_h_to_4h") up();
  else if (n == "gate_up_proj") { gate(); up(); }
  else if (n == "down_proj" || n == "fc2" || n == "dense_4h_to_h") down();
  else if (n == "w1") { if (qwen1) up(); else gate(); }   // Qwen v1: w1·silu(w2); Meta/torchtune/Mixtral: w1 = gate
  else if (n == "w2") { if (qwen1) gate(); else down(); }
  else if (n == "w3") up();
  else if (n == "experts") { add(Role::expert_gate); add(Role::expert_up); add(Role::expert_down); }
  else if (n == "router" || (n == "gate" && moe)) add(Role::router);
  else if (n == "shared_expert" || n == "shared_experts") { add(Role::shared_gate); add(Role::shared_up); add(Role::shared_down); }
  else if (n == "lm_head" || n == "embed_out" || (n == "output" && framework == "torchtune")) r.head = true;
  else if (n == "embed_tokens" || n == "wte" || n == "tok_embeddings" || n == "word_embeddings" || n == "embed_in") r.embed = true;
  else if (n == "input_layernorm" || n == "ln_1" || n == "attention_norm" || n == "sa_norm" || n == "norm_1" ||
           n == "post_attention_layernorm" || n == "ln_2" || n == "ffn_norm" || n == "mlp_norm" || n == "norm_2")
    r.norm_copies = 1;
  else if (n == "layernorm" || n == "layer_norm" || n == "layernorms") r.norm_copies = -1;
  else if (n == "norm" || n == "ln_f" || n == "final_layernorm" || n == "norm_f") r.final_norm = true;
  else r.known = false;
  return r;
}

bool parse_names(Fields& f, std::string_view key, std::vector<std::string>& out, bool* all_linear) {
  const Value* t = f.raw(key);
  if (!t || t->is_null()) return false;
  if (t->is_string()) {
    if (all_linear && (t->as_string() == "all-linear" || t->as_string() == "all_linear" || t->as_string() == "all")) {
      *all_linear = true;
    } else {
      out.push_back(t->as_string());
    }
    return true;
  }
  if (t->is_array()) {
    for (const auto& x : t->items())
      if (x.is_string()) out.push_back(x.as_string());
      else f.fail(key, "invalid_type", std::string(key) + " must be a list of module names");
    return true;
  }
  f.fail(key, "invalid_type", std::string(key) + " must be a list of module names" +
                                  (all_linear ? " or \"all-linear\"" : ""));
  return true;
}

int dtype_bytes(std::string_view d) { return d == "fp32" ? 4 : 2; }

// Lower case, '-' and ' ' as '_': "FULL_SHARD", "full-shard" and "Full Shard" read alike.
std::string folded(std::string_view s) {
  std::string o = ascii_lower(s);
  for (auto& ch : o)
    if (ch == '-' || ch == ' ') ch = '_';
  return o;
}

}  // namespace

std::string canonical_optimizer(std::string_view name, std::string* impl) {
  std::string s = ascii_lower(name);
  std::replace(s.begin(), s.end(), '_', '-');
  struct Alias {
    std::string_view alias, optimizer, impl;
  };
  static constexpr Alias kAliases[] = {
      {"adamw-torch", "adamw", ""},          {"adamw-torch-fused", "adamw", "fused"}, {"adamw-apex-fused", "adamw", "fused"},
      {"adamw-hf", "adamw", "for-loop"},     {"adamw-torch-xla", "adamw", ""},        {"adamw-anyprecision", "adamw", ""},
      {"adamw-bnb-8bit", "adamw-8bit", ""},  {"lion-32bit", "lion", ""},
  };
  for (const auto& a : kAliases)
    if (s == a.alias) {
      if (impl && !a.impl.empty()) *impl = std::string(a.impl);
      return std::string(a.optimizer);
    }
  return s;
}

std::string canonical_precision(std::string_view name) {
  const std::string s = ascii_lower(name);
  if (s == "bfloat16" || s == "bf16-true") return "bf16";
  if (s == "float16" || s == "half" || s == "16-true") return "fp16";
  if (s == "float32" || s == "32-true" || s == "32") return "fp32";
  if (s == "bf16-mixed") return "amp-bf16";
  if (s == "fp16-mixed" || s == "16-mixed") return "amp-fp16";
  return s;
}

std::string canonical_checkpointing(std::string_view name) {
  const std::string s = ascii_lower(name);
  if (s == "unsloth") return "offload";
  if (s == "true") return "full";
  if (s == "false") return "none";
  return s;
}

const Profile& profile_for(std::string_view framework, bool* known) {
  const std::string fw = ascii_lower(framework);
  for (const auto& a : kFrameworkAliases)
    if (a.name == fw)
      for (const auto& p : kProfiles)
        if (p.name == a.profile) {
          if (known) *known = true;
          return p;
        }
  if (known) *known = false;
  return kProfiles[0];
}

std::vector<std::string_view> profile_names() {
  std::vector<std::string_view> n;
  for (const auto& a : kFrameworkAliases) n.push_back(a.name);
  return n;
}

Result<Job> parse_training_job(const Common& c, Fields& f, std::vector<std::string>& warnings) {
  Job j;
  const ModelSpec& m = c.model;
  j.num_gpus = c.num_gpus;

  // Framework first: its profile supplies defaults for the rest.
  j.framework = f.text("framework", "transformers");
  j.profile = &profile_for(j.framework, &j.framework_known);
  if (!j.framework_known && !f.failed()) {
    std::string w = "framework \"" + j.framework + "\" has no calibrated profile; estimated with the transformers profile";
    size_t best = 3;
    std::string_view guess;
    for (auto n : profile_names())
      if (const size_t d = edit_distance(ascii_lower(j.framework), n); d < best) { best = d; guess = n; }
    if (!guess.empty()) w += "; did you mean \"" + std::string(guess) + "\"?";
    warnings.push_back(std::move(w));
  }
  const Profile& P = *j.profile;

  std::string method = f.choice("method", "full", kMethods);
  if (const Value* pm = f.raw("peft_method"); pm && pm->is_string()) {
    const std::string p = ascii_lower(pm->as_string());
    if (p == "ln_tuning" || p == "ln-tuning") method = "freeze";
    else if (p == "dora") { method = method == "qlora" ? "qlora" : "lora"; j.use_dora = true; }
  }
  if (method == "dora") { method = "lora"; j.use_dora = true; }
  j.method = method == "lora" ? Method::lora : method == "qlora" ? Method::qlora : method == "freeze" ? Method::freeze : Method::full;

  const std::string precision = f.choice("precision", "bf16", kPrecisions, canonical_precision);
  j.precision = precision;
  j.recipe = precision == "fp32" ? Recipe::fp32 : precision.starts_with("amp") ? Recipe::amp : Recipe::pure16;
  j.compute_bytes = j.recipe == Recipe::fp32 ? 4 : 2;

  j.optimizer = f.choice("optimizer", "adamw", kOptimizers, [](std::string_view s) { return canonical_optimizer(s); });
  std::string implied_impl;  // TrainingArguments names imply one ("adamw_torch_fused")
  if (const Value* ov = f.raw("optimizer"); ov && ov->is_string()) canonical_optimizer(ov->as_string(), &implied_impl);
  const std::string& o = j.optimizer;
  j.paged = o.starts_with("paged");
  j.galore = o.starts_with("galore");
  j.bnb_fp32_states = o == "paged-adamw" || o == "paged-adamw-32bit";
  if (o.find("8bit") != std::string::npos) j.optim = o.find("lion") != std::string::npos ? Optim::lion_8bit : Optim::adamw_8bit;
  else if (o == "sgd") j.optim = Optim::sgd;
  else if (o == "sgd-momentum") j.optim = Optim::sgd_momentum;
  else if (o.find("adafactor") != std::string::npos) j.optim = Optim::adafactor;
  else if (o == "lion") j.optim = Optim::lion;
  else j.optim = Optim::adamw;
  const std::string impl = f.choice("optimizer_impl", !implied_impl.empty() ? implied_impl
                                                     : P.opt_impl == OptImpl::fused ? "fused" : "foreach", kOptImpl);
  j.opt_impl = impl == "fused" ? OptImpl::fused : impl == "for-loop" ? OptImpl::for_loop : OptImpl::foreach;
  j.optimizer_in_backward = f.boolean("optimizer_in_backward", false);
  if (const Value* g = f.raw("galore"); g && g->is_object()) {
    Fields gf(*g, f.path_of("galore"));
    j.galore_rank = gf.integer("rank", 128, 1, 1 << 16);
    gf.accept({"update_proj_gap", "scale", "proj_type", "target_modules"});
    if (gf.failed()) return *gf.error();
    gf.unknown_keys(warnings);
  }
  j.galore_rank = f.integer("galore_rank", j.galore_rank, 1, 1 << 16);

  j.micro_batch_size = f.integer("micro_batch_size", 1, 1, 1 << 16);
  j.seq_len_given = f.has("seq_len") || !f.raw("seq_len");  // an explicit null means "unknown"
  j.seq_len = f.integer("seq_len", 2048, 1, 1 << 24);
  // Speed only: the tokens a sample really has on average (a truncated or dynamically padded
  // dataset's mean); memory keeps seq_len, the longest batch.
  j.mean_seq_len = f.number("mean_seq_len", static_cast<double>(j.seq_len), 1, static_cast<double>(j.seq_len));
  j.grad_accum = f.integer("gradient_accumulation_steps", 1, 1, 1 << 20);
  j.packed = f.boolean("packed", false);
  j.dynamic_padding = f.boolean("dynamic_padding", false);
  j.compile = f.boolean("torch_compile", false);
  j.float8 = f.boolean("float8", false);

  std::string ckpt = "none";
  if (const Value* v = f.raw("gradient_checkpointing"); v && v->is_bool()) ckpt = v->as_bool() ? "full" : "none";
  else ckpt = f.choice("gradient_checkpointing", "none", kCheckpointing, canonical_checkpointing);
  const bool activation_offload = f.boolean("activation_offload", false);
  j.offload_activations = ckpt == "offload" || activation_offload;
  j.ckpt = ckpt == "none" ? Ckpt::none : ckpt == "selective" ? Ckpt::selective : Ckpt::full;
  if (ckpt == "offload") j.ckpt = Ckpt::full;

  std::string attn = "flash_attention_2";
  if (const Value* a = f.raw("attention"); a && a->is_string()) {
    const std::string fa = folded(a->as_string());
    if (fa == "fa2" || fa == "flash_attn" || fa == "flash_attention" || fa == "flash" || fa == "fa3") attn = "flash_attention_2";
    else attn = f.choice("attention", "flash_attention_2", kAttention, folded);
  } else {
    attn = f.choice("attention", "flash_attention_2", kAttention);
  }
  j.kernel = attn == "eager" ? Kernel::eager : (attn == "sdpa" || attn == "flex_attention") ? Kernel::sdpa : Kernel::flash;
  if (j.kernel == Kernel::flash && !c.gpu.flash_attention_2) { j.kernel = Kernel::sdpa; j.kernel_fallback = true; }

  const std::string loss = f.choice("loss", P.default_loss == Loss::chunked ? "chunked" : "standard", kLoss);
  j.loss = loss == "chunked" ? Loss::chunked : loss == "fused" ? Loss::fused : Loss::standard;
  const bool cce = f.boolean("cut_cross_entropy", false), liger = f.boolean("liger_kernel", false);
  if (cce || liger) j.loss = Loss::fused;

  // Parallel layout.
  int64_t dp_given = 0;
  if (const Value* p = f.raw("parallel"); p && p->is_object()) {
    Fields pf(*p, f.path_of("parallel"));
    j.tp = static_cast<int>(pf.integer("tp", 1, 1, 1024));
    j.pp = static_cast<int>(pf.integer("pp", 1, 1, 1024));
    dp_given = pf.integer("dp", 0, 1, 1 << 20);
    j.cp = static_cast<int>(pf.integer("cp", 1, 1, 1024));
    j.ep = static_cast<int>(pf.integer("ep", 1, 1, 1024));
    j.sequence_parallel = pf.boolean("sequence_parallel", j.tp > 1 && (P.name == "torchtitan" || P.name == "megatron"));
    // Schedules by family: interleaved (Megatron virtual pipeline, torchtitan Interleaved1F1B /
    // InterleavedZeroBubble), GPipe (all forwards first), everything else 1F1B-like.
    const std::string sched = folded(pf.text("pp_schedule", "1f1b"));
    j.pp_schedule = sched.find("interleav") != std::string::npos ? PpSchedule::interleaved
                    : sched.find("gpipe") != std::string::npos    ? PpSchedule::gpipe
                                                                  : PpSchedule::one_f_one_b;
    j.virtual_stages = static_cast<int>(pf.integer("virtual_stages", j.pp_schedule == PpSchedule::interleaved ? 2 : 1, 1, 64));
    pf.accept({"expert_tensor_parallel", "etp", "fsdp", "dp_shard", "dp_replicate"});
    j.pp_microbatches = pf.integer("microbatches", 0, 1, 1 << 20);
    if (pf.failed()) return *pf.error();
    pf.unknown_keys(warnings);
  }
  // HF device_map model parallelism: layers split over the GPUs, one micro-batch at a time.
  if (const Value* dm = f.raw("device_map"); dm && !dm->is_null() && c.num_gpus > 1 && !f.has("parallel")) {
    j.pp = std::min<int>(c.num_gpus, static_cast<int>(m.num_hidden_layers));
    j.pp_schedule = PpSchedule::gpipe;
    j.pp_microbatches = 1;
  }
  j.dp = dp_given > 0 ? static_cast<int>(dp_given) : std::max(1, c.num_gpus / (j.tp * j.pp * j.cp));

  // Sharding engine: explicit keys first, then the framework's multi-GPU default.
  const bool zero_given = f.has("zero_stage");
  j.zero_stage = static_cast<int>(f.integer("zero_stage", 0, 0, 3));
  std::string fsdp_sharding;
  if (const Value* fs = f.raw("fsdp")) {
    if (fs->is_object()) {
      Fields ff(*fs, f.path_of("fsdp"));
      fsdp_sharding = ff.choice("sharding", "full_shard", kFsdpSharding, folded);
      if (ff.boolean("cpu_offload", false)) j.offload_param = j.offload_optimizer = true;
      ff.accept({"version", "reshard_after_forward", "use_orig_params", "auto_wrap_policy", "sync_module_states",
                 "cpu_ram_efficient_loading", "limit_all_gathers", "backward_prefetch", "state_dict_type"});
      if (ff.failed()) return *ff.error();
      ff.unknown_keys(warnings);
    } else if (fs->is_string()) {
      fsdp_sharding = f.choice("fsdp", "full_shard", kFsdpSharding, folded);
    } else if (fs->is_bool() && fs->as_bool()) {
      fsdp_sharding = "full_shard";
    }
  }
  const std::string off_opt = f.choice("offload_optimizer", "none", kOffload);
  const std::string off_par = f.choice("offload_param", "none", kOffload);
  j.offload_optimizer = j.offload_optimizer || off_opt != "none";
  j.offload_param = j.offload_param || off_par != "none";
  j.offload_nvme = off_opt == "nvme" || off_par == "nvme";
  if (!fsdp_sharding.empty()) {
    j.engine = Engine::fsdp;
    j.zero_stage = fsdp_sharding == "full_shard" || fsdp_sharding == "hybrid_shard" ? 3
                   : fsdp_sharding == "no_shard" ? 0 : 2;
  } else if (zero_given || P.name == "deepspeed") {
    j.engine = Engine::deepspeed;
  } else if (j.dp > 1 || j.tp > 1 || j.pp > 1) {
    j.engine = P.multi_gpu;
    if (j.engine == Engine::fsdp) j.zero_stage = 3;
    if (j.engine == Engine::megatron) j.zero_stage = 1;  // distributed optimizer
    if (j.dp <= 1 && j.engine != Engine::megatron) j.engine = Engine::single;
  }
  if (j.offload_param && j.engine == Engine::single) j.engine = Engine::deepspeed, j.zero_stage = 3;
  j.shard_group = j.dp * j.cp;  // FSDP / ZeRO shard over dp (× cp: torchtitan folds cp into the FSDP mesh)
  if (fsdp_sharding.starts_with("hybrid")) j.shard_group = std::min(j.shard_group, std::max(1, std::min(8, c.num_gpus)));
  if (fsdp_sharding == "hybrid_shard_zero2") j.zero_stage = 2;

  // Precision recipe per engine: DeepSpeed bf16/fp16 and Megatron always keep fp32 masters;
  // torchtitan's FSDP2 MixedPrecisionPolicy too.
  if (j.recipe == Recipe::pure16 && (j.engine == Engine::deepspeed || j.engine == Engine::megatron || P.name == "torchtitan") &&
      j.method == Method::full)
    j.recipe = Recipe::amp;

  // PEFT.
  j.lora_dropout = P.lora_dropout;
  j.adapter_bytes = P.adapter_bytes;
  if (const Value* l = f.raw("lora"); l && l->is_object()) {
    Fields lf(*l, f.path_of("lora"));
    j.lora_r = lf.integer("r", 16, 1, 1 << 16);
    j.lora_alpha = lf.number("alpha", 2.0 * static_cast<double>(j.lora_r), 0, 1e6);
    j.use_dora = lf.boolean("use_dora", j.use_dora);
    j.lora_dropout = lf.number("dropout", j.lora_dropout, 0, 1);
    j.lora_dropout = lf.number("lora_dropout", j.lora_dropout, 0, 1);
    parse_names(lf, "target_modules", j.lora_targets, &j.all_linear);
    parse_names(lf, "modules_to_save", j.modules_to_save, nullptr);
    lf.accept({"bias", "use_rslora", "init_lora_weights", "task_type"});
    if (lf.failed()) return *lf.error();
    lf.unknown_keys(warnings);
  }
  const std::string adapter_dtype = f.choice("adapter_dtype", j.adapter_bytes == 4 ? "fp32" : "bf16", kDtypes);
  if (f.has("adapter_dtype")) j.adapter_bytes = dtype_bytes(adapter_dtype);
  if (j.adapter_bytes == 0) j.adapter_bytes = j.compute_bytes;
  // DeepSpeed casts the whole module (adapters included) to 16 bits; FSDP gathers flat 16-bit
  // parameters for compute.
  if ((j.engine == Engine::deepspeed || j.engine == Engine::fsdp) && !f.has("adapter_dtype")) j.adapter_bytes = j.compute_bytes;
  if (j.recipe == Recipe::fp32) j.adapter_bytes = 4;
  if (j.lora_targets.empty() && !j.all_linear) {
    // PEFT's defaults per family (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).
    if (m.model_type == "qwen") j.lora_targets = {"c_attn"};
    else if (m.model_type == "falcon" || m.model_type == "gpt_neox" || m.model_type == "bloom") j.lora_targets = {"query_key_value"};
    else if (m.model_type == "phi" || m.model_type == "gpt2") j.lora_targets = {"q_proj", "v_proj"};
    else j.lora_targets = {"q_proj", "v_proj"};
  }
  j.trainable_modules_given = parse_names(f, "trainable_modules", j.trainable_modules, nullptr);
  j.trainable_layers_given = f.has("trainable_layers");
  j.trainable_layers = f.integer("trainable_layers", 2, 0, kMaxLayers);
  j.trainable_embeddings = f.boolean("trainable_embeddings", false);

  // Quantized base (qlora).
  std::string quant = "nf4";
  bool double_quant = true;
  std::string quant_storage = "uint8";
  if (const Value* q = f.raw("qlora"); q && q->is_object()) {
    Fields qf(*q, f.path_of("qlora"));
    quant = qf.choice("quant_type", "nf4", kQuantTypes, folded);
    double_quant = qf.boolean("double_quant", true);
    quant_storage = qf.text("quant_storage", "uint8");
    qf.accept({"compute_dtype", "backend"});
    if (qf.failed()) return *qf.error();
    qf.unknown_keys(warnings);
  }
  const std::string base_dtype = f.choice("base_weights_dtype", "bf16", kDtypes);
  j.base_bytes = f.has("base_weights_dtype") ? dtype_bytes(base_dtype)
                 : j.recipe == Recipe::fp32 ? 4
                 : (j.recipe == Recipe::amp && P.amp_fp32_weights && j.engine != Engine::deepspeed && j.engine != Engine::fsdp) ? 4 : 2;
  parse_weight_format("none", j.base_format);
  if (j.method == Method::qlora) {
    std::string fmt = quant == "nf4" ? "bnb-nf4" : quant == "fp4" ? "bnb-fp4" : quant == "int8" ? "bnb-int8" : quant;
    if (quant == "hqq-int4") fmt = "bnb-nf4";  // same bits and group layout to within 1 %
    if ((quant == "nf4" || quant == "fp4") && double_quant) fmt += "-dq";
    parse_weight_format(fmt, j.base_format);
    // bitsandbytes MatMul4Bit / MatMul8bitLt keep their input A for backward (ctx.tensors = (A, B)).
    j.bnb_saves_input = fmt.starts_with("bnb") && P.name != "torchtune" && P.name != "unsloth";
    j.quantize_lora_targets_only = P.name == "torchtune";
    // PEFT's QLoRA recipe (prepare_model_for_kbit_training, used by HF Trainer / TRL / axolotl
    // scripts on one GPU or DDP) casts every non-quantized parameter — embeddings, norms, lm_head —
    // to fp32, which makes the residual stream fp32 as well.
    j.kbit_prepared = fmt.starts_with("bnb") && (P.name == "transformers" || P.name == "axolotl") &&
                      j.engine != Engine::deepspeed && j.engine != Engine::fsdp;
    j.quant_shardable = quant_storage != "uint8" || P.name == "torchtune" || fmt.starts_with("gptq") || fmt.starts_with("awq");
  }

  // Beyond SFT.
  const std::string stage = f.choice("stage", "sft", kStages);
  j.stage = (stage == "dpo" || stage == "orpo" || stage == "simpo" || stage == "kto") ? Stage::dpo
            : stage == "ppo" ? Stage::ppo : stage == "grpo" ? Stage::grpo : Stage::sft;
  const bool precompute = f.boolean("precompute_ref_log_probs", false);
  j.reference_model = (stage == "dpo" || stage == "kto" || j.stage == Stage::ppo || j.stage == Stage::grpo) && !precompute;
  j.reward_model = j.stage == Stage::ppo;
  j.value_model = j.stage == Stage::ppo;
  if (const Value* r = f.raw("rollout"); r && r->is_object()) {
    Fields rf(*r, f.path_of("rollout"));
    j.rollout_batch = rf.integer("batch_size", 0, 0, 1 << 20);
    j.rollout_len = rf.integer("max_len", 0, 0, 1 << 24);
    j.rollout_gpu_memory_utilization = rf.number("gpu_memory_utilization", 0, 0, 1);
    rf.accept({"engine", "num_generations"});
    if (rf.failed()) return *rf.error();
    rf.unknown_keys(warnings);
  }

  j.embeddings_sharded_apart = f.has("custom_sharded_layers");
  j.untie_embeddings = P.unties_embeddings && m.tie_word_embeddings;
  f.accept({"pretraining", "gradient_checkpointing_use_reentrant", "zero3_init", "custom_sharded_layers",
            "gpu_power_limit_w", "dataset", "lr", "learning_rate", "epochs", "max_steps", "seed"});
  if (f.failed()) return *f.error();

  // Consistency.
  if (m.num_attention_heads % j.tp != 0)
    f.fail("parallel", "inconsistent_request",
           "parallel.tp (" + std::to_string(j.tp) + ") must divide num_attention_heads (" +
               std::to_string(m.num_attention_heads) + ")");
  const int64_t layout = to_int64(j.tp) * j.pp * j.cp * j.dp;
  if (!f.has("num_gpus") && layout > c.num_gpus && layout <= (1 << 16)) j.num_gpus = static_cast<int>(layout);  // the layout names the GPUs
  else if (layout > c.num_gpus)
    f.fail("parallel", "inconsistent_request",
           "tp × pp × cp × dp (" + std::to_string(to_int64(j.tp) * j.pp * j.cp * j.dp) +
               ") exceeds num_gpus (" + std::to_string(c.num_gpus) + ")");
  if (j.pp > m.num_hidden_layers)
    f.fail("parallel", "inconsistent_request", "parallel.pp exceeds num_hidden_layers");
  if (f.failed()) return *f.error();
  if (j.zero_stage > 0 && j.shard_group <= 1 && j.engine == Engine::deepspeed)
    warnings.push_back("zero_stage " + std::to_string(j.zero_stage) +
                       " on one data-parallel rank shards nothing: DeepSpeed still keeps its fp32 master and buffers");

  // Which weights train.
  const bool lora = j.method == Method::lora || j.method == Method::qlora;
  if (j.method == Method::full) {
    for (int r = 0; r <= static_cast<int>(Role::router_bias); ++r) j.train_roles |= uint64_t{1} << r;
    j.trainable_norm_copies = m.norms_per_layer;
    j.final_norm_trainable = true;
  }
  if (lora) {
    if (j.all_linear) {
      for (int r = 0; r <= static_cast<int>(Role::router_bias); ++r)
        if (role_is_linear(static_cast<Role>(r))) j.lora_roles |= uint64_t{1} << r;
    }
    for (const auto& t : j.lora_targets) {
      const Resolved r = resolve_module(t, m, P.name);
      if (!r.known) warnings.push_back("lora.target_modules: \"" + t + "\" matches no linear of this model and was ignored");
      j.lora_roles |= r.roles;
      j.fused_qkv_module = j.fused_qkv_module || r.fused_qkv;
      if (r.head) j.lora_roles |= role_bit(Role::lm_head);
    }
    for (const auto& t : j.modules_to_save) {
      const Resolved r = resolve_module(t, m, P.name);
      if (r.embed) j.copy_embed = true;
      if (r.head) j.copy_head = true;
    }
  }
  if (j.method == Method::freeze || j.trainable_modules_given || j.trainable_embeddings) {
    if (j.method == Method::freeze && !j.trainable_modules_given) {
      for (int r = 0; r <= static_cast<int>(Role::router_bias); ++r)
        if (r != static_cast<int>(Role::embed) && r != static_cast<int>(Role::lm_head) &&
            r != static_cast<int>(Role::pos_embed) && r != static_cast<int>(Role::final_norm))
          j.train_roles |= uint64_t{1} << r;
      j.trainable_norm_copies = m.norms_per_layer;
    }
    for (const auto& t : j.trainable_modules) {
      const Resolved r = resolve_module(t, m, P.name);
      if (!r.known) warnings.push_back("trainable_modules: \"" + t + "\" matches no module of this model and was ignored");
      j.train_roles |= r.roles;
      if (r.norm_copies != 0) {
        j.train_roles |= role_bit(Role::norm);
        j.trainable_norm_copies = std::min<int>(m.norms_per_layer, r.norm_copies < 0 ? m.norms_per_layer
                                                                                     : j.trainable_norm_copies + r.norm_copies);
      }
      if (r.final_norm) j.final_norm_trainable = true;
      if (r.embed) j.train_roles |= role_bit(Role::embed);
      if (r.head) j.train_roles |= role_bit(Role::lm_head);
    }
    if (j.trainable_embeddings) j.train_roles |= role_bit(Role::embed) | role_bit(Role::lm_head);
    if (j.method == Method::freeze && (j.trainable_layers_given || !j.trainable_modules_given))
      j.first_trainable_layer = std::max<int64_t>(0, m.num_hidden_layers - j.trainable_layers);
  }
  if (m.tie_word_embeddings && (has_role(j.train_roles, Role::lm_head) || has_role(j.train_roles, Role::embed)))
    j.train_roles |= role_bit(Role::embed) | role_bit(Role::lm_head);
  if (j.copy_embed || j.copy_head || has_role(j.train_roles, Role::embed)) j.first_trainable_layer = 0;
  return j;
}

}  // namespace llmsizer::train
