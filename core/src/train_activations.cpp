// Activation memory of training, tensor by tensor: what autograd saves in one decoder layer of a
// modern LLM (pre-norm, GQA, SwiGLU, RMSNorm, no dropout) for each attention kernel, which
// linear inputs LoRA, QLoRA and full fine-tuning force to be kept, checkpointing, the logits and
// cross-entropy path, and the parallel layouts (shared formulas.md §4, §8; docs/model/training.md
// "Activations" cites the code each line is read from).
#include <algorithm>
#include <cmath>

#include "train_memory.hpp"

namespace llmsizer::train {
namespace {

// Layers of checkpoints kept on the GPU while the rest is offloaded (torchtune's
// OffloadActivations and Unsloth's offloaded checkpointing double-buffer the next layer).
constexpr double kOffloadResidentLayers = 2;
// torchtune CEWithChunkedOutputLoss.num_output_chunks.
constexpr double kTorchtuneLossChunks = 8;
// Fused linear cross-entropy (Liger, Cut Cross-Entropy, Unsloth CCE) never materialises the
// logits: Liger's chunk holds ≈ B·T·H/V tokens of fp32 logits and their gradient, i.e. 2·4·h
// bytes per token (liger_kernel fused_linear_cross_entropy: chunk_size = B·T / ceil(V/H)).
constexpr double kFusedLossBytesPerHidden = 8;

struct Dims {
  double h, a, akv, dq, dk, dv, I, Im, k, E, Is;
  bool gated, moe;
};

// Which linear inputs autograd must keep: a linear saves its input only when its weight needs a
// gradient (torch autograd saves `self` of mm only if mat2 requires grad). LoRA adapters read
// the same input: shared when they cast nothing and drop nothing, else each adapter saves its own.
struct LayerRules {
  const Job* j;
  int e;         // activation element bytes (linear outputs, MLP intermediates)
  int eres;      // residual-stream element bytes (fp32 under autocast over fp32 weights)
  bool trainable_layer;
  bool lora_shares_input;
  bool needs(Role r) const {
    if (trainable_layer && has_role(j->train_roles, r)) return true;
    if (has_role(j->lora_roles, r) && lora_shares_input) return true;
    if (j->bnb_saves_input && role_is_linear(r)) return true;
    return false;
  }
  bool lora(Role r) const { return has_role(j->lora_roles, r); }
};

// Bytes per token a LoRA adapter saves beyond the shared input (formulas.md §4.7, PEFT
// lora/layer.py Linear.forward: x = self._cast_input_dtype(x, lora_A.weight.dtype);
// lora_B(lora_A(dropout(x)))). DoRA also keeps the base output and the adapter output for the
// magnitude scaling (peft/tuners/lora/dora.py: (mag_norm_scale - 1) * base + mag_norm_scale * lora).
// Under autocast the fp32 cast is cast back to 16 bits for the matmul, and that copy is saved.
double adapter_extra(const Job& j, int e, double in, double out, bool shares) {
  const double ab = j.recipe == Recipe::amp ? std::min(j.adapter_bytes, e) : j.adapter_bytes;
  double b = ab * static_cast<double>(j.lora_r);  // lora_A output, saved by lora_B
  if (!shares) b += j.lora_dropout > 0 ? (ab + 1) * in : ab * in;  // dropout output + bool mask, or the cast copy
  if (j.use_dora) b += (e + ab) * out;
  return b;
}

struct LayerBytes {
  double outside_tp = 0;  // norms, residual: divided by tp only with sequence parallelism
  double inside_tp = 0;   // attention and MLP internals: divided by tp
  double per_s = 0;       // eager attention's s² term per token per context token (inside tp)
};

LayerBytes layer_bytes(const ModelSpec& m, const Job& j, const Dims& D, const LayerRules& R, bool moe_layer) {
  const Profile& P = *j.profile;
  const double e = R.e, eres = R.eres;
  LayerBytes lb;
  // Norms: eager RMSNorm saves an fp32 copy of its input (HF LlamaRMSNorm, torchtune, lit-gpt,
  // torchtitan: x.float()); fused or compiled norms save the input in its dtype. A trainable
  // norm weight also keeps the normalised input (self.weight * hidden_states).
  const bool rms = m.norm == NormKind::rms;
  const bool fused_norm = !P.norm_fp32_saved || j.compile;
  const double norm_in = (rms && !fused_norm) ? 4 : eres;
  const double nn = static_cast<double>(m.norms_per_layer);
  const double train_norms = R.trainable_layer ? static_cast<double>(j.trainable_norm_copies) : 0;
  lb.outside_tp += nn * norm_in * D.h + ((rms && !fused_norm) ? train_norms * e * D.h : 0);

  // Attention.
  const bool shares = R.lora_shares_input;
  const bool qkv_in = R.needs(Role::attn_q) || R.needs(Role::attn_k) || R.needs(Role::attn_v) ||
                      R.needs(Role::attn_q_a) || R.needs(Role::attn_kv_a);
  lb.outside_tp += qkv_in ? e * D.h : 0;  // the normed input of q/k/v (all-gathered under SP)
  const bool expand = j.kernel != Kernel::flash && D.akv < D.a && m.attention != Attention::mla;  // repeat_kv copies
  const double kv_heads = expand ? D.a : D.akv;
  const double ea = j.compute_bytes;  // attention kernels run in the compute dtype (HF casts fp32 q/k/v back)
  lb.inside_tp += ea * (D.a * D.dq + kv_heads * D.dk + kv_heads * D.dv);  // q (after RoPE), k, v
  if (j.kernel == Kernel::eager) {
    // HF eager_attention_forward: softmax(..., dtype=float32) output saved (4 B) and its cast to
    // the compute dtype saved by the second matmul.
    lb.per_s += (ea >= 4 ? 4 : 4 + ea) * D.a;
  } else {
    lb.inside_tp += 4 * D.a + ea * D.a * D.dv;  // log-sum-exp (fp32) and the output, saved by the kernel
  }
  if (R.needs(Role::attn_o) && j.kernel != Kernel::flash) lb.inside_tp += ea * D.a * D.dv;  // transpose().contiguous() copy
  if (m.attention == Attention::mla) {
    if (R.needs(Role::attn_q_b)) lb.inside_tp += e * static_cast<double>(m.q_lora_rank);
    if (R.needs(Role::attn_kv_b)) lb.inside_tp += e * static_cast<double>(m.kv_lora_rank);
  }
  // LoRA extras of attention adapters.
  if (j.fused_qkv_module && R.lora(Role::attn_q)) {
    lb.inside_tp += adapter_extra(j, R.e, D.h, D.a * D.dq + D.akv * (D.dk + D.dv), shares);
  } else {
    if (R.lora(Role::attn_q)) lb.inside_tp += adapter_extra(j, R.e, D.h, D.a * D.dq, shares);
    if (R.lora(Role::attn_k)) lb.inside_tp += adapter_extra(j, R.e, D.h, D.akv * D.dk, shares);
    if (R.lora(Role::attn_v)) lb.inside_tp += adapter_extra(j, R.e, D.h, D.akv * D.dv, shares);
  }
  if (R.lora(Role::attn_o)) lb.inside_tp += adapter_extra(j, R.e, D.a * D.dv, D.h, shares);

  // MLP.
  const bool fused_mlp = P.fused_mlp || j.compile;
  auto mlp = [&](double I, double tokens_per_token, Role g, Role u, Role d) {
    double b = 0;
    if (D.gated) {
      b += e * I * 2;                  // gate output (SiLU input) and up output (mul operand)
      if (!fused_mlp) b += e * I;      // SiLU output (mul operand); fused kernels recompute it
      if (R.needs(d)) b += e * I;      // down_proj input
      if (R.lora(g)) b += adapter_extra(j, R.e, D.h, I, shares);
      if (R.lora(u)) b += adapter_extra(j, R.e, D.h, I, shares);
    } else {
      b += e * I;                      // fc1 output (GELU input)
      if (R.needs(d)) b += e * I;      // GELU output = fc2 input
      if (R.lora(u)) b += adapter_extra(j, R.e, D.h, I, shares);
    }
    if (R.lora(d)) b += adapter_extra(j, R.e, I, D.h, shares);
    return b * tokens_per_token;
  };
  const bool mlp_in = R.needs(Role::mlp_gate) || R.needs(Role::mlp_up) || R.needs(Role::shared_gate) ||
                      R.needs(Role::shared_up) || R.needs(Role::router);
  if (!moe_layer) {
    lb.outside_tp += mlp_in ? e * D.h : 0;
    lb.inside_tp += mlp(D.I, 1, Role::mlp_gate, Role::mlp_up, Role::mlp_down);
  } else {
    lb.outside_tp += mlp_in ? e * D.h : 0;
    lb.inside_tp += 4 * D.E;  // router softmax (fp32)
    // Routed experts (HF Mixtral/Qwen-MoE loop): each token visits k experts; the gathered
    // input is kept when the expert weights train, the expert output is kept by the
    // routing-weight multiply.
    if (R.needs(Role::expert_gate) || R.needs(Role::expert_up)) lb.inside_tp += e * D.h * D.k;
    lb.inside_tp += e * D.h * D.k;
    lb.inside_tp += mlp(D.Im, D.k, Role::expert_gate, Role::expert_up, Role::expert_down);
    if (D.Is > 0) lb.inside_tp += mlp(D.Is, 1, Role::shared_gate, Role::shared_up, Role::shared_down);
  }
  return lb;
}

}  // namespace

Activations activations(const Common& c, const Job& j, bool describe) {
  const ModelSpec& m = c.model;
  const Profile& P = *j.profile;
  Activations A;
  Dims D{};
  D.h = static_cast<double>(m.hidden_size);
  D.a = static_cast<double>(m.num_attention_heads);
  D.akv = static_cast<double>(m.num_key_value_heads);
  if (m.attention == Attention::mla) {
    D.dq = static_cast<double>(m.qk_nope_head_dim + m.qk_rope_head_dim);
    D.dk = D.dq;
    D.dv = static_cast<double>(m.v_head_dim);
    D.akv = D.a;
  } else {
    D.dq = D.dk = D.dv = static_cast<double>(m.head_dim);
  }
  D.I = static_cast<double>(m.intermediate_size);
  D.gated = m.gated_mlp;
  D.moe = m.num_experts > 1;
  D.Im = static_cast<double>(m.moe_intermediate_size);
  D.k = static_cast<double>(m.num_experts_per_tok);
  D.E = static_cast<double>(m.num_experts);
  D.Is = static_cast<double>(m.shared_expert_intermediate_size);

  const bool native_amp_weights = j.recipe == Recipe::amp && P.amp_fp32_weights && j.engine != Engine::deepspeed &&
                                  j.engine != Engine::fsdp && j.engine != Engine::megatron;
  LayerRules R{&j, j.compute_bytes, j.compute_bytes, true, false};
  if (native_amp_weights && (j.method == Method::full || j.method == Method::freeze || j.base_bytes == 4)) R.eres = 4;
  // prepare_model_for_kbit_training: fp32 embeddings and norms make the residual stream and, since
  // bnb's Linear4bit returns its input's dtype, the MLP intermediates fp32.
  if (j.kbit_prepared) R.e = R.eres = 4;
  R.lora_shares_input = P.fused_lora || (j.adapter_bytes == R.e && j.lora_dropout <= 0);
  // Autocast: the adapters' input is cast per module even when the base is 16-bit.

  const double L = static_cast<double>(m.num_hidden_layers);
  const double moe_layers = D.moe ? static_cast<double>(m.num_moe_layers) : 0;
  const double grad_layers = L - static_cast<double>(j.first_trainable_layer);  // layers that keep activations
  const double frac_moe = L > 0 ? moe_layers / L : 0;
  auto blend = [&](bool trainable) {
    R.trainable_layer = trainable;
    const LayerBytes d = layer_bytes(m, j, D, R, false);
    LayerBytes lb = d;
    if (D.moe) {
      const LayerBytes mo = layer_bytes(m, j, D, R, true);
      lb.outside_tp = d.outside_tp * (1 - frac_moe) + mo.outside_tp * frac_moe;
      lb.inside_tp = d.inside_tp * (1 - frac_moe) + mo.inside_tp * frac_moe;
      lb.per_s = d.per_s * (1 - frac_moe) + mo.per_s * frac_moe;
    }
    return lb;
  };
  const LayerBytes lb = blend(true);
  const double tp = std::max(1, j.tp), cp = std::max(1, j.cp);
  const double sp = j.sequence_parallel ? tp : 1;
  // Per token of the micro-batch on this GPU (context parallelism splits the sequence).
  const double layer = (lb.outside_tp / sp + lb.inside_tp / tp) / cp;
  const double layer_s = lb.per_s / tp / cp / cp;  // × tokens × s: both the queries and the keys are split
  const double ckpt = R.eres * D.h / sp / cp;      // a checkpointed layer keeps its input
  // Gradient temporaries of the layer being differentiated (dL/dh of the MLP, the residual grads).
  const double I_eff = D.moe ? std::max(D.I * (1 - frac_moe), D.Im * D.k + D.Is) : D.I;
  // Unsloth's fused SwiGLU backward (swiglu_DWf_DW_dfg_kernel) writes the gate/up gradients into
  // the saved e, g buffers in place, so only one I-wide gradient is new.
  const double i_grads = P.fused_lora ? 1 : 2;
  const double work_extra = (2 * R.e * D.h / sp + i_grads * R.e * I_eff / tp) / cp;

  // Pipeline: this stage's layers and the micro-batches in flight on the first stage (1F1B:
  // min(p, m); interleaved × (1 + (p−1)/(p·v)); GPipe: all m) — Korthikanti §4.2.3, Megatron.
  const double pp = std::max(1, j.pp);
  const double stage_layers = grad_layers / pp;
  const double m_mb = static_cast<double>(j.pp_microbatches > 0 ? j.pp_microbatches : j.grad_accum);
  double inflight = 1;
  if (pp > 1) {
    if (j.pp_schedule == PpSchedule::gpipe) inflight = m_mb;
    else inflight = std::min(pp, m_mb) * (j.pp_schedule == PpSchedule::interleaved ? 1 + (pp - 1) / (pp * j.virtual_stages) : 1);
  }
  A.layers_here = stage_layers * inflight;

  double saved = 0, saved_s = 0;
  if (j.ckpt == Ckpt::none) {
    saved = layer * A.layers_here;
    saved_s = layer_s * A.layers_here;
  } else if (j.ckpt == Ckpt::selective) {
    if (P.selective_op) {
      // torchtitan op-level SAC: keep the layer input, every other matmul output (wq, wv, w1, w2)
      // and the attention kernel's outputs; recompute the rest.
      const double kept = (R.eres * D.h / sp + R.e * (D.a * D.dq + D.akv * D.dv + (D.moe ? D.Im * D.k + D.Is : D.I)) / tp +
                           R.e * D.h / sp + (R.e * D.a * D.dv + 4 * D.a) / tp) / cp;
      saved = kept * A.layers_here;
    } else {
      saved = layer * A.layers_here;  // Megatron selective: only core attention (the s² part) is recomputed
    }
  } else {
    saved = ckpt * A.layers_here;
  }
  double offloaded = 0;
  if (j.offload_activations) {
    const double resident = std::min(A.layers_here, kOffloadResidentLayers) / std::max(1.0, A.layers_here);
    offloaded = saved * (1 - resident);
    saved *= resident;
    saved_s *= resident;
  }
  // Outside the layers: the final norm's input, and the lm_head input when the head trains.
  const bool rms = m.norm == NormKind::rms;
  const bool fused_norm = !P.norm_fp32_saved || j.compile;
  saved += ((rms && !fused_norm) ? 4 : R.eres) * D.h / sp / cp;
  const bool head_trains = has_role(j.train_roles, Role::lm_head) || has_role(j.train_roles, Role::embed) ||
                           has_role(j.lora_roles, Role::lm_head) || j.copy_head;
  if (head_trains) saved += R.e * D.h / cp;

  const double work = (j.ckpt == Ckpt::none ? 0 : layer) + work_extra;
  const double work_s = j.ckpt == Ckpt::none ? 0 : layer_s;

  // The logits and the loss (formulas.md §4.5), per token, vocabulary split by tp.
  const double V = static_cast<double>(m.vocab_size) / tp / cp;
  const double e = j.compute_bytes;
  double lf = 0, lbk = 0;
  const char* path = "";
  if (j.loss == Loss::fused) {
    lf = lbk = kFusedLossBytesPerHidden * D.h / cp;
    path = "fused linear cross-entropy: chunks of fp32 logits and their gradient, ≈ 8·h per token";
  } else if (P.loss == LossPath::unsloth) {
    lf = lbk = e * V;
    path = "Unsloth fused cross-entropy: 16-bit logits, gradient written in place";
  } else if (P.loss == LossPath::litgpt) {
    lf = 2 * e * V;
    lbk = j.loss == Loss::chunked ? 2 * e * V : 4 * e * V;
    path = j.loss == Loss::chunked ? "lit-gpt: lm_head in 128-token chunks, cross-entropy on 16-bit logits (logits + log-softmax)"
                                   : "lit-gpt: 16-bit logits and log-softmax, their gradients in backward";
  } else if (P.loss == LossPath::megatron) {
    lf = lbk = (e + 4) * V;
    path = "Megatron vocab-parallel cross-entropy: 16-bit logits + fp32 softmax";
  } else if (P.loss == LossPath::torchtune && j.loss == Loss::chunked) {
    const double chunk = 4 * V / kTorchtuneLossChunks;
    // Compiled: the upcast, log-sum-exp and softmax gradient fuse into kernels over each 16-bit
    // chunk, leaving the 16-bit logits and one chunk's 16-bit gradient.
    if (j.compile) { lf = e * V; lbk = e * V * (1 + 1 / kTorchtuneLossChunks); }
    else { lf = e * V + 4 * V + chunk; lbk = 4 * V + 2 * chunk; }
    path = j.compile ? "torchtune CEWithChunkedOutputLoss (compiled): 16-bit logit chunks, one fp32 chunk at a time"
                     : "torchtune CEWithChunkedOutputLoss: 16-bit logit chunks + fp32 log-softmax per chunk";
  } else if (j.loss == Loss::chunked) {
    lf = lbk = kFusedLossBytesPerHidden * D.h / cp;
    path = "chunked cross-entropy: one chunk of fp32 logits at a time";
  } else {
    // transformers ForCausalLMLoss (logits.float() then cross_entropy), torchtune and torchtitan
    // (.float() then cross_entropy): forward holds the 16-bit logits, the fp32 copy and the fp32
    // log-softmax; backward the saved log-softmax, the NLL gradient and the log-softmax gradient.
    lf = (e >= 4 ? 4 : e + 4) * V + 4 * V;
    lbk = 12 * V;
    path = "16-bit logits + fp32 copy + fp32 log-softmax (forward); 3 fp32 vocab-sized tensors (backward)";
  }
  const double seqs = j.stage == Stage::dpo ? 2.0 : 1.0;  // chosen + rejected concatenated
  A.sequences = seqs;
  // Pipeline: the loss lives on the last stage, which holds one micro-batch in flight.
  double loss_scale = 1;
  if (pp > 1 && inflight > 1) {
    const double first = saved * 1.0, last = saved / inflight + std::max(lf, lbk);
    if (first >= last) loss_scale = 0;
    else { saved /= inflight; saved_s /= inflight; }
  }
  A.saved = {saved * seqs, saved_s * seqs};
  A.work = {work * seqs, work_s * seqs};
  A.loss_fwd = {lf * seqs * loss_scale, 0};
  A.loss_bwd = {lbk * seqs * loss_scale, 0};
  A.offloaded = {offloaded * seqs, 0};
  A.layer_per_token = layer;
  A.layer_per_token_s = layer_s;
  A.ckpt_per_token = ckpt;
  if (!describe) return A;
  A.values = Value::object({{"layer_bytes_per_token", layer}, {"layer_bytes_per_token_per_context_token", layer_s},
                            {"checkpoint_bytes_per_token", ckpt}, {"layers_with_activations", grad_layers},
                            {"layers_on_this_gpu_in_flight", A.layers_here}, {"loss_path", path},
                            {"loss_forward_bytes_per_token", lf}, {"loss_backward_bytes_per_token", lbk}});
  return A;
}

}  // namespace llmsizer::train
