// vLLM: the KV cache is whatever is left of gpu_memory_utilization × total device memory after
// the weights, the profiling run's activation peak and the non-torch memory that run added;
// CUDA graphs are captured afterwards. Sources: vllm/v1/worker/gpu_worker.py
// (determine_available_memory, compile_or_warm_up_model), v1/worker/gpu_model_runner.py
// (profile_run, _dummy_sampler_run, capture_model), v1/core/kv_cache_utils.py, the V0
// worker.py variants; calibration: shared/reference/calibration/NOTES-inference.md §1–3.
// Every constant: docs/model/inference.md "vLLM".
#include <algorithm>
#include <cmath>

#include "infer_common.hpp"

namespace llmsizer::infer {
namespace {

// ---- Calibrated constants (docs/model/inference.md "vLLM constants") ----------------------
// Dummy sampler (top-k + top-p + temperature over max_num_seqs rows of full-vocab logits), bytes
// per logit. Sort-based top-k/top-p (V0, and V1 before 0.17): bf16 2 + fp32 4 + sorted values 4
// + indices 8 + softmax of the sorted values 4 + scatter 4 + probs 4 + logprobs 4 + exponential
// noise 4 + mask 1 = 39 — PR #10511's 1.26 GiB at 256 rows of 128,256 logits; llm-d's
// Qwen3-14B 5.64 GiB at v0.16. The sort-free kernel of ≥ 0.17 keeps bf16 2 + fp32 4 + probs 4
// + one fp32 temporary 4 = 14 — fitted on the v0.19 sweep (NOTES §2: "vocab × ~14 B × 1024").
constexpr double kSortSamplerBytesPerLogit = 39;
constexpr double kSortFreeSamplerBytesPerLogit = 14;
// Profiling-run allocations that do not scale with the batch (attention metadata, sampling
// tensors, persistent input buffers of the dummy batch): fitted on the dense TP1 v0.19 runs.
constexpr double kV1ProfileBaseBytes = 0.13 * kGiB;
// Hidden-sized tensors at the MLP of V1's compiled forward (residual and normed input):
// Granite-3.1-8B's profile (0.85 GiB, vocabulary too small for the sampler to dominate) and
// the notes' CodeLlama (0.77 GiB) fit 2; the eager V0 forward keeps 3 (kEngineHiddenCopies).
constexpr double kCompiledHiddenCopies = 2;
// Non-torch memory the profiling run adds (cuBLAS/cuBLASLt workspaces, kernels loaded lazily):
// 0.24–0.27 GiB at TP1 in v0.19; 0.07 GiB on pipeline stages without tensor parallelism.
constexpr double kV1NonTorchBytes = 0.25 * kGiB;
constexpr double kV1NonTorchPipelineBytes = 0.07 * kGiB;
// NCCL and custom / symmetric-memory all-reduce buffers at TP ≥ 2: v0.19 measured 2.06–2.21
// GiB in total. llm-d's planner measured 0.15 GiB (TP1) and 0.6 GiB (TP ≥ 2) on vLLM 0.11; the
// switch between the two is placed at 0.17 (uncertain: no run between 0.11 and 0.19).
constexpr double kTpCommBytes = 1.87 * kGiB;
constexpr double kV1OldNonTorchBytes = 0.15 * kGiB;
// Start-up: NCCL communicators (kNcclInitBytes); the two MoE runs at TP ≥ 2 (gpt-oss-20b,
// Llama-4-Scout) start 0.52–0.58 GiB higher than the dense ones, which we attribute to the
// expert-parallel group's communicator.
constexpr double kMoeCommInitBytes = 0.55 * kGiB;
// V0 ≥ 0.6.5 (PR #10511's baseline): non-torch increase 0.16 GiB (PR #12126's log).
constexpr double kV0NonTorchBytes = 0.16 * kGiB;
// vLLM keeps 150 MiB clear when it suggests --kv-cache-memory (gpu_worker.py log: "to fully
// utilize gpu memory" = free at start − non-KV − graphs − 150 MiB).
constexpr double kStartupMarginBytes = 150 * kMiB;

// How this vLLM version sizes things, with its defaults resolved.
struct Policy {
  bool v1 = true;                 // the V1 engine (≥ 0.8)
  bool sort_free_sampler = true;  // ≥ 0.17: 14 B per logit, larger TP buffers
  bool old_v0_profile = false;    // V0 < 0.6.5: non-torch includes the CUDA context
  bool torch_peak_only = false;   // V0 < 0.2.7: non-torch memory ignored (PR #2031)
  bool hybrid = true;             // hybrid KV-cache manager (≥ 0.10)
  bool estimate_cg = false;       // CUDA-graph estimate deducted from the budget (≥ 0.21)
  bool cudagraphs = true;
  double util = 0.9;
  int64_t max_num_seqs = 256, mnbt = 2048, block_size = 16, max_model_len = 4096;
  std::vector<int64_t> capture_sizes;
  int64_t full_graphs = 0, piecewise_graphs = 0;
  std::string attention_backend;  // V1's choice on CUDA: FLASH_ATTN, FLASHINFER or TRITON_ATTN (MLA: its own)
  bool fa3 = false;               // FLASH_ATTN on Hopper runs FlashAttention 3
  std::string defaults;  // which settings were defaulted, for the explanation
};

Policy resolve(const Common& c, const Job& j, const ModelInfo& mi) {
  Policy p;
  const Version& v = j.version;
  p.v1 = j.engine == "v1" || (j.engine != "v0" && (!v.known() || v.at_least(0, 8)));
  p.old_v0_profile = !p.v1 && v.known() && !v.at_least(0, 6, 5);
  p.sort_free_sampler = p.v1 && (!v.known() || v.at_least(0, 17));
  // Before PR #2031 (v0.2.7) the budget subtracted torch's peak only: no non-torch memory.
  p.torch_peak_only = !p.v1 && v.known() && !v.at_least(0, 2, 7);
  p.hybrid = p.v1 && (!v.known() || v.at_least(0, 10));
  p.util = j.gpu_memory_utilization > 0 ? j.gpu_memory_utilization : (v.at_least(0, 21) ? 0.92 : 0.9);
  p.max_model_len = j.max_model_len > 0 ? j.max_model_len : (mi.max_position > 0 ? mi.max_position : 4096);
  auto note = [&](const std::string& s) { p.defaults += (p.defaults.empty() ? "" : ", ") + s; };
  if (p.v1) {
    // arg_utils.py: GPUs with ≥ 70 GiB that are not A100s get the larger defaults; the OpenAI
    // server (serving) and the offline LLM class (offline) differ.
    const bool big = static_cast<double>(c.gpu.memory_bytes) >= 70 * kGiB &&
                     c.gpu.id.find("a100") == std::string::npos && c.gpu.name.find("A100") == std::string::npos;
    const bool offline = j.mode == "offline";
    p.max_num_seqs = j.max_num_seqs > 0 ? j.max_num_seqs : (big ? 1024 : 256);
    p.mnbt = j.max_num_batched_tokens > 0 ? j.max_num_batched_tokens
                                          : (offline ? (big ? 16384 : 8192) : (big ? 8192 : 2048));
    if (j.max_num_seqs <= 0) note("max_num_seqs " + std::to_string(p.max_num_seqs));
    if (j.max_num_batched_tokens <= 0) note("max_num_batched_tokens " + std::to_string(p.mnbt));
  } else {
    // V0: chunked prefill turns on by itself above 32k tokens; its batch is then 512 tokens,
    // otherwise one sequence of max_model_len is profiled.
    p.max_num_seqs = j.max_num_seqs > 0 ? j.max_num_seqs : 256;
    const bool chunked = j.chunked_prefill.value_or(p.max_model_len > 32768);
    p.mnbt = j.max_num_batched_tokens > 0 ? j.max_num_batched_tokens
                                          : (chunked ? 512 : std::max<int64_t>(p.max_model_len, 2048));
    if (j.max_num_batched_tokens <= 0) note("max_num_batched_tokens " + std::to_string(p.mnbt));
  }
  p.block_size = j.block_size > 0 ? j.block_size : 16;
  p.estimate_cg = j.estimate_cudagraphs.value_or(p.v1 && v.at_least(0, 21));
  p.cudagraphs = !j.enforce_eager.value_or(false) && j.cudagraph_mode != "NONE";
  if (p.cudagraphs) {
    if (p.v1) {
      // compilation config: [1, 2, 4] + range(8, 256, 8) + range(256, max + 1, 16), max =
      // min(2 · max_num_seqs, 512) unless max_cudagraph_capture_size is given.
      const int64_t max_size =
          j.max_cudagraph_capture_size > 0 ? j.max_cudagraph_capture_size : std::min<int64_t>(2 * p.max_num_seqs, 512);
      for (int64_t s : {1, 2, 4})
        if (s <= max_size) p.capture_sizes.push_back(s);
      for (int64_t s = 8; s < 256 && s <= max_size; s += 8) p.capture_sizes.push_back(s);
      for (int64_t s = 256; s <= max_size; s += 16) p.capture_sizes.push_back(s);
      if (j.cudagraph_num_capture_sizes > 0 &&
          static_cast<size_t>(j.cudagraph_num_capture_sizes) < p.capture_sizes.size())
        p.capture_sizes.resize(static_cast<size_t>(j.cudagraph_num_capture_sizes));
      const std::string mode = j.cudagraph_mode.empty() ? "FULL_AND_PIECEWISE" : j.cudagraph_mode;
      int64_t decode_sizes = 0;
      for (int64_t s : p.capture_sizes) decode_sizes += s <= p.max_num_seqs ? 1 : 0;
      const int64_t n = to_int64(p.capture_sizes.size());
      if (mode == "PIECEWISE")
        p.piecewise_graphs = n;
      else if (mode == "FULL")
        p.full_graphs = n;
      else if (mode == "FULL_DECODE_ONLY")
        p.full_graphs = decode_sizes;
      else {
        p.piecewise_graphs = n;
        p.full_graphs = decode_sizes;
      }
    } else {
      // V0 model_runner.py: _BATCH_SIZES_TO_CAPTURE = [1, 2, 4] + [8·i for i in 1..32], up to
      // max_num_seqs; whole-model graphs for decode only.
      for (int64_t s : {1, 2, 4})
        if (s <= p.max_num_seqs) p.capture_sizes.push_back(s);
      for (int64_t s = 8; s <= 256 && s <= std::max<int64_t>(8, p.max_num_seqs); s += 8) p.capture_sizes.push_back(s);
      p.full_graphs = to_int64(p.capture_sizes.size());
    }
  }
  // V1's attention backend on CUDA (platforms/cuda.py priority FLASH_ATTN, FLASHINFER, TRITON_ATTN;
  // the first whose validate_configuration() passes): FlashAttention and FlashInfer take fp16/bf16
  // only, head sizes that are multiples of 8 up to 256, and no multimodal prefix-LM attention
  // (model_config.is_mm_prefix_lm: Gemma 3's, PaliGemma's and Molmo2's image tokens attend
  // bidirectionally); TRITON_ATTN takes the rest. MLA models keep their MLA backends; GPUs before
  // Ampere (no FlashAttention) and other vendors keep the fitted default.
  const std::string& arch = c.gpu.architecture;
  const bool fa_gpu = c.gpu.vendor == "nvidia" &&
                      (arch == "ampere" || arch == "ada" || arch == "hopper" || arch == "blackwell");
  if (p.v1 && fa_gpu && c.model.attention != Attention::mla) {
    const ModelSpec& m = c.model;
    const std::string& top = m.config_model_type;
    const bool prefix_lm = top == "gemma3" || top == "paligemma" || top == "molmo2";
    const bool fa_head = m.head_dim > 0 && m.head_dim % 8 == 0 && m.head_dim <= 256;
    // Blackwell puts FLASHINFER first; it takes the same dtypes and heads as FlashAttention.
    p.attention_backend = j.dtype_bytes == 4 || prefix_lm || !fa_head ? "TRITON_ATTN"
                          : arch == "blackwell"                       ? "FLASHINFER"
                                                                      : "FLASH_ATTN";
    p.fa3 = p.attention_backend == "FLASH_ATTN" && arch == "hopper";
  }
  return p;
}

struct StageResult {
  Stage stage;
  StageWeights weights;
  KvLayers layers;
  PagedKvGroups groups;
  double activations = 0, non_torch = 0, cuda_graphs = 0, cg_deducted = 0, kv_available = 0;
  int64_t num_blocks = 0;
};

// Profiling-run peak above the weights (torch.cuda allocated_bytes.all.peak increase).
double profile_activation(const ModelSpec& m, const Job& j, const Policy& p, const Stage& s, Value& values) {
  const double T = static_cast<double>(p.mnbt);
  // Eager V0 keeps the layer's input alive in the caller as well; V1's compiled graph fuses the
  // residual add into RMSNorm in place, leaving the residual and the normed input.
  const double per_token =
      forward_bytes_per_token(m, j.tp, j.dtype_bytes, p.v1 ? kCompiledHiddenCopies : kEngineHiddenCopies);
  const double forward = T * per_token;
  const double hidden_out = T * static_cast<double>(m.hidden_size) * j.dtype_bytes;
  const double rows = static_cast<double>(std::min(p.max_num_seqs, p.mnbt));
  values.set("profile_tokens", p.mnbt);
  values.set("forward_bytes_per_token", per_token);
  const double per_logit = p.sort_free_sampler ? kSortFreeSamplerBytesPerLogit : kSortSamplerBytesPerLogit;
  if (!p.v1) {
    const double sampler = s.last ? rows * static_cast<double>(m.vocab_size) * per_logit : 0;
    values.set("sampler_rows", rows);
    values.set("sampler_bytes", sampler);
    return std::max(forward, hidden_out + sampler);
  }
  // Fused-MoE workspaces persist after the forward (not for MXFP4, whose kernels manage their own).
  const double ws = j.format.kind == FormatKind::mxfp4 ? 0 : moe_workspace_bytes(m, p.mnbt, j.tp, j.dtype_bytes);
  if (ws > 0) values.set("moe_workspace_bytes", ws);
  if (!s.last) {  // hidden states and residual sent to the next stage, and the stage's input
    values.set("intermediate_tensors_bytes", 3 * hidden_out);
    return kV1ProfileBaseBytes + forward + 3 * hidden_out;
  }
  const double sampler = rows * static_cast<double>(m.vocab_size) * per_logit;
  values.set("sampler_rows", rows);
  values.set("sampler_bytes", sampler);
  values.set("profile_base_bytes", kV1ProfileBaseBytes);
  return kV1ProfileBaseBytes + std::max(forward, hidden_out + ws + sampler);
}

double cuda_graph_bytes(const ModelSpec& m, const Job& j, const Policy& p, const Stage& s) {
  if (!p.cudagraphs || p.capture_sizes.empty()) return 0;
  double sum_sizes = 0;
  for (int64_t x : p.capture_sizes) sum_sizes += static_cast<double>(x);
  // FlashAttention 3 (FLASH_ATTN on Hopper) splits the KV in FULL decode graphs into up to 32
  // parts (flash_attn_max_num_splits_for_cuda_graph) and keeps fp32 partial outputs and their
  // log-sum-exps in the pool: 32 × the largest FULL batch × heads × (head_dim + 1) × 4 B — 258 MiB
  // for Llama-3.1-8B at batch 512, the logs' 260 MiB FULL first capture. TRITON_ATTN preallocates
  // its decode buffers outside the pool (4–8 MiB first capture) and PIECEWISE graphs run attention
  // outside the graphs. Other backends (FA2 on Ampere/Ada, FlashInfer) keep the fitted term.
  std::optional<double> attention;
  if (p.v1 && !p.attention_backend.empty()) {
    int64_t largest_full = 0;
    for (int64_t x : p.capture_sizes)
      if (x <= p.max_num_seqs) largest_full = std::max(largest_full, x);
    if (p.full_graphs == 0 || p.attention_backend == "TRITON_ATTN")
      attention = 0.0;
    else if (p.fa3)
      attention = 32.0 * static_cast<double>(largest_full) * static_cast<double>(m.num_attention_heads) / j.tp *
                  static_cast<double>(m.head_dim + 1) * 4;
  }
  return cuda_graph_pool_bytes(m, j.tp, j.dtype_bytes, s.layers(), p.full_graphs + p.piecewise_graphs, sum_sizes,
                               attention);
}

}  // namespace

Result<Estimate> estimate_vllm(const Common& c, const Job& j, const ModelInfo& mi) {
  const ModelSpec& m = c.model;
  const Policy p = resolve(c, j, mi);
  Estimate e;
  const double total = cuda_visible_bytes(c.gpu);
  const double requested = p.util * total;
  const bool distributed = j.tp * j.pp > 1;
  const double startup =
      cuda_context_bytes(c.gpu) + (distributed ? kNcclInitBytes : 0) + (j.tp > 1 && m.num_experts > 1 ? kMoeCommInitBytes : 0);

  std::vector<StageResult> stages;
  std::vector<Value> act_values;
  for (const Stage& s : pipeline_stages(m.num_hidden_layers, j.pp)) {
    StageResult r;
    r.stage = s;
    r.weights = stage_weights(mi, j, Loader::vllm, s);
    Value av = Value::object();
    r.activations = profile_activation(m, j, p, s, av);
    act_values.push_back(std::move(av));
    const bool new_comm = p.v1 && p.sort_free_sampler;  // same version boundary (0.17)
    const double comm = j.tp > 1 ? (new_comm ? kTpCommBytes : kTpCommBuffersBytes) : 0;
    if (p.torch_peak_only)
      r.non_torch = 0;
    else if (p.old_v0_profile)
      r.non_torch = cuda_context_bytes(c.gpu) + comm;
    else if (!p.v1)
      r.non_torch = kV0NonTorchBytes + comm;
    else if (!new_comm)
      r.non_torch = kV1OldNonTorchBytes + comm;
    else if (j.tp > 1)
      r.non_torch = kV1NonTorchBytes + comm;
    else
      r.non_torch = j.pp > 1 ? kV1NonTorchPipelineBytes : kV1NonTorchBytes;
    r.cuda_graphs = cuda_graph_bytes(m, j, p, s);
    r.cg_deducted = p.estimate_cg ? r.cuda_graphs : 0;
    r.kv_available = requested - r.weights.total() - r.activations - r.non_torch - r.cg_deducted;
    r.layers = kv_layers(m, j.kv_elem_bytes, j.tp, s.first_layer, s.last_layer, true);
    r.groups = vllm_kv_groups(r.layers, p.hybrid);
    const double page = r.layers.bytes_per_token_layer * static_cast<double>(p.block_size);
    r.num_blocks = r.kv_available > 0
                       ? to_int64(r.kv_available /
                                              (page * static_cast<double>(std::max<int64_t>(1, r.groups.group_size))))
                       : 0;
    stages.push_back(std::move(r));
  }
  // Every worker gets the smallest block count (v1 get_kv_cache_configs; V0 min over workers).
  int64_t num_blocks = stages.front().num_blocks;
  for (const auto& r : stages) num_blocks = std::min(num_blocks, r.num_blocks);
  const StageResult& s0 = stages.front();
  const int64_t groups = std::max<int64_t>(1, s0.groups.num_groups());
  const int64_t capacity = num_blocks / groups * p.block_size;
  const int64_t per_request = vllm_blocks_per_request(s0.groups, s0.layers, p.max_model_len, p.block_size, p.mnbt);

  // ---- Will it start? ---------------------------------------------------------------------
  bool starts = true;
  const double free_at_start = total - startup;
  double device_peak = 0;
  double worst_cg = 0, worst_extra = 0;
  for (const auto& r : stages) {
    worst_cg = std::max(worst_cg, r.cuda_graphs);
    worst_extra = std::max(worst_extra, r.cuda_graphs - r.cg_deducted);
  }
  device_peak = startup + requested + worst_extra;
  if (p.v1 && free_at_start < requested) {
    starts = false;
    e.warnings.push_back("vLLM will refuse to start: free memory at start-up (" + gib_text(free_at_start) +
                         ") is less than gpu_memory_utilization × total (" + gib_text(requested) +
                         "); lower gpu_memory_utilization");
  }
  for (const auto& r : stages)
    if (r.kv_available <= 0) {
      starts = false;
      e.warnings.push_back("no memory is left for the KV cache: weights, activations and non-torch memory take " +
                           gib_text(r.weights.total() + r.activations + r.non_torch + r.cg_deducted) + " of the " +
                           gib_text(requested) + " budget; raise gpu_memory_utilization, quantize, or add GPUs");
      break;
    }
  if (starts && per_request > num_blocks) {
    starts = false;
    e.warnings.push_back("vLLM will refuse to start: one request of max_model_len (" + std::to_string(p.max_model_len) +
                         " tokens) needs " + std::to_string(per_request) + " KV blocks but only " +
                         std::to_string(num_blocks) + " fit (" + std::to_string(capacity) +
                         " tokens); lower max_model_len or free memory");
  }
  if (starts && j.batch_size > 1 &&
      j.batch_size * vllm_blocks_per_request(s0.groups, s0.layers,
                                             std::min(p.max_model_len, j.input_len + j.output_len), p.block_size,
                                             p.mnbt) >
          num_blocks)
    e.warnings.push_back("batch_size " + std::to_string(j.batch_size) + " requests of " +
                         std::to_string(j.input_len + j.output_len) +
                         " tokens need more KV blocks than fit; vLLM will queue or preempt some of them");
  if (starts && p.torch_peak_only && distributed)
    e.warnings.push_back(
        "vLLM before 0.2.7 ignores NCCL and other non-torch memory when sizing the KV cache "
        "(PR #2031): the server can run out of memory under load; lower gpu_memory_utilization");
  if (starts && device_peak + kStartupMarginBytes > total && worst_extra > 0) {
    starts = false;
    e.warnings.push_back("start-up will run out of memory: CUDA graphs need " + gib_text(worst_extra) +
                         " beyond the budget and only " + gib_text(std::max(0.0, total - startup - requested)) +
                         " is left outside it; lower gpu_memory_utilization or set enforce_eager");
  } else if (starts && worst_extra > 0) {
    e.warnings.push_back("CUDA graphs take " + gib_text(worst_extra) +
                         " outside the gpu_memory_utilization budget (captured after the KV cache is sized)");
  }

  // ---- Components (first pipeline stage, which the driver worker logs) --------------------
  const double tp = j.tp;
  Value wv = s0.weights.values();
  wv.set("format", j.format.name);
  wv.set("tp", j.tp);
  wv.set("pp", j.pp);
  wv.set("layers", s0.stage.layers());
  if (!mi.notes.empty()) wv.set("from_preset", mi.notes);
  e.add("weights", s0.weights.total(),
        "Σ tensors · bits/8 (vocab padded to 64, linear layers / tp, this stage's layers) + allocator rounding "
        "+ rotary cache" +
            std::string(s0.weights.lora > 0 ? " + LoRA slots" : ""),
        std::move(wv), "What vLLM logs as \"Model loading took\": torch memory allocated by the weights.");
  Value av = act_values.front();
  e.add("activations", s0.activations,
        std::string(p.v1 ? "base + max(T · forward/token, T · h · dtype + MoE workspace + "
                         : "max(T · forward/token, T · h · dtype + ") +
            "min(max_num_seqs, T) · V · " + (p.sort_free_sampler ? "14" : "39") + " B)",
        std::move(av),
        "Peak of the profiling run: a dummy batch of max_num_batched_tokens tokens, then the sampler over "
        "max_num_seqs rows of full-vocabulary logits (the same at any TP: logits are gathered).");
  e.add("runtime_overhead", s0.non_torch,
        distributed && j.tp > 1 ? "cuBLAS/kernels + NCCL and custom all-reduce buffers"
                                : "cuBLAS workspaces + lazily loaded kernels",
        Value::object({{"tp", j.tp}, {"startup_non_torch_bytes", startup}}),
        "Non-torch memory the profiling run added. The CUDA context (and NCCL communicators) present before "
        "loading are outside the budget arithmetic; they appear in peak.device_bytes.");
  e.add(
      "kv_cache", std::max(0.0, s0.kv_available),
      "util · total − weights − activations − non-torch" + std::string(p.estimate_cg ? " − CUDA-graph estimate" : ""),
      Value::object({{"gpu_memory_utilization", p.util},
                     {"cuda_total_bytes", total},
                     {"requested_bytes", requested},
                     {"block_size", p.block_size},
                     {"num_blocks", num_blocks},
                     {"bytes_per_block_per_layer", s0.layers.bytes_per_token_layer * static_cast<double>(p.block_size)},
                     {"group_size", s0.groups.group_size},
                     {"kv_groups", s0.groups.num_groups()}}),
      "vLLM preallocates everything left in its budget as KV-cache blocks.");
  e.add("cuda_graphs", s0.cuda_graphs,
        "graphs · layers · 143.5 kB + Σ capture sizes · dtype · (0.83 h + (0.51 I + 3.24 a·d) / tp)" +
            std::string(m.num_experts > 1 ? " + MoE buffers" : ""),
        Value::object({{"graphs", p.full_graphs + p.piecewise_graphs},
                       {"full_graphs", p.full_graphs},
                       {"piecewise_graphs", p.piecewise_graphs},
                       {"max_capture_size", p.capture_sizes.empty() ? int64_t{0} : p.capture_sizes.back()},
                       {"attention_backend", p.attention_backend.empty() ? std::string("default") : p.attention_backend},
                       {"deducted_from_budget", p.estimate_cg}}),
        p.estimate_cg ? "Captured after the KV cache is sized; vLLM ≥ 0.21 subtracts its estimate from the budget."
                      : "Captured after the KV cache is sized, outside the gpu_memory_utilization budget.");

  KvCacheInfo kv;
  kv.bytes_per_token = to_int64(std::llround(s0.layers.bytes_per_token()));
  kv.block_size = p.block_size;
  kv.num_blocks = num_blocks;
  kv.capacity_tokens = capacity;
  kv.max_concurrency = per_request > 0 ? static_cast<double>(num_blocks) / static_cast<double>(per_request) : 0;
  // Longest single request the blocks can hold.
  int64_t lo = 0, hi = std::max<int64_t>(1, capacity) * 64 + p.block_size;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (vllm_blocks_per_request(s0.groups, s0.layers, mid, p.block_size, p.mnbt) <= num_blocks)
      lo = mid;
    else
      hi = mid - 1;
  }
  kv.max_context_fit = lo;
  e.kv_cache = kv;

  // ---- Peaks ------------------------------------------------------------------------------
  const double kv_alloc = static_cast<double>(num_blocks) * s0.layers.bytes_per_token_layer *
                          static_cast<double>(p.block_size) * static_cast<double>(s0.groups.group_size);
  if (starts) {
    e.peak.allocated_bytes = to_int64(s0.weights.total() + kv_alloc + s0.activations);
    e.peak.reserved_bytes = to_int64(s0.weights.total() + kv_alloc + s0.activations + s0.cuda_graphs);
    e.peak.device_bytes = to_int64(std::max(device_peak, startup + s0.non_torch + e.peak.reserved_bytes));
  } else {
    e.peak.allocated_bytes = to_int64(s0.weights.total() + s0.activations);
    e.peak.reserved_bytes = e.peak.allocated_bytes;
    e.peak.device_bytes = to_int64(startup + s0.non_torch + s0.weights.total() + s0.activations);
  }
  const double budget_total = static_cast<double>(e.total_bytes());
  e.low_bytes = to_int64(budget_total - 0.3 * worst_cg);
  e.high_bytes = to_int64(budget_total + 0.3 * worst_cg + kStartupMarginBytes);
  e.fits = starts;
  e.host_bytes =
      to_int64(stage_weights(mi, j, Loader::vllm, Stage{0, m.num_hidden_layers, true, true}).tensors);
  if (!p.v1) e.host_bytes += to_int64((j.swap_space_bytes >= 0 ? j.swap_space_bytes : 4 * kGiB) * tp);

  Value x = Value::object({{"engine", p.v1 ? "v1" : "v0"}});
  x.set("vllm_requested_memory_bytes", requested);
  x.set("non_kv_cache_bytes", s0.weights.total() + s0.activations + s0.non_torch);
  x.set("startup_non_torch_bytes", startup);
  x.set("cuda_total_memory_bytes", total);
  x.set("starts", starts);
  x.set("num_gpu_blocks", num_blocks);  // "# GPU blocks" (V0 wording)
  x.set("kv_cache_blocks", num_blocks);  // the same figure as the calibration's throughput cases name it
  x.set("device_used_bytes_before_profile", startup + s0.weights.total());
  x.set("device_used_bytes_after_profile", startup + s0.weights.total() + (p.old_v0_profile ? 0.0 : s0.non_torch));
  x.set("max_model_len", p.max_model_len);
  x.set("max_num_seqs", p.max_num_seqs);
  x.set("max_num_batched_tokens", p.mnbt);
  if (!p.defaults.empty()) x.set("defaulted", p.defaults);
  if (stages.size() > 1) {
    Value sv = Value::array();
    for (const auto& r : stages)
      sv.push(Value::object({{"layers", r.stage.layers()},
                             {"weights_bytes", r.weights.total()},
                             {"activations_bytes", r.activations},
                             {"non_torch_bytes", r.non_torch},
                             {"kv_available_bytes", std::max(0.0, r.kv_available)},
                             {"num_blocks", r.num_blocks},
                             {"cuda_graphs_bytes", r.cuda_graphs}}));
    x.set("pipeline_stages", sv);
  }
  e.extra = std::move(x);
  if (j.max_model_len > 0 && mi.max_position > 0 && j.max_model_len > mi.max_position)
    e.warnings.push_back(
        "max_model_len (" + std::to_string(j.max_model_len) + ") exceeds the model's max_position_embeddings (" +
        std::to_string(mi.max_position) +
        "); vLLM refuses it unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 (or rope scaling raises the limit)");
  if (mi.multimodal)
    e.warnings.push_back(
        "multimodal model: the encoder's profiling batch (dummy images) is not modelled; "
        "vLLM may profile a larger activation peak and leave less KV cache");
  return e;
}

}  // namespace llmsizer::infer
