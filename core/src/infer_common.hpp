// Internal: what the inference estimators share — the parsed job, the model as the engines see
// it, weights as each framework allocates them, the activation peaks of a forward pass and of
// a sampler, and the GPU memory the CUDA driver exposes. Every constant here is documented in
// docs/model/inference.md with its source or the cases it was fitted on.
#pragma once

#include <algorithm>
#include <cmath>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "estimators.hpp"
#include "llmsizer/kv_cache.hpp"
#include "llmsizer/weights.hpp"

namespace llmsizer::infer {

inline constexpr double kMiB = 1 << 20;
inline constexpr double kGiB = 1 << 30;

// ---- Versions ------------------------------------------------------------------------------

// "0.19.0", "~0.6.5.dev", "v0.8.5.post1", "4.46.0"; anything else (commit hashes) is unknown.
struct Version {
  int major = -1, minor = 0, patch = 0;
  bool known() const { return major >= 0; }
  bool at_least(int a, int b, int c = 0) const {
    if (!known()) return false;
    if (major != a) return major > a;
    if (minor != b) return minor > b;
    return patch >= c;
  }
};
Version parse_version(std::string_view text);

// ---- The job -------------------------------------------------------------------------------

struct Job {
  std::string backend, mode, dtype, kv_cache_dtype, attention, engine, worker;
  std::string version_text;
  std::string backend_alias;  // the name the request used when it was an alias ("hf", "ollama" …)
  bool autoawq_fused = false;  // AutoAWQ fuse_layers=True: explicit (eager) prefill attention
  Version version;
  WeightFormat format;
  int dtype_bytes = 2;
  double kv_elem_bytes = 2;
  int tp = 1, pp = 1;
  int64_t batch_size = 1, input_len = 512, output_len = 128;
  bool input_len_given = true;  // false: the 512-token default prompt is assumed

  // Serving engines; 0 / unset = the engine's own default (each backend resolves it).
  int64_t max_model_len = 0;
  int64_t max_num_seqs = 0, max_num_batched_tokens = 0, block_size = 0;
  double gpu_memory_utilization = 0;
  std::optional<bool> enforce_eager, chunked_prefill, estimate_cudagraphs;
  std::string cudagraph_mode;  // "" = default
  int64_t max_cudagraph_capture_size = 0, cudagraph_num_capture_sizes = 0;
  int64_t max_loras = 0, max_lora_rank = 16, max_cpu_loras = 0;
  double swap_space_bytes = -1;
  // SGLang
  double mem_fraction_static = 0;
  int64_t chunked_prefill_size = 0, cuda_graph_max_bs = 0, page_size = 0, max_total_tokens = 0;
  // TGI
  int64_t max_batch_prefill_tokens = 0, max_batch_total_tokens = 0;
  double cuda_memory_fraction = 1.0;
  // TensorRT-LLM
  double free_gpu_memory_fraction = 0;
  int64_t max_batch_size = 0, max_num_tokens = 0, max_seq_len = 0, tokens_per_block = 0, max_beam_width = 1;
  std::string serving_stack;  // as written, lowercased
  bool nim = false;  // serving_stack "nvidia-nim": NVIDIA NIM's prebuilt TensorRT-LLM engines
  bool trtllm_pytorch_flow = false;  // TensorRT-LLM's PyTorch executor (trtllm_backend, default from 1.0) vs the engine flow
  // llama.cpp
  int64_t n_ctx = -1, n_batch = 0, n_ubatch = 0, n_gpu_layers = -1, n_parallel = 1;
  std::optional<bool> flash_attn;
  bool kv_offload = true;
  // FastChat
  int64_t limit_worker_concurrency = 5;
};

// ---- The model as the engines see it -------------------------------------------------------

// What the estimators need beyond ModelSpec: keys read from the request's config object, and,
// for keys it omits, from the preset of the same Hugging Face id (the engine would download the
// full config.json).
struct ModelInfo {
  const ModelSpec* spec = nullptr;
  int64_t max_position = 0;         // max_position_embeddings; 0 = unknown
  double rope_cache_positions = 0;  // positions in one rotary cos/sin cache (scaling included)
  int rope_caches = 0;              // 0: no rotary cache (ALiBi, learned positions); Gemma 3: local + global
  int64_t rotary_dim = 0;
  int64_t vision_params = 0;  // vision tower + projector of a multimodal checkpoint
  bool multimodal = false;
  std::string notes;  // which keys came from the preset
  std::string_view vision_source;  // a model class's default tower the request did not describe
};
ModelInfo model_info(const Common& c, const Value* model_json);
// The vision tower of the request's model (its vision_config, the preset's, or the model class's
// default); nullopt when its sizes are out of range. resolve_common stores it in Common::vision.
std::optional<Common::VisionTower> vision_tower(const Common& c, const Value* model_json);
// The backend a request names, resolved through its aliases ("hf", "trt-llm", "ollama" …):
// {our name, whether the given name was an alias}. inference.cpp.
std::pair<std::string, bool> canonical_backend(std::string_view name);
// AutoAWQ's fused modules are in use: the request names the autoawq backend (fuse_layers
// defaults to true there, as AutoAWQForCausalLM.from_quantized does) or a quant_library
// "autoawq…" with fuse_layers true. One rule for the memory and the speed model.
bool autoawq_fused(std::string_view backend_as_written, std::string_view quant_library, std::optional<bool> fuse_layers);

// ---- Pipeline stages -----------------------------------------------------------------------

struct Stage {
  int64_t first_layer = 0, last_layer = 0;
  bool first = true, last = true;
  int64_t layers() const { return last_layer - first_layer; }
};
// vLLM (distributed/utils.py get_pp_indices): L / pp layers each, the remainder going one by one
// to the stages before the last (the last stage also holds the LM head). Accelerate's
// device_map="auto" and llama.cpp's layer split are approximated by the same even split.
std::vector<Stage> pipeline_stages(int64_t num_layers, int pp);

// ---- Weights as a framework allocates them -------------------------------------------------

enum class Loader : uint8_t { vllm, sglang, tgi, trtllm, transformers };

struct StageWeights {
  double tensors = 0;                  // Σ tensor bytes (format, TP shard, vocab padding)
  double allocator_rounding = 0;       // caching-allocator block rounding counted as allocated
  double rope_cache = 0;               // rotary cos/sin cache buffers
  double relayout = 0;                 // copies made after loading (MLA W_UK/W_UV)
  double kernel_padding = 0;           // MXFP4 MoE weights padded for the kernels
  double vision = 0;                   // vision tower of a multimodal checkpoint
  std::string_view vision_source;      // ModelInfo::vision_source
  double lora = 0;                     // multi-LoRA slots (vLLM max_loras × max_lora_rank)
  double largest_linear_elements = 0;  // of this stage's quantized linears (dequant buffers)
  double total() const { return tensors + allocator_rounding + rope_cache + relayout + kernel_padding + vision + lora; }
  Value values() const;
};
StageWeights stage_weights(const ModelInfo& mi, const Job& j, Loader loader, const Stage& s);

// PyTorch's CUDA caching allocator (c10/cuda/CUDACachingAllocator.cpp): a request of s bytes
// over kMinLargeAlloc (10 MiB) gets a segment rounded up to 2 MiB; the remainder is split off
// only when it exceeds kSmallSize (1 MiB), so a remainder of ≤ 1 MiB is counted as allocated.
// With max_split_size set (vLLM ≥ 0.21 loads weights under max_split_size_mb = 20), blocks of
// 20 MiB and more are never split and the whole remainder counts.
double allocator_rounding(double bytes, bool max_split_20mib);

// ---- Activations ---------------------------------------------------------------------------

// Per-token bytes of a prefill forward at its widest point (one decoder layer's MLP, which is
// wider than attention with fused/flash kernels): `hidden_copies` hidden-sized tensors alive
// (residual, normed input, layer input …) plus gate, up and activation outputs (3 · I / tp).
// MoE layers: topk experts' intermediates per token plus any shared expert.
double forward_bytes_per_token(const ModelSpec& m, int tp, int dtype_bytes, double hidden_copies);
// vLLM's fused-MoE modular-kernel workspaces (layers/fused_moe/modular_kernel.py): workspace13
// holds max(T·k·2I/tp, T·k·h) and workspace2 T·k·I/tp elements; they persist after the forward.
double moe_workspace_bytes(const ModelSpec& m, int64_t tokens, int tp, int dtype_bytes);

// CUDA graph pool of a serving engine: per captured graph and decoder layer (kernel nodes and
// their parameters), and per captured token the outputs kept between graphs — hidden-sized
// (full h on every TP rank), intermediate- and attention-sized (sharded by TP), and MoE
// routing/intermediate buffers. `captured_tokens` = Σ of the captured batch sizes.
// `attention_bytes`: what the attention kernels keep in the graph pool when the caller knows it
// (vLLM: FlashAttention 3's split buffers, 0 for TRITON_ATTN or without FULL graphs); nullopt uses
// the fitted attention-width term.
double cuda_graph_pool_bytes(const ModelSpec& m, int tp, int dtype_bytes, int64_t layers, int64_t graphs,
                             double captured_tokens, std::optional<double> attention_bytes = std::nullopt);

// ---- GPU memory ----------------------------------------------------------------------------

// What cudaMemGetInfo reports as total: the catalog's nvidia-smi total minus the memory the
// driver reserves (nvidia-smi -q "Reserved"), modelled as kDriverReservedBase + kDriverReservedFraction · memory.
double cuda_visible_bytes(const GpuSpec& g);
inline constexpr double kDriverReservedBase = 0.24 * kGiB;
inline constexpr double kDriverReservedFraction = 0.0027;

// ---- Constants shared by the serving engines (docs/model/inference.md) -------------------

// Hidden-sized tensors alive at the MLP of an engine's forward (residual, normed input, the
// layer's input): vLLM issue #10517's V0 profile peaks (2.07 GiB at 20k tokens, 2.99 at 29k)
// fit 3·h + 3·I per token.
inline constexpr double kEngineHiddenCopies = 3;
// NCCL communicators created at start-up when tp·pp > 1: vLLM 0.19 logs 1.51–1.53 GiB of
// non-torch memory at start vs 0.51 GiB single-GPU.
inline constexpr double kNcclInitBytes = 1.0 * kGiB;
// NCCL + custom all-reduce buffers a TP forward adds (llm-d planner, vLLM 0.11: 0.6 GiB at
// TP ≥ 2 vs 0.15 GiB at TP1); used for engines without vLLM 0.19's larger buffers.
inline constexpr double kTpCommBuffersBytes = 0.45 * kGiB;

// ---- Backends ------------------------------------------------------------------------------

Result<Estimate> estimate_vllm(const Common& c, const Job& j, const ModelInfo& mi);
Result<Estimate> estimate_sglang(const Common& c, const Job& j, const ModelInfo& mi);
Result<Estimate> estimate_tgi(const Common& c, const Job& j, const ModelInfo& mi);
Result<Estimate> estimate_trtllm(const Common& c, const Job& j, const ModelInfo& mi);
Result<Estimate> estimate_transformers(const Common& c, const Job& j, const ModelInfo& mi);
Result<Estimate> estimate_llamacpp(const Common& c, const Job& j, const ModelInfo& mi);

// Shared finishing: the kv_cache block from a capacity, and GiB text for messages.
std::string gib_text(double bytes);

// The kv_cache block of an engine that preallocates `tokens` of cache in `blocks` blocks of
// `block` tokens; concurrency is counted in sequences of `context` tokens.
inline KvCacheInfo preallocated_kv(double bytes_per_token, int64_t tokens, int64_t block, int64_t blocks,
                                   int64_t context) {
  KvCacheInfo k;
  k.bytes_per_token = to_int64(std::llround(bytes_per_token));
  k.capacity_tokens = tokens;
  k.block_size = block;
  k.num_blocks = blocks;
  k.max_concurrency = static_cast<double>(tokens) / static_cast<double>(std::max<int64_t>(1, context));
  k.max_context_fit = tokens;
  return k;
}

}  // namespace llmsizer::infer
