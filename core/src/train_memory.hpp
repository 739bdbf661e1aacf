// Internal: the two halves of the training memory model. Model states (train_states.cpp,
// shared formulas.md §3) do not depend on the batch; activations and the loss path
// (train_activations.cpp, §4) are linear in tokens except eager attention's s² term, so the
// reverse solvers (largest micro-batch, longest sequence) evaluate them cheaply.
#pragma once

#include "llmsizer/estimate.hpp"
#include "train_job.hpp"

namespace llmsizer::train {

// Per-GPU model-state bytes and the step's fixed transients. Every field in bytes unless named.
struct States {
  double params = 0;             // model parameters (whole model)
  double trainable = 0;          // trainable parameters (whole model, incl. adapters)
  double adapter_params = 0;     // of which LoRA/DoRA adapters
  double frozen = 0;             // frozen weights resident on this GPU (quantized base, reference copies)
  double vision = 0;             // of which: the frozen vision tower of a multimodal model (before sharding)
  double frozen_gathered = 0;    // FSDP1 keeping gathered frozen weights (pytorch#91165)
  double train_weights = 0;      // trainable base params in their working dtype, resident
  double adapter_weights = 0;    // LoRA/DoRA adapters and PEFT modules_to_save copies, resident
  double master = 0;             // fp32 master copy kept by DeepSpeed / FSDP mixed precision / Megatron
  double grads = 0;              // gradients once backward is done (as the engine keeps them)
  bool grads_persist = false;    // kept between micro-batches / steps (DeepSpeed partitions, GA > 1)
  double optimizer = 0;          // optimizer states counted by torch's allocator
  double paged = 0;              // bitsandbytes paged states (CUDA managed memory, outside torch counters)
  double step_transient = 0;     // foreach optimizer temporaries at step()
  double cast_copies = 0;        // autocast 16-bit copies of fp32 weights, live forward→backward
  double gathered = 0;           // ZeRO-3 / FSDP gathered units and buckets, live forward→backward
  bool pipeline_unsharded = false;  // FSDP2 under torch pipelining: the whole stage stays unsharded
  double bucket = 0;             // DDP reducer / ZeRO-1/2 buckets
  double dequant = 0;            // one dequantized base weight (quantized linears)
  double head_grad = 0;          // lm_head gradient allocated at the start of backward (full FT)
  double in_backward_grad = 0;   // optimizer-in-backward: the largest gradient alive at once
  double host = 0;               // this rank's states offloaded to host RAM
  double rollout = 0;            // co-located rollout engine (PPO/GRPO)
  double largest_layer_params = 0;
  double layer_stored_bytes = 0;   // one decoder layer as stored (frozen in its format, trainable in 16 bits), this GPU's tp share
  double embed_stored_bytes = 0, head_stored_bytes = 0;
  Value values = Value::object();
};

// `describe` = false skips the explanatory values (the reverse solvers build many models).
States model_states(const Common& c, const Job& j, bool describe = true);

// Activation and loss bytes for one micro-batch, as coefficients of tokens (b·s) and of b·s².
struct Linear { double per_token = 0, per_token_s = 0; };
struct Activations {
  Linear saved;        // saved for backward at the end of forward (checkpoints or everything)
  Linear work;         // backward working set: one layer recomputed + its gradient temporaries
  Linear loss_fwd;     // logits and loss at the end of forward
  Linear loss_bwd;     // logits and loss at the start of backward
  Linear offloaded;    // moved to host RAM (activation offload)
  double layer_per_token = 0;       // one layer, no checkpointing (for the formula)
  double layer_per_token_s = 0;
  double ckpt_per_token = 0;        // one checkpointed layer
  double layers_here = 0;           // decoder layers on this GPU × micro-batches in flight
  double sequences = 1;             // sequences per micro-batch per sample (2 for DPO pairs)
  Value values = Value::object();
};

Activations activations(const Common& c, const Job& j, bool describe = true);

inline double eval(const Linear& l, double tokens, double s) { return l.per_token * tokens + l.per_token_s * tokens * s; }

}  // namespace llmsizer::train
