// Training speed (docs/model/speed.md "Training"): hardware FLOPs per token (6·N for full
// fine-tuning, 4·N + adapters for LoRA, + a forward pass with full recomputation, + causal
// attention) against the dense peak × a calibrated efficiency per GPU generation, precision and
// framework; plus the communication that does not hide behind compute (tensor-parallel
// all-reduces, ZeRO-3/FSDP all-gathers and reduce-scatters, the data-parallel gradient
// all-reduce), the pipeline bubble (p−1)/(v·m), the optimizer step, and for eager frameworks the
// host's per-layer launch time. Outputs step time, tokens/s, MFU/HFU, time and cost to train.
#include <algorithm>
#include <cmath>
#include <string>

#include "perf_common.hpp"
#include "train_job.hpp"

namespace llmsizer::perf {
namespace {

struct Job {
  std::string method, precision, optimizer, checkpointing, attention, framework;
  int64_t micro_batch_size = 1, seq_len = 2048, grad_accum = 1;
  double mean_seq_len = 2048;  // tokens a sample really has on average (≤ seq_len)
  int zero_stage = 0;
  std::string offload_optimizer, offload_param;
  int tp = 1, pp = 1, dp = 1, cp = 1, ep = 1, virtual_pipeline = 1, shard_group = 1;
  int64_t pipeline_microbatches = 0;  // 0 = gradient_accumulation_steps
  bool full_shard = false;  // FSDP FULL_SHARD / ZeRO-3 communication
  bool fp8 = false, compiled = false;
  double power_limit_w = 0;
  double trainable_params = 0;
  int64_t trainable_layers = 2;
  double train_tokens = 0;  // 0 = not asked
};

// The memory estimator's framework aliases (train_job.cpp), spelled the way the speed model
// distinguishes frameworks: "swift" and "ms-swift" are one framework, as are "hf" and
// "transformers" (colossalai and nemo keep their own names: their factors differ).

std::string canonical_framework(std::string_view raw) {
  const std::string name = ascii_lower(raw);
  static constexpr std::pair<std::string_view, std::string_view> kSynonyms[] = {
      {"swift", "ms-swift"}, {"hf", "transformers"}, {"huggingface", "transformers"}, {"accelerate", "transformers"},
      {"llamafactory", "llama-factory"}, {"lit-gpt", "litgpt"}, {"lightning", "litgpt"}, {"megatron-lm", "megatron"},
      {"fsdp_qlora", "fsdp"}, {"fsdp-qlora", "fsdp"}};
  for (const auto& [from, to] : kSynonyms)
    if (name == from) return std::string(to);
  return name;
}

// Mirrors parse_job defaults (core/src/training.cpp): method "full", precision "bf16",
// optimizer "adamw", micro_batch_size 1, seq_len 2048, gradient_accumulation_steps 1,
// gradient_checkpointing "none" (true = "full"), attention "flash_attention_2", framework
// "transformers", zero_stage 0, offloads "none", parallel {tp 1, pp 1, cp 1, ep 1,
// dp = num_gpus / (tp·pp·cp) unless given, virtual_stages 2 for an interleaved pp_schedule},
// fsdp {sharding "full_shard", cpu_offload}, trainable_layers 2 (core/src/train_job.cpp).
Job read_job(const Common& c, Reader& r, const Estimate& e, std::vector<std::string>& warnings) {
  Job j;
  j.method = ascii_lower(r.text("method", "full"));
  j.precision = train::canonical_precision(r.text("precision", "bf16"));
  j.optimizer = train::canonical_optimizer(r.text("optimizer", "adamw"));
  j.micro_batch_size = r.integer("micro_batch_size", 1, 1, 1 << 16);
  j.seq_len = r.integer("seq_len", 2048, 1, 1 << 24);
  j.mean_seq_len = r.number("mean_seq_len", static_cast<double>(j.seq_len), 1, static_cast<double>(j.seq_len));
  j.grad_accum = r.integer("gradient_accumulation_steps", 1, 1, 1 << 20);
  j.checkpointing = train::canonical_checkpointing(r.text("gradient_checkpointing", "none"));
  if (const Value* v = r.find("gradient_checkpointing"); v && v->is_bool()) j.checkpointing = v->as_bool() ? "full" : "none";
  j.attention = ascii_lower(r.text("attention", "flash_attention_2"));
  j.framework = canonical_framework(r.text("framework", "transformers"));
  j.zero_stage = static_cast<int>(r.integer("zero_stage", 0, 0, 3));
  j.offload_optimizer = r.text("offload_optimizer", "none");
  j.offload_param = r.text("offload_param", "none");
  Reader p = r.child("parallel");
  j.tp = static_cast<int>(p.integer("tp", 1, 1, 1024));
  j.pp = static_cast<int>(p.integer("pp", 1, 1, 1024));
  j.cp = static_cast<int>(p.integer("cp", 1, 1, 1024));
  j.ep = static_cast<int>(p.integer("ep", 1, 1, 1024));
  const bool interleaved = p.text("pp_schedule", "1f1b").find("nterleav") != std::string::npos;
  j.virtual_pipeline = static_cast<int>(p.integer("virtual_stages", p.integer("virtual_pipeline", interleaved ? 2 : 1, 1, 64), 1, 64));
  j.pipeline_microbatches = p.integer("microbatches", 0, 1, 1 << 20);
  j.dp = static_cast<int>(p.integer("dp", std::max(1, c.num_gpus / (j.tp * j.pp * j.cp)), 1, 1 << 20));
  // FSDP: an object {sharding (default full_shard), cpu_offload}, a sharding name, or true.
  std::string sharding;
  if (const Value* fs = r.find("fsdp")) {
    if (fs->is_object()) {
      Reader ff = r.child("fsdp");
      sharding = ff.text("sharding", "full_shard");
      if (ff.boolean("cpu_offload", false)) j.offload_param = j.offload_optimizer = "cpu";
    } else if (fs->is_string()) {
      sharding = fs->as_string();
    } else if (fs->is_bool() && fs->as_bool()) {
      sharding = "full_shard";
    }
  }
  if (sharding == "shard_grad_op" && j.zero_stage < 2) j.zero_stage = 2;
  // FSDP-native frameworks shard fully on more than one GPU (torchtitan, llm-foundry, torchtune).
  const bool fsdp_native = j.framework == "fsdp" || j.framework == "torchtitan" || j.framework == "llm-foundry" ||
                           j.framework == "torchtune";
  j.full_shard = j.zero_stage == 3 || sharding == "full_shard" || sharding.starts_with("hybrid") || (fsdp_native && j.dp > 1);
  j.shard_group = sharding.starts_with("hybrid") ? std::min(j.dp, std::max(1, std::min(8, c.num_gpus))) : j.dp;
  j.fp8 = r.boolean("float8", false) || r.has("fp8_recipe");
  j.compiled = r.boolean("torch_compile", false);
  j.power_limit_w = r.number("gpu_power_limit_w", 0, 1, 1e5);
  j.trainable_layers = r.integer("trainable_layers", 2, 0, 1 << 20);
  if (const Value* t = e.extra.find("num_trainable_params"); t && t->is_number()) j.trainable_params = t->as_double();
  else j.trainable_params = j.method == "full" ? static_cast<double>(c.params.total) : 0;
  // Tokens to train: train_tokens, or num_epochs × dataset_tokens.
  if (auto t = r.optional_number("train_tokens", 1, 1e18)) j.train_tokens = *t;
  else if (r.has("num_epochs") || r.has("dataset_tokens")) {
    const double epochs = r.number("num_epochs", 1, 1e-6, 1e6);
    const double data = r.number("dataset_tokens", 0, 1, 1e18);
    if (data > 0) j.train_tokens = epochs * data;
    else warnings.push_back("num_epochs needs dataset_tokens (tokens in one epoch) to give a training time");
  }
  return j;
}

// Frameworks whose Python loop launches every kernel eagerly (HF Trainer family, litgpt):
// the host's launch time per layer is a floor under each micro-step.
bool eager_loop(const std::string& f) {
  return f == "transformers" || f == "deepspeed" || f == "peft" || f == "trl" || f == "llama-factory" ||
         f == "axolotl" || f == "ms-swift" || f == "litgpt" || f == "other" || f == "colossalai";
}

// GEMM efficiency of the framework relative to a tuned one (Megatron / llm-foundry), before
// torch.compile (docs/model/speed.md "Training"). Fitted: torchtitan eager (5,762 tokens/s/GPU
// on 8×H100); the HF family on the Qwen README step times; the others are assumptions.
double framework_factor(const std::string& f) {
  if (f == "megatron" || f == "nemo" || f == "fsdp" || f == "llm-foundry" || f == "unsloth") return 1.0;
  if (f == "torchtitan" || f == "torchtune") return 0.87;
  if (f == "deepspeed" || f == "colossalai") return 0.90;
  return 0.80;
}

}  // namespace

void add_training_performance(const Common& c, const Value& request, Estimate& e) {
  Reader r(&request, "", e.warnings);
  const Job j = read_job(c, r, e, e.warnings);
  Constants k(request.find("efficiency"), e.warnings);
  Value perf = Value::object();
  const GpuSpec& g = c.gpu;
  if (c.num_gpus > 1 && speed::nvlink_assumed(g))
    e.warnings.push_back(g.name + "'s record gives no NVLink bandwidth: the " + g.architecture +
                         " SXM parts' NVLink is assumed for the links between its GPUs");
  const ModelSpec& m = c.model;

  // GEMM precision and peak.
  Precision want = Precision::bf16;
  if (j.fp8) want = Precision::fp8;
  else if (j.precision == "fp32") want = Precision::fp32;
  else if (j.precision == "fp16" || j.precision == "amp-fp16") want = Precision::fp16;
  Precision used = want;
  const double peak = peak_flops(g, want, &used);
  const double peak16 = peak_flops(g, j.precision == "fp32" ? Precision::fp32 : Precision::bf16);
  if (peak <= 0) {
    e.warnings.push_back(g.name + " has no FLOP/s figure in its record: training speed is not estimated (give dense_bf16_flops)");
    e.performance = perf;
    return;
  }
  if (j.fp8 && used != Precision::fp8) e.warnings.push_back(g.name + " has no FP8 tensor cores: FP8 training runs at its 16-bit rate");

  // FLOPs per token. N = parameters a token multiplies (active experts, LM head; no lookup).
  const double n = static_cast<double>(c.params.active_compute);
  double head = 0;
  for (const auto& t : m.tensors)
    if (t.role == Role::lm_head || (t.role == Role::embed && m.tie_word_embeddings)) head += static_cast<double>(t.params());
  const double layers = static_cast<double>(m.num_hidden_layers);
  const double attn_layers = static_cast<double>(m.num_hidden_layers - m.num_cross_attention_layers);
  const double heads = static_cast<double>(m.num_attention_heads);
  const double d_qk = m.attention == Attention::mla ? static_cast<double>(m.qk_nope_head_dim + m.qk_rope_head_dim) : static_cast<double>(m.head_dim);
  const double d_v = m.attention == Attention::mla ? static_cast<double>(m.v_head_dim) : static_cast<double>(m.head_dim);
  // A sample's real length: seq_len, or the dataset's mean when given (a truncated or dynamically
  // padded dataset runs shorter batches than the longest one that sizes the memory).
  const double s = j.mean_seq_len;
  // Keys a query attends on average: causal (s+1)/2, sliding-window layers capped; eager
  // attention computes the full s×s score matrix.
  const double win_layers = static_cast<double>(std::min(m.num_sliding_layers, m.num_hidden_layers - m.num_cross_attention_layers));
  const double causal = (j.attention == "eager") ? s : (s + 1) / 2;
  const double pairs = attn_layers > 0 ? ((attn_layers - win_layers) * causal + win_layers * std::min(causal, static_cast<double>(m.sliding_window))) : 0;
  const double attn_fwd = (d_qk + d_v) * heads * pairs;  // per token, all layers
  // PaLM (Chowdhery et al. 2022, App. B) model FLOPs per token: 6N + 12·L·H·Q·T (full
  // attention); this is what MFU divides by, as llm-foundry and torchtitan do.
  const double model_flops = 6.0 * n + 6.0 * (d_qk + d_v) / 2 * heads * attn_layers * s;

  const bool full = j.method == "full";
  const bool peft = j.method == "lora" || j.method == "qlora";
  const double adapters = peft ? j.trainable_params : 0;
  double bwd_linear = 4.0 * n;  // data + weight gradients
  if (peft) bwd_linear = 2.0 * n + 4.0 * adapters;
  else if (j.method == "freeze") bwd_linear = 4.0 * std::min(n, j.trainable_params + head);
  const double fwd_linear = 2.0 * n + 2.0 * adapters;
  // "offload" is checkpointing too (the memory side reads it as full AC with the saved inputs in
  // host memory, as Unsloth and torchtune's activation offloading do): the layers are recomputed.
  const bool recompute = j.checkpointing == "full" || j.checkpointing == "offload";
  const double linear_flops = fwd_linear + bwd_linear + (recompute ? fwd_linear : 0);
  // FlashAttention-2's backward runs 5 of the forward's 2 matmuls again (2.5×, Dao 2023 §3.2).
  const double attn_flops = attn_fwd * (1.0 + 2.5 + (recompute || j.checkpointing == "selective" ? 1.0 : 0.0));
  const double hardware_flops = linear_flops + attn_flops;
  const double model_flops_run = full ? model_flops : fwd_linear + bwd_linear + 6.0 * (d_qk + d_v) / 2 * heads * attn_layers * s;

  // Efficiencies.
  const double power = power_limit_factor(g, j.power_limit_w, k.get("power_limit_exponent", 0.35));
  const double eta_arch = k.get("compute_efficiency", tensor_efficiency(g)) *
                          hidden_size_factor(static_cast<double>(m.hidden_size), k.get("hidden_size_half", 256));
  // torch.compile fuses the elementwise work around the GEMMs: torchtitan 6,667 vs 5,762 tokens/s.
  const double eta_fw = k.get("framework_efficiency",
                              std::min(1.0, framework_factor(j.framework) * (j.compiled ? k.get("compile_speedup", 1.157) : 1.0)));
  const bool low = used == Precision::fp8;
  const double eta_gemm = eta_arch * eta_fw * power * (low ? k.get("fp8_training_factor", 0.80) : 1.0);
  // Megatron/NeMo run Transformer Engine's cuDNN fused attention: engine-class on every GPU.
  const bool te = j.framework == "megatron" || j.framework == "nemo";
  const double eta_attn = eta_arch * eta_fw * power * k.get("attention_efficiency_factor", attention_relative_efficiency(g, te)) *
                          (j.attention == "eager" ? k.get("eager_attention_factor", 0.5) : 1.0);
  // One micro-batch on one GPU (its tensor/context shard of its pipeline stage).
  const double shards = static_cast<double>(j.tp) * j.cp * j.pp;
  const double tokens_mb = static_cast<double>(j.micro_batch_size) * s;
  // MoE: expert GEMMs see only the tokens routed to each expert (b·s·k/E·ep); small GEMMs run
  // below peak: efficiency × T / (T + moe_gemm_half_tokens) on the experts' share of the FLOPs.
  double moe_slowdown = 1.0;
  if (m.num_experts > 1 && n > 0) {
    double expert_active = 0;
    for (const auto& t : m.tensors)
      if (role_is_expert(t.role)) expert_active += static_cast<double>(t.params());
    expert_active *= static_cast<double>(m.num_experts_per_tok) / static_cast<double>(m.num_experts);
    const double routed = tokens_mb / j.cp * static_cast<double>(m.num_experts_per_tok) / static_cast<double>(m.num_experts) * j.ep;
    const double share = std::min(1.0, expert_active / n);
    moe_slowdown = 1.0 - share + share * (routed + k.get("moe_gemm_half_tokens", 512)) / routed;
  }
  const double t_linear = tokens_mb * linear_flops / shards / (peak * eta_gemm) * moe_slowdown;
  const double t_attn = tokens_mb * attn_flops / shards / (peak16 * eta_attn);
  // QLoRA: every pass dequantizes the 4-bit base weights: read 0.5 B, write 2 B, read 2 B per
  // weight (bitsandbytes dequantize_4bit before the 16-bit GEMM).
  double t_dequant = 0;
  if (j.method == "qlora" && g.memory_bandwidth_bytes_per_s > 0)
    t_dequant = (2.0 + (recompute ? 1.0 : 0.0)) * 4.5 * n / shards /
                (g.memory_bandwidth_bytes_per_s * k.get("elementwise_bandwidth", 0.80));
  const double t_gpu = t_linear + t_attn + t_dequant;

  const bool deepspeed = j.framework == "deepspeed";
  // Host launch time (eager Python loops).
  double t_host = 0;
  if (eager_loop(j.framework)) {
    // 4 ms fitted on litgpt's LoRA iteration times; ms-swift's Qwen LoRA runs at 512 tokens (host-
    // bound: 1.8B and 7B both give 3.2 ms per layer, GC on) launch faster (docs/model/speed.md).
    const double per_layer_default = j.framework == "ms-swift" ? 0.0032 : 0.004;
    const double per_layer = k.get("host_overhead_per_layer_train_s", per_layer_default) *
                             (j.compiled ? k.get("compile_host_factor", 0.3) : 1.0);
    t_host = per_layer * layers / j.pp * (recompute ? 4.0 / 3.0 : 1.0);
  }
  if (deepspeed && j.zero_stage == 3) {  // fetch / release hooks per layer per pass
    const double passes = 2.0 + (recompute ? 1.0 : 0.0);
    t_host += k.get("zero3_host_overhead_per_layer_s", 0.002) * passes * layers / j.pp;
  }

  // Communication per micro-batch.
  const double internode = k.get("internode_bandwidth", default_internode_bytes_per_s(g));
  const double link_eff = k.get("link_efficiency", 0.80);
  const double ar_lat = k.get("allreduce_latency_s", 25e-6);
  // DeepSpeed's ZeRO-3 fetches each module's shards from Python hooks just before it runs: its
  // collectives do not hide behind compute (fitted on the Qwen README ZeRO-3 step times).
  const double overlap = k.get("comm_overlap", deepspeed ? 0.0 : 0.80);
  double t_tp = 0;
  if (j.tp > 1) {
    const double bytes = tokens_mb / j.cp * static_cast<double>(m.hidden_size) * 2.0;
    const double n_ar = (4.0 + (recompute ? 2.0 : 0.0)) * layers / j.pp;
    t_tp = n_ar * speed::allreduce_s(bytes, j.tp, speed::link_bytes_per_s(g, j.tp, internode) * link_eff, ar_lat);
  }
  // A data-parallel group rides NVLink while the whole layout stays inside one 8-GPU node.
  auto group_link = [&](int ranks) {
    const int span = j.tp * j.pp * j.cp * ranks;
    return (span <= 8 ? speed::link_bytes_per_s(g, std::min(8, span), internode) : internode) * link_eff;
  };
  const double dp_link = group_link(j.dp);
  const double weight_elem = 2.0;  // 16-bit compute copies are gathered
  const double grad_elem = (j.precision == "amp-bf16" || j.precision == "amp-fp16" || j.precision == "fp32") ? 4.0 : 2.0;
  // Parameters one GPU holds: dense ones / (tp·pp), routed experts also / ep.
  double expert_params = 0;
  for (const auto& t : m.tensors)
    if (role_is_expert(t.role)) expert_params += static_cast<double>(t.params());
  const double total_params = static_cast<double>(c.params.total);
  const double ep_share = total_params > 0 ? (total_params - expert_params + expert_params / j.ep) / total_params : 1.0;
  const double params_gpu = total_params * ep_share / (j.tp * j.pp);
  const double trainable_gpu = j.trainable_params * ep_share / (j.tp * j.pp);
  double t_zero3 = 0;
  const int shard = j.full_shard ? std::max(1, j.shard_group) : 1;  // hybrid sharding: inside a node
  if (shard > 1) {
    const double gathers = 2.0 + (recompute ? 1.0 : 0.0);  // forward, backward (+ recompute)
    const double link = group_link(shard);
    t_zero3 = gathers * speed::allgather_s(params_gpu * weight_elem, shard, link, ar_lat * layers) +
              speed::allgather_s(trainable_gpu * grad_elem, shard, link, ar_lat * layers);
  }
  const double exposed_zero3 = std::max(0.0, t_zero3 - overlap * t_gpu);
  // Expert parallelism: each MoE layer dispatches and combines its tokens' hidden states with an
  // all-to-all, forward and backward (each tensor-parallel rank sends its sequence shard).
  double t_a2a = 0;
  if (m.num_experts > 1 && j.ep > 1) {
    const double bytes = tokens_mb / (j.cp * j.tp) * static_cast<double>(m.num_experts_per_tok) * static_cast<double>(m.hidden_size) * 2.0;
    const double moe_layers = static_cast<double>(m.num_moe_layers > 0 ? m.num_moe_layers : m.num_hidden_layers) / j.pp;
    t_a2a = (4.0 + (recompute ? 2.0 : 0.0)) * moe_layers *
            speed::allgather_s(bytes, j.ep, speed::link_bytes_per_s(g, j.ep * j.tp, internode) * link_eff, ar_lat);
  }
  // Megatron overlaps the tensor-parallel collectives with the GEMMs (TE userbuffers).
  const double exposed_tp = te ? std::max(0.0, t_tp - overlap * t_gpu) : t_tp;
  // Activation offload (torchtune OffloadActivations, gradient_checkpointing "offload"): every
  // saved tensor goes to host memory in the forward and comes back in the backward over PCIe
  // (full duplex, overlapped with compute); the link is the floor.
  double t_offload = 0;
  if (j.checkpointing == "offload") {
    double bytes = 0;
    if (const Value* v = e.extra.find("offloaded_activation_bytes"); v && v->is_number()) bytes = v->as_double();
    else  // saved tensors of a pre-norm gated-MLP layer (formulas.md §4.2), 16-bit
      bytes = tokens_mb / j.cp * 2.0 * (6.0 * static_cast<double>(m.hidden_size) + 4.0 * static_cast<double>(m.intermediate_size)) / j.tp * layers / j.pp;
    t_offload = bytes / (speed::pcie_bytes_per_s(g) * link_eff);
  }
  const double t_micro = std::max({t_gpu, t_host, t_offload}) + exposed_tp + exposed_zero3 + t_a2a;

  // Step: GA micro-batches through the pipeline, the bubble, the gradient sync, the optimizer.
  const int64_t micro_batches = j.pipeline_microbatches > 0 ? j.pipeline_microbatches : j.grad_accum;
  const double bubble = speed::pipeline_bubble_fraction(j.pp, micro_batches, j.virtual_pipeline);
  double t_step = static_cast<double>(j.grad_accum) * t_micro * (1.0 + bubble);
  // DDP / ZeRO-1/2: one all-reduce (or reduce-scatter + all-gather) of the gradients per step;
  // hybrid sharding all-reduces each shard across the replicas. Overlapped with the backward.
  double t_grad_sync = 0;
  const int replicas = j.dp / shard;
  if (replicas > 1) {
    const double bytes = trainable_gpu / shard * grad_elem;
    t_grad_sync = std::max(0.0, speed::allreduce_s(bytes, replicas, shard > 1 ? internode * link_eff : dp_link, ar_lat) -
                                    overlap * t_gpu * 2.0 / 3.0);
  }
  // Optimizer: bandwidth-bound update of this GPU's shard of states.
  const double master = (j.precision == "amp-bf16" || j.precision == "amp-fp16" || j.precision == "fp32") ? 4.0 : 2.0;
  double state = 2.0 * master;  // Adam m, v
  if (j.optimizer == "adamw-8bit" || j.optimizer == "paged-adamw-8bit") state = 2.0;
  else if (j.optimizer == "sgd") state = 0;
  else if (j.optimizer == "sgd-momentum" || j.optimizer == "lion") state = master;
  else if (j.optimizer == "adafactor") state = 0.1;
  const double opt_bytes = 2.0 * (master + state) + grad_elem + (master > 2 ? 2.0 : 0.0);  // read+write, + 16-bit copy
  // Megatron/NeMo use the distributed optimizer (states sharded over data-parallel ranks).
  const bool sharded_optimizer = j.zero_stage >= 1 || j.full_shard || te;
  const double opt_shard = sharded_optimizer ? trainable_gpu / j.dp : trainable_gpu;
  double t_opt = 0;
  if (j.offload_optimizer != "none") {
    const int per_node = std::min(8, c.num_gpus);
    t_opt = opt_shard * per_node * opt_bytes / k.get("host_optimizer_bandwidth", 200e9) +
            opt_shard * (grad_elem + 2.0) / speed::pcie_bytes_per_s(g);  // PCIe down and up
    if (j.offload_optimizer == "nvme") t_opt *= 2;
  } else if (g.memory_bandwidth_bytes_per_s > 0) {
    t_opt = opt_shard * opt_bytes / (g.memory_bandwidth_bytes_per_s * k.get("elementwise_bandwidth", 0.80));
  }
  if (j.offload_param != "none") {  // parameters stream host → GPU for every pass
    const double passes = 2.0 + (recompute ? 1.0 : 0.0);
    const double h2d = passes * params_gpu / std::max(1, j.dp) * weight_elem / speed::pcie_bytes_per_s(g);
    t_step += static_cast<double>(j.grad_accum) * std::max(0.0, h2d - overlap * t_gpu);
  }
  t_step += t_grad_sync + t_opt;

  const int gpus_used = std::max(1, std::min(c.num_gpus, j.tp * j.pp * j.cp * j.dp));
  const double tokens_step = static_cast<double>(j.micro_batch_size) * s * j.grad_accum * j.dp;
  double tokens_per_s = tokens_step / t_step;
  // An MFU override fixes the end-to-end rate.
  if (k.overridden("mfu")) {
    const double mfu = k.get("mfu", 0.4);
    if (mfu > 0) {
      tokens_per_s = mfu * peak * gpus_used / model_flops_run;
      t_step = tokens_step / tokens_per_s;
    }
  }
  const double mfu = model_flops_run * tokens_per_s / (gpus_used * peak);
  const double hfu = hardware_flops * tokens_per_s / (gpus_used * peak);

  perf.set("step_time_s", t_step);
  perf.set("micro_step_time_s", t_step / j.grad_accum);
  perf.set("tokens_per_s", tokens_per_s);
  perf.set("tokens_per_s_per_gpu", tokens_per_s / gpus_used);
  perf.set("samples_per_s", tokens_per_s / s);
  perf.set("mfu", mfu);
  perf.set("hfu", hfu);
  perf.set("model_flops_per_token", model_flops_run);
  perf.set("hardware_flops_per_token", hardware_flops);
  perf.set("model_tflops_per_gpu", model_flops_run * tokens_per_s / gpus_used / 1e12);
  perf.set("hardware_tflops_per_gpu", hardware_flops * tokens_per_s / gpus_used / 1e12);
  perf.set("precision", precision_name(used));
  if (j.pp > 1) perf.set("pipeline_bubble", bubble);
  Value b = Value::object();
  b.set("compute_s", t_gpu);
  if (t_host > 0) b.set("host_s", t_host);
  b.set("tensor_parallel_s", exposed_tp);
  b.set("zero3_exposed_s", exposed_zero3);
  if (t_a2a > 0) b.set("expert_all_to_all_s", t_a2a);
  b.set("grad_sync_exposed_s", t_grad_sync);
  b.set("optimizer_s", t_opt);
  if (t_offload > 0) b.set("activation_offload_s", t_offload);
  b.set("bound", t_offload > std::max(t_gpu, t_host) ? "pcie" : t_host > t_gpu ? "host" : "compute");
  perf.set("micro_step", b);
  double total = 0;
  if (j.train_tokens > 0) {
    total = j.train_tokens / tokens_per_s;
    perf.set("train_tokens", j.train_tokens);
    perf.set("total_time_s", total);
  }
  add_cost(g, gpus_used, tokens_per_s, total, r, perf);
  perf.set("efficiency", k.used());
  k.warn_unused();
  e.performance = std::move(perf);

  e.extra.set("tokens_per_s_per_gpu", tokens_per_s / gpus_used);
  e.extra.set("samples_per_s", tokens_per_s / s);
  // litgpt's "time for 1k iterations": an iteration is one micro-batch forward + backward, the
  // optimizer step (every gradient_accumulation_steps iterations) amortised over them.
  e.extra.set("time_per_1k_iterations_s", 1000.0 * tokens_step / tokens_per_s / static_cast<double>(j.grad_accum));
  e.extra.set("hfu", hfu);
  // Achieved TFLOP/s as Megatron counts them (recomputation included).
  e.extra.set("tflops_per_gpu", hardware_flops * tokens_per_s / gpus_used / 1e12);
}

}  // namespace llmsizer::perf
