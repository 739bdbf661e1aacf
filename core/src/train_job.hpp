// Internal: a training request as the training estimator sees it (parsed and validated by
// parse_training_job), and the framework profiles that decide what each framework really keeps
// in memory. Units: bytes, elements, tokens. Documented in docs/model/training.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmsizer/estimate.hpp"
#include "llmsizer/fields.hpp"
#include "llmsizer/result.hpp"
#include "llmsizer/weights.hpp"

namespace llmsizer::train {

enum class Method : uint8_t { full, lora, qlora, freeze };
// Precision recipe (shared formulas.md §3.2): pure 16-bit (weights, grads and torch optimizer
// states in bf16/fp16), AMP (fp32 master weights + 16-bit compute), or fp32 throughout.
enum class Recipe : uint8_t { pure16, amp, fp32 };
enum class Optim : uint8_t {
  adamw, sgd, sgd_momentum, adamw_8bit, adafactor, lion, lion_8bit,
};
enum class OptImpl : uint8_t { foreach, fused, for_loop };
enum class Ckpt : uint8_t { none, selective, full };
enum class Kernel : uint8_t { eager, sdpa, flash };
enum class Loss : uint8_t { standard, chunked, fused };
// Who holds the model states across data-parallel ranks.
enum class Engine : uint8_t { single, ddp, deepspeed, fsdp, megatron };
enum class Stage : uint8_t { sft, dpo, ppo, grpo };
enum class PpSchedule : uint8_t { one_f_one_b, interleaved, gpipe };

// How a framework computes the logits and the loss (formulas.md §4.5).
enum class LossPath : uint8_t {
  hf,        // transformers ForCausalLMLoss / older LlamaForCausalLM: bf16 logits, fp32 copy, fp32 log-softmax
  torchtune, // TransformerDecoder(...).float() + F.cross_entropy; CEWithChunkedOutputLoss when chunked
  litgpt,    // lm_head in 128-token chunks, cross_entropy on bf16 logits
  unsloth,   // fused Triton cross-entropy over bf16 logits (grad written in place)
  megatron,  // vocab-parallel fused cross-entropy in fp32
};

// What a framework keeps in memory by default. One row per framework in train_job.cpp, each
// field sourced there and in docs/model/training.md "Framework profiles".
struct Profile {
  std::string_view name;
  LossPath loss;
  bool norm_fp32_saved;     // eager RMSNorm upcasts and autograd keeps the fp32 copy of its input
  bool fused_mlp;           // SiLU·mul kernel that recomputes SiLU in backward
  bool fused_lora;          // LoRA autograd functions that save one input per block (Unsloth)
  int adapter_bytes;        // default LoRA adapter dtype: 4 (PEFT autocast_adapter_dtype) or 0 (the base dtype)
  double lora_dropout;      // default lora_dropout
  OptImpl opt_impl;         // default torch optimizer implementation
  bool amp_fp32_weights;    // "amp-*" keeps fp32 weights on the GPU and autocasts (HF Trainer, Lightning)
  Engine multi_gpu;         // what a multi-GPU run without zero_stage/fsdp keys uses
  bool fsdp_keeps_frozen_gathered;  // FSDP1 + frozen params: gathered weights not freed (pytorch#91165)
  bool selective_op;        // "selective" = torchtitan op-level SAC (else Megatron core-attention recompute)
  bool deepspeed_states;    // amp states as DeepSpeed keeps them (fp32 grad partition)
  Loss default_loss;        // the loss the framework's recipes use when the request names none
  bool unties_embeddings;   // converts tied checkpoints into separate embedding and output tensors
  double vocab_fragmentation;  // cached-but-free memory per byte of the vocabulary-sized loss tensors
};

const Profile& profile_for(std::string_view framework, bool* known);
std::vector<std::string_view> profile_names();

struct Job {
  // What was asked.
  Method method = Method::lora;
  Recipe recipe = Recipe::pure16;
  std::string precision;      // as written (after aliasing)
  int compute_bytes = 2;      // activation / working-copy element bytes
  Optim optim = Optim::adamw;
  std::string optimizer;      // canonical name
  bool paged = false;         // bitsandbytes paged state (CUDA managed memory)
  bool bnb_fp32_states = false;  // bitsandbytes 32-bit optimizers keep fp32 states for bf16 params
  bool galore = false;
  int64_t galore_rank = 128;
  OptImpl opt_impl = OptImpl::foreach;
  bool optimizer_in_backward = false;
  int64_t micro_batch_size = 1, seq_len = 2048, grad_accum = 1;
  bool seq_len_given = true;
  bool packed = false, dynamic_padding = false, compile = false, float8 = false;
  Ckpt ckpt = Ckpt::none;
  bool offload_activations = false;  // checkpointed (or all) activations live in host RAM
  Kernel kernel = Kernel::flash;
  bool kernel_fallback = false;      // FA2 asked for on a GPU without it
  Loss loss = Loss::standard;
  const Profile* profile = nullptr;
  std::string framework;
  bool framework_known = true;
  bool untie_embeddings = false;  // the framework keeps a separate output copy of a tied embedding

  // Parallel layout.
  int num_gpus = 1, tp = 1, pp = 1, dp = 1, cp = 1, ep = 1;
  bool sequence_parallel = false;
  PpSchedule pp_schedule = PpSchedule::one_f_one_b;
  int virtual_stages = 1;
  int64_t pp_microbatches = 0;  // 0 = gradient_accumulation_steps
  Engine engine = Engine::single;
  int zero_stage = 0;           // ZeRO stage or its FSDP equivalent (full_shard 3, shard_grad_op 2, no_shard 0)
  int shard_group = 1;
  bool embeddings_sharded_apart = false;  // torchtune custom_sharded_layers: embedding / output are their own FSDP units          // ranks that share one copy of the sharded states
  bool offload_optimizer = false, offload_param = false, offload_nvme = false;

  // PEFT.
  int64_t lora_r = 16;
  double lora_alpha = 32;
  double lora_dropout = 0;
  int adapter_bytes = 4;
  std::vector<std::string> lora_targets;
  bool all_linear = false, use_dora = false;
  std::vector<std::string> modules_to_save;  // PEFT ModulesToSaveWrapper: a trainable copy
  std::vector<std::string> trainable_modules;
  bool trainable_modules_given = false;
  int64_t trainable_layers = 2;
  bool trainable_layers_given = false;
  bool trainable_embeddings = false;
  // Which weights train, resolved from the method and the module names (one bit per Role).
  uint64_t lora_roles = 0;      // linears that carry an adapter
  uint64_t train_roles = 0;     // base weights that require grad
  bool fused_qkv_module = false;  // the q/k/v adapter is one module (c_attn, qkv_proj, query_key_value)
  int trainable_norm_copies = 0;  // of norms_per_layer, per trainable layer
  bool final_norm_trainable = false;
  int64_t first_trainable_layer = 0;  // layers below it need no gradients (freeze-tuning)
  bool copy_embed = false, copy_head = false;  // PEFT modules_to_save keeps a trainable copy

  WeightFormat base_format;     // frozen base weights (qlora: the quantized format)
  double mean_seq_len = 0;      // tokens per sample on average (speed); seq_len when not given
  int base_bytes = 2;           // unquantized frozen tensors
  bool bnb_saves_input = false; // bitsandbytes MatMul4Bit keeps its input (ctx.tensors = (A, B))
  bool kbit_prepared = false;   // PEFT prepare_model_for_kbit_training: non-quantized params upcast to fp32
  bool quant_shardable = true;  // quantized storage can be sharded by ZeRO-3 / FSDP
  bool quantize_lora_targets_only = false;  // torchtune QLoRA: only LoRA-wrapped linears are NF4

  // Beyond SFT.
  Stage stage = Stage::sft;
  bool reference_model = false;  // DPO/KTO/PPO/GRPO reference forward with a separate copy
  bool reward_model = false, value_model = false;
  int64_t rollout_batch = 0, rollout_len = 0;
  double rollout_gpu_memory_utilization = 0;  // vLLM co-located engine (fraction of the GPU)
};

// An optimizer as written, under our name: any case, '_' for '-', and Hugging Face
// TrainingArguments `optim` values (adamw_torch, adamw_torch_fused, adamw_bnb_8bit, lion_32bit …).
// `impl` is set to the implementation the name implies ("fused", "for-loop"), else left alone.
std::string canonical_optimizer(std::string_view name, std::string* impl = nullptr);
// Precision and checkpointing as written, under our names (any case): "bfloat16"/"bf16-true" →
// bf16, "float16"/"half" → fp16, "bf16-mixed" → amp-bf16, "32-true" → fp32; Unsloth's
// use_gradient_checkpointing="unsloth" → offload, "true"/"false" → full/none.
std::string canonical_precision(std::string_view name);
std::string canonical_checkpointing(std::string_view name);

Result<Job> parse_training_job(const Common& c, Fields& f, std::vector<std::string>& warnings);

inline uint64_t role_bit(Role r) { return uint64_t{1} << static_cast<int>(r); }
inline bool has_role(uint64_t mask, Role r) { return (mask & role_bit(r)) != 0; }

}  // namespace llmsizer::train
