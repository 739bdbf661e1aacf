// Training model states per GPU: frozen and trainable weights, gradients, optimizer states and
// the step's fixed transients, as each engine keeps them (shared formulas.md §3; sources per
// line in docs/model/training.md "Model states").
#include <algorithm>
#include <cmath>

#include "llmsizer/kv_cache.hpp"
#include "train_memory.hpp"

namespace llmsizer::train {
namespace {

// bitsandbytes optim/optimizer.py : Optimizer2State.init_state — 8-bit blockwise states with one
// fp32 absmax per 256 elements; tensors under min_8bit_size = 4096 elements keep fp32 states.
constexpr double kBnbBlock = 256;
constexpr double kBnbMin8bitSize = 4096;
// bitsandbytes optim/optimizer.py : get_state_buffer — only tensors of ≥ 1e5 elements are paged.
constexpr double kBnbPagedMinElements = 1e5;
// DeepSpeed zero/config.py: reduce_bucket_size and allgather_bucket_size default 5e8 elements.
constexpr double kZeroBucketElements = 5e8;

// Optimizer-state bytes of one tensor instance of `numel` elements (rows × cols when 2-D), whose
// states a torch optimizer would keep in `state_elem` bytes (the dtype of the parameter it updates).
double state_bytes(const Job& j, double rows, double cols, bool vector, double state_elem, bool galore_target) {
  const double numel = rows * cols;
  const bool eight = j.optim == Optim::adamw_8bit || j.optim == Optim::lion_8bit;
  const int nstates = (j.optim == Optim::adamw || j.optim == Optim::adamw_8bit) ? 2
                      : (j.optim == Optim::sgd) ? 0 : 1;
  auto per_elem = [&](double n) {
    if (eight) return n < kBnbMin8bitSize ? 4.0 * nstates : nstates * (1.0 + 4.0 / kBnbBlock);
    return nstates * (j.bnb_fp32_states ? 4.0 : state_elem);
  };
  if (j.galore && galore_target && !vector) {
    // GaLore (Zhao et al. 2024, galore_torch GaLoreProjector): states of the rank-R projected
    // gradient plus the projection matrix (min(rows, cols) × R, parameter dtype).
    const double R = static_cast<double>(j.galore_rank);
    const double small = std::min(rows, cols), big = std::max(rows, cols);
    if (R < small) return small * R * state_elem + (j.optim == Optim::adafactor ? (R + big) * state_elem : R * big * per_elem(R * big) / 1.0);
  }
  if (j.optim == Optim::adafactor) {
    // Shazeer & Stern 2018 (HF transformers Adafactor, beta1=None): row and column second-moment
    // factors for a matrix, a full second moment for a vector.
    return vector ? numel * state_elem : (rows + cols) * state_elem;
  }
  return numel * per_elem(numel);
}

}  // namespace

States model_states(const Common& c, const Job& j, bool describe) {
  const ModelSpec& m = c.model;
  const Profile& P = *j.profile;
  States s;
  const bool lora = j.method == Method::lora || j.method == Method::qlora;
  const int64_t L = m.num_hidden_layers;
  WeightFormat plain;
  parse_weight_format("none", plain);
  const WeightBytes wb = weight_bytes(m, plain, 2, j.tp, j.pp);
  const double f_model = wb.total > 0 ? wb.per_gpu / wb.total : 1.0;  // this GPU's share of the model (tp × pp)
  const int N = std::max(1, j.shard_group);
  const bool ds = j.engine == Engine::deepspeed, fsdp = j.engine == Engine::fsdp, mega = j.engine == Engine::megatron;
  const bool shard_params = (ds || fsdp) && j.zero_stage >= 3 && N > 1;
  const bool shard_grads = (ds || fsdp) && j.zero_stage >= 2 && N > 1;
  const bool shard_states = ((ds || fsdp) && j.zero_stage >= 1 && N > 1) || (mega && N > 1);
  const bool amp = j.recipe == Recipe::amp, fp32 = j.recipe == Recipe::fp32;
  const bool native_amp = amp && !ds && !fsdp && !mega;  // HF Trainer / Lightning autocast over fp32 weights
  const bool fsdp_mp = amp && fsdp;

  // Element bytes of the trainable parameters, by piece (formulas.md §3.2 per engine).
  const double w_bytes = (fp32 || native_amp || fsdp_mp) ? 4 : 2;  // the parameter as stored
  const double g_bytes = (fp32 || native_amp || fsdp_mp) ? 4 : 2;  // its gradient
  const double master_bytes = (ds || mega) && amp ? 4 : 0;          // separate fp32 master
  const double g32_bytes = ((ds && amp) ? 4 : 0) + (mega && amp ? 2 : 0);  // DS fp32 grad partition; Megatron fp32 main grads (2 → 4)
  const double state_elem = (amp || fp32) ? 4 : 2;

  double trainable_here = 0, adapter_here = 0, frozen_here = 0, opt_here = 0, paged_here = 0;
  double largest_train_tensor = 0, cast_elems = 0, layer_params = 0, frozen_quant_here = 0;
  double largest_quant_weight = 0, quant_bytes = 0, quant_elems = 0;
  auto account = [&](const Tensor& t) {
    const double share = f_model / (role_is_expert(t.role) ? std::max(1, j.ep) : 1);
    const double elems = static_cast<double>(t.params());
    if (elems <= 0) return;
    // Trainable fraction of this tensor group.
    double frac = 0;
    if (t.role == Role::final_norm) frac = j.final_norm_trainable ? 1 : 0;
    else if (has_role(j.train_roles, t.role)) {
      frac = 1;
      if (t.role == Role::norm && t.copies == m.norms_per_layer && m.norms_per_layer > 0)
        frac = static_cast<double>(j.trainable_norm_copies) / static_cast<double>(m.norms_per_layer);
      if (t.first_layer >= 0 && j.first_trainable_layer > t.first_layer)
        frac *= static_cast<double>(std::max<int64_t>(0, t.last_layer - std::max<int64_t>(t.first_layer, j.first_trainable_layer))) /
                static_cast<double>(t.layers());
    }
    const double train_e = elems * frac;
    if (t.first_layer >= 0) layer_params += static_cast<double>(t.elements_per_layer()) / std::max(1, j.tp) /
                                            (role_is_expert(t.role) ? std::max(1, j.ep) : 1);
    // Frozen part, in its storage format.
    const bool quantize = j.method == Method::qlora && (!j.quantize_lora_targets_only || has_role(j.lora_roles, t.role));
    double bytes = tensor_bytes(t, quantize ? j.base_format : plain, j.base_bytes, L);
    if (j.kbit_prepared && bytes >= elems * j.base_bytes) bytes = elems * 4;  // upcast to fp32
    const double frozen_b = bytes * (1 - frac) * share;
    const double tp_share = 1.0 / std::max(1, j.tp) / (role_is_expert(t.role) ? std::max(1, j.ep) : 1);
    const double stored = (bytes * (1 - frac) + elems * frac * 2) * tp_share;
    if (t.first_layer >= 0) s.layer_stored_bytes += stored / static_cast<double>(std::max<int64_t>(1, L));
    if (t.role == Role::embed) s.embed_stored_bytes += stored;
    if (t.role == Role::lm_head || (t.role == Role::embed && m.tie_word_embeddings)) s.head_stored_bytes += stored;
    frozen_here += frozen_b;
    if (quantize && bytes < elems * j.base_bytes) {
      quant_bytes += bytes;
      quant_elems += elems;
      frozen_quant_here += frozen_b;
      largest_quant_weight = std::max(largest_quant_weight, static_cast<double>(t.out_features * t.in_features) * share * 2);
    }
    if (native_amp && j.base_bytes == 4 && !t.vector && t.role != Role::embed && t.role != Role::pos_embed)
      cast_elems += elems * share;  // frozen fp32 weights: autocast copies saved for input grads
    // Trainable base part.
    if (train_e > 0) {
      const double inst = static_cast<double>(t.out_features * t.in_features);
      trainable_here += train_e * share;
      s.trainable += train_e;
      largest_train_tensor = std::max(largest_train_tensor, inst * share * (t.first_layer < 0 ? 1 : 1));
      const double instances = train_e / inst;
      const double st = state_bytes(j, static_cast<double>(t.out_features), static_cast<double>(t.in_features), t.vector,
                                    state_elem, role_is_linear(t.role)) * instances * share;
      if (j.paged && inst >= kBnbPagedMinElements) paged_here += st; else opt_here += st;
      if (native_amp && !t.vector && t.role != Role::embed) cast_elems += train_e * share;
    }
    // LoRA / DoRA adapters (Hu et al. 2021: r·(in + out) per adapted linear; DoRA adds a magnitude
    // vector of out). A fused q/k/v module shares one A.
    const bool head_target = t.role == (m.tie_word_embeddings ? Role::embed : Role::lm_head) && has_role(j.lora_roles, Role::lm_head);
    if (lora && (has_role(j.lora_roles, t.role) || head_target)) {
      const double r = static_cast<double>(j.lora_r);
      const double n = static_cast<double>(t.copies * t.layers());
      const double in = static_cast<double>(t.in_features), out = static_cast<double>(t.out_features);
      const bool shared_a = j.fused_qkv_module && (t.role == Role::attn_k || t.role == Role::attn_v);
      const double a_elems = shared_a ? 0 : r * in, b_elems = r * out;
      const double p = (a_elems + b_elems + (j.use_dora ? out : 0)) * n;
      s.adapter_params += p;
      s.trainable += p;
      adapter_here += p * share;
      const double ab = j.adapter_bytes;
      const double st = (state_bytes(j, r, in, false, (ds && amp) ? 4 : ab, false) * (shared_a ? 0 : 1) +
                         state_bytes(j, out, r, false, (ds && amp) ? 4 : ab, false) +
                         (j.use_dora ? state_bytes(j, 1, out, true, ab, false) : 0)) * n * share;
      opt_here += st;  // adapters are small: paging and sharding hardly matter
    }
    // PEFT modules_to_save: a trainable copy next to the frozen original.
    if ((j.copy_embed && t.role == Role::embed) || (j.copy_head && t.role == Role::lm_head)) {
      trainable_here += elems * share;
      s.trainable += elems;
      largest_train_tensor = std::max(largest_train_tensor, elems * share);
      opt_here += state_bytes(j, static_cast<double>(t.out_features), static_cast<double>(t.in_features), false, state_elem, false) * share;
    }
  };
  for (const auto& t : m.tensors) account(t);
  if (j.untie_embeddings) account(Tensor{Role::lm_head, m.vocab_size, m.hidden_size});  // lit-gpt's separate lm_head copy
  s.params = static_cast<double>(c.params.total);
  s.largest_layer_params = layer_params / std::max<int64_t>(1, L);

  // ---- Trainable weights, masters, gradients, optimizer states by engine -------------------
  const double ab = (ds && amp) ? 2 : j.adapter_bytes;  // DeepSpeed casts the module (adapters too) to 16 bits
  double tw = trainable_here * w_bytes, aw = adapter_here * ab;
  double master = (trainable_here + adapter_here) * master_bytes;
  double grads = trainable_here * g_bytes + adapter_here * ab;
  double g32 = (trainable_here + adapter_here) * g32_bytes;
  double opt = opt_here, paged = paged_here;
  // The vision tower of a multimodal model trains frozen (LLaMA-Factory freeze_vision_tower and
  // ms-swift freeze_vit default to true), whole on the first pipeline stage; bitsandbytes QLoRA
  // quantizes its linear layers as it does the language model's (every nn.Linear but lm_head).
  if (c.vision.params > 0) {
    const double per_param = j.method == Method::qlora && quant_elems > 0 ? quant_bytes / quant_elems : j.base_bytes;
    s.vision = static_cast<double>(c.vision.params) * per_param;
    frozen_here += s.vision;
    if (j.method == Method::qlora && quant_elems > 0) frozen_quant_here += s.vision;
  }
  double frozen = frozen_here;
  if (ds && amp && lora) grads = adapter_here * 2 + trainable_here * 2;
  if (shard_params) {
    tw /= N;
    aw /= N;
    if (j.method != Method::qlora || j.quant_shardable) frozen /= N;
    else frozen = (frozen - frozen_quant_here) / N + frozen_quant_here;
  }
  if (shard_grads) { grads /= N; }
  if (shard_states) { master /= N; g32 /= N; opt /= N; paged /= N; }
  if (fsdp && j.zero_stage == 2 && N > 1) tw += trainable_here * 2;  // SHARD_GRAD_OP keeps unsharded 16-bit params
  // FSDP1 with frozen params: the gathered weights stay allocated after forward (lit-gpt 2023
  // table: FSDP barely lowered LoRA memory; pytorch#91165).
  if (fsdp && shard_params && P.fsdp_keeps_frozen_gathered && frozen_here > 0) s.frozen_gathered = frozen_here;

  // Offload to host RAM (ZeRO-Offload, ZeRO-Infinity, FSDP CPUOffload).
  double host = 0;
  if (j.offload_optimizer || (fsdp && j.offload_param)) {
    host += master + g32 + opt + paged + (fsdp ? grads : 0);
    if (ds) host += grads;  // the 16-bit gradient partition is copied to host for the CPU Adam step
    master = g32 = opt = paged = 0;
    if (fsdp) grads = 0;
  }
  if (j.offload_param) {
    host += tw + aw + frozen;
    tw = aw = 0;
    frozen = 0;
    s.frozen_gathered = 0;
  }

  // Transients and buffers.
  const double g_unit = (trainable_here > 0 ? g_bytes : ab);
  if (j.optimizer_in_backward) {
    // torchtune / torchtitan optimizer-in-backward: each parameter steps in its grad hook and its
    // gradient is freed, so only the largest gradient is alive at once.
    s.in_backward_grad = largest_train_tensor * g_unit / (shard_grads ? N : 1);
    grads = 0;
  }
  const double state_count = (j.optim == Optim::adamw) ? 1 : 0;
  if (!j.offload_optimizer && !(fsdp && j.offload_param) && !j.optimizer_in_backward) {
    const double updated = (trainable_here + adapter_here) / (shard_states ? N : 1);
    if (j.opt_impl == OptImpl::foreach && !ds && !mega && !j.paged && j.optim != Optim::adamw_8bit && !j.bnb_fp32_states)
      // torch.optim._multi_tensor_adam(w): exp_avg_sq_sqrt = torch._foreach_sqrt(exp_avg_sqs) is one
      // parameter-sized list in the state dtype (NOTES: ms-swift Qwen-7B full, +2 B/param).
      s.step_transient = updated * state_elem * state_count;
    else if (j.opt_impl == OptImpl::for_loop || j.optim == Optim::adafactor)
      s.step_transient = largest_train_tensor * 4;
  }
  if (native_amp) s.cast_copies = cast_elems * 2;  // torch autocast weight cache / saved casts (HF docs: 6 B/param)
  const double V = static_cast<double>(m.vocab_size), h = static_cast<double>(m.hidden_size);
  if (shard_params) {
    // Gathered units: the current and the prefetched decoder layer, plus the root unit (output
    // layer, and with FSDP the embedding unless sharded separately), in 16 bits; and one
    // layer's unsharded gradients (+ an fp32 copy when FSDP reduces in fp32).
    // FSDP2 keeps the root unit (embedding, final norm, output) unsharded from forward to
    // backward unless the embedding and output are their own units (torchtune
    // custom_sharded_layers); DeepSpeed fetches the output layer module by module.
    const bool root_whole = fsdp && !j.embeddings_sharded_apart && !m.tie_word_embeddings;
    const double root = s.head_stored_bytes + (root_whole ? s.embed_stored_bytes : 0);
    s.gathered = 2 * s.layer_stored_bytes + root;
    if (trainable_here > 0) s.gathered += s.largest_layer_params * (fsdp_mp ? 6 : 2) * std::min(1.0, trainable_here / std::max(1.0, s.params * f_model));
    if (ds) s.gathered += h * h * 2;  // HF "auto" reduce_bucket_size = hidden²
    // FSDP2 under torch.distributed.pipelining (torchtitan): apply_fsdp turns reshard_after_forward
    // off with PP ("to avoid per-microbatch all-gathers"), and the stage's
    // backward_maybe_with_nosync keeps parameters unsharded and skips the gradient reduce-scatter
    // until the last micro-batch (set_reshard_after_backward / set_requires_gradient_sync False);
    // FSDP2 accumulates those unsharded gradients in the reduce dtype (fp32). The stage's whole
    // 16-bit parameters and an fp32 copy of their gradients are alive through the step.
    if (fsdp && j.pp > 1 && P.name == "torchtitan") {
      s.pipeline_unsharded = true;
      const double train16 = (trainable_here + adapter_here) * 2;
      s.gathered = train16 + frozen_here + (trainable_here + adapter_here) * 4 + root;
    }
  }
  if (ds && j.zero_stage <= 2)  // reduce (stage 0: allreduce) and allgather buckets, 16-bit
    s.bucket = 2 * std::min(kZeroBucketElements, trainable_here + adapter_here) * 2;
  if (j.engine == Engine::ddp && j.dp > 1) s.bucket = grads;  // DDP Reducer buckets (gradient_as_bucket_view=False)
  if (j.method == Method::qlora) s.dequant = largest_quant_weight;  // one weight dequantized to 16 bits per matmul
  const bool head_trains = has_role(j.train_roles, Role::lm_head) || has_role(j.train_roles, Role::embed) || j.copy_head;
  if (head_trains && !ds && !j.optimizer_in_backward) s.head_grad = V * h / std::max(1, j.tp) * g_bytes / (shard_grads ? N : 1);

  // Preference / RL stages: reference and reward models are frozen 16-bit copies of the policy
  // (LoRA references are the base with adapters disabled); a value model trains like the policy.
  const double model_16 = wb.per_gpu / (shard_params ? N : 1);
  if (j.reference_model && !lora) frozen += model_16;
  if (j.reward_model) frozen += model_16;
  if (j.value_model) {
    if (lora) { aw += adapter_here * ab; grads += adapter_here * ab; opt += opt_here / (shard_states ? N : 1) * adapter_here / std::max(1.0, adapter_here + trainable_here); frozen += model_16; }
    else { tw *= 2; master *= 2; grads *= 2; g32 *= 2; opt *= 2; }
  }
  if (j.rollout_gpu_memory_utilization > 0) s.rollout = j.rollout_gpu_memory_utilization * static_cast<double>(c.gpu.memory_bytes);
  else if (j.rollout_batch > 0 && j.rollout_len > 0)
    s.rollout = kv_bytes_for_sequence(m, j.rollout_len, 2, j.tp, true) * static_cast<double>(j.rollout_batch);

  s.frozen = frozen;
  s.train_weights = tw;
  s.adapter_weights = aw;
  s.master = master;
  s.grads = grads + g32;
  s.grads_persist = ds || mega || j.grad_accum > 1;
  s.optimizer = opt;
  s.paged = paged;
  s.host = host;
  if (!describe) return s;
  auto count = [](double x) { return std::isfinite(x) && x > 0 ? to_int64(std::min(std::round(x), 9.0e18)) : int64_t{0}; };
  s.values = Value::object({{"params", count(s.params)}, {"trainable_params", count(s.trainable)}, {"adapter_params", count(s.adapter_params)},
                            {"weight_bytes_per_param", w_bytes}, {"grad_bytes_per_param", g_bytes},
                            {"state_bytes_per_element", state_elem}, {"shard_group", N},
                            {"model_share", f_model}});
  return s;
}

}  // namespace llmsizer::train
