// Inference speed (docs/model/speed.md "Inference"): every engine step is a soft roofline of
// compute (linear + attention FLOPs against the dense peak × efficiency) and memory (weights
// actually touched + KV-cache reads against HBM bandwidth × efficiency), plus tensor-parallel
// all-reduces, a fixed per-step overhead per backend and, for eager backends, the host's
// per-layer launch time. Modes: latency (one batch run to completion), offline (the largest
// batch the KV cache holds, steady state) and serving (concurrency or request rate, queueing
// when the batch limit is reached).
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "llmsizer/kv_cache.hpp"
#include "llmsizer/weights.hpp"
#include "infer_common.hpp"
#include "perf_common.hpp"

namespace llmsizer::perf {
namespace {

// ---------------------------------------------------------------------------------------------
// The job

struct Job {
  std::string backend, dtype, quantization, kv_cache_dtype, mode;
  WeightFormat format;
  int dtype_bytes = 2;
  int64_t max_model_len = 0, max_num_seqs = 256, max_num_batched_tokens = 8192;
  int tp = 1, pp = 1, dp = 1;
  int64_t batch = 1, input_len = 512, output_len = 128;
  // Speed keys.
  std::optional<double> concurrency, request_rate;  // request_rate: +inf for "inf"
  std::optional<int64_t> num_prompts;
  bool max_batch_given = false;
  bool compiled = false;       // CUDA graphs / torch.compile (pytorch backend)
  bool static_batching = false;
  bool apple = false;
  bool python_executor = false;  // TensorRT-LLM's PyTorch flow (trtllm_backend "pytorch", ≥ 1.0)
  double backend_version = 0;  // leading number of backend_version, 0 = unknown (newest)
  double power_limit_w = 0;
  bool autoawq_fused = false;  // AutoAWQ's fused modules (infer::autoawq_fused)
};

// Leading version number of strings such as "0.6.1", "~1.0", "v0.5.4": major + minor/100.
double version_number(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && !(s[i] >= '0' && s[i] <= '9')) {
    if (s[i] != '~' && s[i] != 'v' && s[i] != 'V' && s[i] != ' ' && s[i] != '>' && s[i] != '=') return 0;
    ++i;
  }
  double major = 0, minor = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') major = major * 10 + (s[i++] - '0');
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') minor = minor * 10 + (s[i++] - '0');
  }
  return major + std::min(minor, 99.0) / 100.0;
}

// Mirrors parse_job defaults (core/src/inference.cpp): backend "vllm", dtype "auto" (2 bytes),
// quantization "none", kv_cache_dtype "auto", mode "latency", tensor/pipeline_parallel_size 1,
// batch_size 1, input_len 512, output_len 128. max_num_seqs, max_num_batched_tokens and
// max_model_len default to 0 there and are resolved per backend, version and GPU by the memory
// estimator, which reports them in extra (read in add_inference_performance); the fallbacks here
// (256, 8192, max_position_embeddings) only serve when it reports none.
Job read_job(const Common& c, Reader& r, std::vector<std::string>& warnings) {
  Job j;
  j.backend = infer::canonical_backend(r.text("backend", "vllm")).first;
  j.dtype = r.text("dtype", "auto");
  j.dtype_bytes = (j.dtype == "float32" || j.dtype == "fp32") ? 4 : 2;
  j.quantization = r.text("quantization", "none");
  if (!parse_weight_format(j.quantization, j.format)) parse_weight_format("none", j.format);
  j.kv_cache_dtype = canonical_kv_cache_dtype(r.text("kv_cache_dtype", "auto"));
  j.mode = r.text("mode", "latency");
  const int64_t model_max = c.model.max_position_embeddings > 0 ? c.model.max_position_embeddings : 4096;
  j.max_model_len = r.integer("max_model_len", model_max, 1, 1LL << 24);
  j.max_batch_given = r.has("max_num_seqs") || r.has("max_batch_size");
  j.max_num_seqs = r.integer("max_num_seqs", r.integer("max_batch_size", 256, 1, 1 << 20), 1, 1 << 20);
  j.max_num_batched_tokens = r.integer("max_num_batched_tokens", 8192, 1, 1LL << 24);
  j.tp = static_cast<int>(r.integer("tensor_parallel_size", 1, 1, 1024));
  j.pp = static_cast<int>(r.integer("pipeline_parallel_size", 1, 1, 1024));
  j.dp = std::max(1, c.num_gpus / (j.tp * j.pp));
  j.batch = r.integer("batch_size", 1, 1, 1 << 20);
  j.input_len = r.integer("input_len", 512, 0, 1LL << 24);
  j.output_len = r.integer("output_len", 128, 0, 1LL << 24);
  // Speed keys.
  if (const Value* v = r.find("request_rate"); v && v->is_string()) {
    if (v->as_string() == "inf" || v->as_string() == "infinity") j.request_rate = kInf;
    else warnings.push_back("/request_rate must be a number of requests per second or \"inf\"; ignored");
  } else {
    j.request_rate = r.optional_number("request_rate", 1e-9, 1e9);
  }
  j.concurrency = r.optional_number("concurrency", 1, 1 << 24);
  if (r.has("num_prompts")) j.num_prompts = r.integer("num_prompts", 1, 1, 1LL << 40);
  j.compiled = r.boolean("torch_compile", false) || r.boolean("cuda_graphs", false);
  if (j.backend == "vllm" && r.boolean("enforce_eager", false)) j.compiled = false;
  j.static_batching = r.text("batching", "") == "static";
  j.backend_version = version_number(r.text("backend_version", ""));
  j.python_executor = r.text("trtllm_backend", j.backend_version >= 1.0 ? "pytorch" : "tensorrt") == "pytorch";
  j.power_limit_w = r.number("gpu_power_limit_w", 0, 1, 1e5);
  j.apple = c.gpu.vendor == "apple";
  j.autoawq_fused = infer::autoawq_fused(r.text("backend", "vllm"), r.text("quant_library", ""),
                                         r.has("fuse_layers") ? std::optional<bool>(r.boolean("fuse_layers", false))
                                                              : std::nullopt);
  return j;
}

// Serving engines: continuous batching over a paged, preallocated KV cache, CUDA graphs.
bool is_engine(const std::string& b) {
  return b == "vllm" || b == "sglang" || b == "tgi" || b == "tensorrt-llm" || b == "fastchat";
}

// ---------------------------------------------------------------------------------------------
// The backend's constants

struct Backend {
  double decode_bandwidth;        // fraction of HBM bandwidth weight streaming reaches
  double step_overhead_s;         // fixed time per engine step (scheduling, sampling, launch)
  double host_per_layer_s;        // eager frameworks: host launch time per layer per forward
  double kv_bandwidth_per_seq;    // 0 = KV reads at decode_bandwidth; else per-sequence fraction
  bool chunked_prefill;           // prefill split by max_num_batched_tokens
  double kv_reserve_output;       // fraction of output_len reserved per running sequence
  double default_max_batch;
  double host_per_sequence_s = 0;  // engines with a Python executor loop
  double kv_read_bytes_per_s_per_seq = 0;  // decode attention streams the cache at this rate per sequence
};

// Transformers decode: a 1-token query over a long cache runs one FlashAttention-2 block per query
// head with no split over the keys, so it moves query-head-expanded K/V at ≈ 300 GB/s per
// sequence whatever the GPU's bandwidth: Qwen2.5 speed table on A100 (3B/7B/14B/32B at 14–30 k
// context, 16–40 query heads) 260–305 GB/s; Qwen3-8B BF16 on H20 (4 TB/s) at 30 k ≈ 257 GB/s.
constexpr double kHfKvReadBytesPerSeq = 3.0e11;

// Per-backend defaults, fitted on the calibration cases named in docs/model/speed.md.
Backend backend_defaults(const Job& j) {
  const std::string& b = j.backend;
  if (b == "tensorrt-llm")  // trtllm-bench / TorchLlmArgs max_batch_size 2048; GUARANTEED_NO_EVICT
    return {0.80, 0.0015, 0, 0, !j.static_batching, 1.0, 2048, j.python_executor ? 36e-6 : 0};
  if (b == "sglang") return {0.80, 0.0015, 0, 0, true, 0.5, 4096, 15e-6};
  if (b == "tgi") return {0.80, 0.0025, 0, 0, true, 0.5, 4096, 20e-6};
  if (b == "vllm" || b == "fastchat") return {0.80, 0.0023, 0, 0, true, 0.5, 256, 30e-6};
  // llama.cpp: CUDA kernels stream at 0.78 of bandwidth; Metal on Apple silicon at 0.62.
  if (b == "llama.cpp") return {j.apple ? 0.62 : 0.78, 0.0006, 0, 0, false, 1.0, 1};
  if (b == "pytorch") {
    if (j.compiled) return {0.75, 0.0003, 0, 0, false, 1.0, 1};
    return {0.75, 0.0010, 0.0011, 0.022, false, 1.0, 1};
  }
  // transformers: HF generate(), eager. Decode attention streams the cache once per query head
  // (make_model: gqa_reads) at a fixed rate per sequence, not a fraction of the bandwidth.
  return {0.75, 0.0010, 0.00088, 0, false, 1.0, 1, 0, kHfKvReadBytesPerSeq};
}

// How the weight format's kernels behave: the GEMM precision of the compute-bound path, and
// what fraction of the backend's streaming bandwidth / GEMM efficiency the kernels keep.
struct Kernel {
  Precision gemm = Precision::bf16;
  double bandwidth_factor = 1.0;
  double compute_factor = 1.0;
  double host_per_linear_s = 0;  // eager frameworks: extra host time per quantized linear per forward
  std::string name = "dense";
};

// Host time a quantized linear adds over nn.Linear in an eager forward, where the Python loop
// sets the pace (HF generate at small batch). AutoAWQ's unfused WQLinear_GEMM goes through an
// autograd.Function, allocates split-k partial sums, launches the GEMM and a sum(0) reduction
// and adds the bias separately; auto_gptq / GPTQModel 8-bit layers (no exllama kernel for 8 bits)
// zero an output buffer, launch the matmul, cast and add the bias. About three eager ops and a
// Python wrapper more than F.linear, ≈ 30 µs (docs/model/speed.md "Host time").
constexpr double kQuantLinearHostS = 30e-6;

Kernel kernel_for(const Job& j, const GpuSpec& g) {
  Kernel k;
  const Precision p16 = j.dtype_bytes == 4 ? Precision::fp32
                       : (j.dtype == "float16" || j.dtype == "fp16" || j.dtype == "half") ? Precision::fp16
                                                                                          : Precision::bf16;
  k.gemm = p16;
  const bool engine = is_engine(j.backend);
  const bool weight_only_int8 = !engine;  // gpt-fast / HF "int8" is weight-only
  switch (j.format.kind) {
    case FormatKind::fp8:
      if (g.dense_fp8_flops > 0 && g.fp8) { k.gemm = Precision::fp8; k.name = "w8a8-fp8"; }
      else { k.bandwidth_factor = 0.85; k.compute_factor = 0.85; k.name = "fp8-weight-only"; }
      break;
    case FormatKind::int8:
      if (!weight_only_int8 && g.dense_int8_ops > 0) { k.gemm = Precision::int8; k.name = "w8a8-int8"; }
      else { k.bandwidth_factor = 0.90; k.compute_factor = 0.85; k.name = "int8-weight-only"; }
      break;
    case FormatKind::bnb_int8: k.bandwidth_factor = 0.30; k.compute_factor = 0.5; k.name = "bnb-int8"; break;
    case FormatKind::bnb_nf4: case FormatKind::bnb_fp4:
      k.bandwidth_factor = 0.35; k.compute_factor = 0.6; k.name = "bnb-4bit"; break;
    case FormatKind::gptq: case FormatKind::awq: case FormatKind::int4:
      if (j.format.bits >= 8) {
        k.bandwidth_factor = 0.70;
        k.name = "int8-group";
        if (!engine && j.format.kind != FormatKind::int4) k.host_per_linear_s = kQuantLinearHostS;
      } else if (engine) {
        k.bandwidth_factor = 0.75;
        k.name = "int4-marlin";
      } else {
        k.bandwidth_factor = 0.50;
        k.name = "int4-dequant";
        // 4-bit GPTQ runs exllama(v2)/Marlin: one kernel, like F.linear. AutoAWQ's fused modules
        // replace the layer's linears (QKV, MLP) and were built to cut this overhead.
        if (j.format.kind == FormatKind::awq && !j.autoawq_fused) k.host_per_linear_s = kQuantLinearHostS;
      }
      k.compute_factor = 0.8;
      break;
    case FormatKind::mxfp4: case FormatKind::nvfp4:
      if (g.architecture == "blackwell") { k.gemm = Precision::fp4; k.bandwidth_factor = 0.9; k.name = "fp4"; }
      else { k.bandwidth_factor = 0.75; k.compute_factor = 0.8; k.name = "fp4-weight-only"; }
      break;
    case FormatKind::gguf:
      if (j.format.gguf_type == "f16" || j.format.gguf_type == "bf16" || j.format.gguf_type == "f32") break;
      k.compute_factor = 0.8;
      if (j.format.gguf_type == "q8_0") { k.bandwidth_factor = 0.85; k.name = "gguf-q8"; }
      else { k.bandwidth_factor = 0.70; k.name = "gguf-kquant"; }
      break;
    default: break;
  }
  return k;
}

// ---------------------------------------------------------------------------------------------
// The model as one GPU (one pipeline stage, one tensor-parallel shard) sees it

struct Shard {
  // Bytes per GPU.
  double dense_bytes = 0;    // weights read every step: non-expert layers, LM head (tied: the embedding)
  double expert_bytes = 0;   // all routed experts held by this GPU
  double embed_bytes = 0;    // input embedding (untied): only the B looked-up rows are read
  // Parameters per GPU, for FLOPs.
  double body_params = 0;    // non-expert linear params per token (excl. LM head)
  double expert_params_active = 0;  // k of E experts per token
  double head_params = 0;
  double experts = 0, experts_per_tok = 0;
  // Attention.
  double q_heads = 0;        // per GPU
  double d_qk_decode = 0, d_v_decode = 0, d_qk_prefill = 0, d_v_prefill = 0;
  double attn_layers = 0;    // per stage
  double layers = 0;         // per stage (all)
  double kv_elem_bytes = 2;
  double kv_bytes_per_token = 0;  // per GPU, all layers of this stage, no windows
  double gqa_group = 1;      // query heads per KV head
  double hidden = 0;
};

bool embedding_role(Role r) { return r == Role::embed || r == Role::pos_embed; }

// Linear modules a decoder layer runs per token outside the routed experts (q, k, v, o, gate,
// up, down … as the checkpoint splits them), averaged over the layers.
double linears_per_layer(const ModelSpec& m) {
  double n = 0;
  for (const auto& t : m.tensors)
    if (role_is_linear(t.role) && !role_is_expert(t.role) && t.first_layer >= 0)
      n += static_cast<double>(t.copies) * static_cast<double>(t.layers());
  return m.num_hidden_layers > 0 ? n / static_cast<double>(m.num_hidden_layers) : 0;
}

Shard make_shard(const Common& c, const Job& j, const Estimate& e) {
  const ModelSpec& m = c.model;
  Shard s;
  const int64_t L = m.num_hidden_layers;
  const double tp = j.tp, pp = j.pp;
  double dense = 0, expert = 0, embed = 0;
  for (const auto& t : m.tensors) {
    const double b = tensor_bytes(t, j.format, j.dtype_bytes, L);
    const bool sharded = role_is_linear(t.role) || t.role == Role::embed || t.role == Role::lm_head;
    const double per_tp = sharded ? b / tp : b;
    const double params = static_cast<double>(t.params()) / (sharded ? tp : 1.0);
    if (role_is_expert(t.role)) {
      expert += per_tp;
      s.expert_params_active += params;  // scaled by k/E below
    } else if (embedding_role(t.role) && !(t.role == Role::embed && m.tie_word_embeddings)) {
      embed += per_tp;
    } else {
      dense += per_tp;
      if (t.role == Role::lm_head || t.role == Role::embed) s.head_params += params;
      else if (!t.vector) s.body_params += params;
    }
  }
  // Per stage: layers split evenly; the LM head sits on the last stage, the bottleneck one.
  s.body_params /= pp;
  if (m.num_experts > 1) {
    s.experts = static_cast<double>(m.num_experts);
    s.experts_per_tok = static_cast<double>(std::max<int64_t>(1, m.num_experts_per_tok));
    s.expert_params_active = s.expert_params_active / pp * s.experts_per_tok / s.experts;
  } else {
    s.expert_params_active = 0;
  }
  // Scale the byte split to the memory estimate's own weights component (one truth for bytes).
  double component = 0;
  for (const auto& comp : e.components)
    if (comp.id == "weights") component = static_cast<double>(comp.bytes);
  const double mine = (dense + expert + embed) / pp;
  const double scale = component > 0 && mine > 0 ? component / mine : 1.0;
  s.dense_bytes = dense / pp * scale;
  s.expert_bytes = expert / pp * scale;
  s.embed_bytes = embed / pp * scale;

  s.q_heads = static_cast<double>(m.num_attention_heads) / tp;
  if (m.attention == Attention::mla) {
    s.d_qk_decode = static_cast<double>(m.kv_lora_rank + m.qk_rope_head_dim);
    s.d_v_decode = static_cast<double>(m.kv_lora_rank);
    s.d_qk_prefill = static_cast<double>(m.qk_nope_head_dim + m.qk_rope_head_dim);
    s.d_v_prefill = static_cast<double>(m.v_head_dim > 0 ? m.v_head_dim : m.qk_nope_head_dim);
    s.gqa_group = 1;
  } else {
    s.d_qk_decode = s.d_v_decode = s.d_qk_prefill = s.d_v_prefill = static_cast<double>(m.head_dim);
    s.gqa_group = m.num_key_value_heads > 0 ? static_cast<double>(m.num_attention_heads) / m.num_key_value_heads : 1;
  }
  s.layers = static_cast<double>(L) / pp;
  s.attn_layers = static_cast<double>(kv_text_layers(m)) / pp;
  s.hidden = static_cast<double>(m.hidden_size);
  // KV bytes per token: the memory estimate's figure (same cache dtype policy), else our own.
  const double per_elem = kv_bytes_for_sequence(m, 1, 1.0, j.tp, false, 1.0 / pp);
  double elem = kv_element_bytes(j.kv_cache_dtype, j.dtype_bytes);
  if (elem <= 0) elem = j.dtype_bytes;
  if (e.kv_cache && e.kv_cache->bytes_per_token > 0 && per_elem > 0)
    elem = static_cast<double>(e.kv_cache->bytes_per_token) / per_elem;
  s.kv_elem_bytes = elem;
  s.kv_bytes_per_token = per_elem * elem;
  return s;
}

// ---------------------------------------------------------------------------------------------
// One engine step

struct Work {
  double decode_seqs = 0;     // sequences generating one token
  double decode_ctx = 0;      // their mean context (tokens already cached)
  double prefill_tokens = 0;  // prompt tokens processed in this step
  double prefill_pairs = 0;   // causal query·key pairs of those prompt tokens
  double logit_rows = 0;      // rows through the LM head (one per sequence sampled)
};

struct Step {
  double compute_s = 0, memory_s = 0, gpu_s = 0, comm_s = 0, host_s = 0, overhead_s = 0, total_s = 0;
  double weight_bytes = 0;    // weights read by one GPU in this step
};

struct Model {
  const Common& c;
  const Job& j;
  Shard s;
  Backend b;
  Kernel k;
  // Resolved constants.
  double bw = 0, eta_weights = 0, eta_kv = 0, kv_per_seq = 0;
  double peak_gemm = 0, peak16 = 0, eta_gemm = 0, eta_attn = 0;
  double link = 0, link_eff = 0, ar_latency = 0, sharpness = 2, overhead = 0, host_layer = 0;
  double host_seq = 0;   // host time per running sequence per step (Python executors)
  double gqa_reads = 1;  // KV bytes read per step ÷ cache bytes (1 with GQA-aware decode kernels)

  // KV bytes one sequence with `ctx` cached tokens reads per step (sliding windows capped).
  double kv_read_bytes(double ctx) const {
    const ModelSpec& m = c.model;
    return kv_bytes_for_sequence(m, to_int64(std::llround(ctx)), s.kv_elem_bytes, j.tp, true, 1.0 / j.pp) * gqa_reads;
  }
  // Attention keys one query sees per layer on average, with sliding windows capped.
  double attended(double ctx) const {
    const ModelSpec& m = c.model;
    const double text = static_cast<double>(kv_text_layers(m));
    if (text <= 0) return 0;
    const double win = static_cast<double>(std::min(m.num_sliding_layers, kv_text_layers(m)));
    return ((text - win) * ctx + win * std::min<double>(ctx, static_cast<double>(m.sliding_window))) / text;
  }

  Step step(const Work& w) const {
    Step st;
    const double tokens = w.decode_seqs + w.prefill_tokens;
    // Compute.
    const double linear = 2.0 * (s.body_params + s.expert_params_active) * tokens + 2.0 * s.head_params * w.logit_rows;
    const double attn_decode = (s.d_qk_decode + s.d_v_decode) * s.q_heads * s.attn_layers * w.decode_seqs * attended(w.decode_ctx);
    const double attn_prefill = (s.d_qk_prefill + s.d_v_prefill) * s.q_heads * s.attn_layers * w.prefill_pairs;
    st.compute_s = (peak_gemm > 0 ? linear / (peak_gemm * eta_gemm) : 0) +
                   (peak16 > 0 ? (attn_decode + attn_prefill) / (peak16 * eta_attn) : 0);
    // Memory: the weights actually touched (experts hit by at least one token) and the cache.
    double touched = 1.0;
    if (s.experts > 1) touched = speed::experts_touched(s.experts, s.experts_per_tok, tokens) / s.experts;
    st.weight_bytes = s.dense_bytes + s.expert_bytes * touched;
    const double kv_read = w.decode_seqs * kv_read_bytes(w.decode_ctx);
    const double kv_write = tokens * s.kv_bytes_per_token;
    double eta_kv_now = eta_kv;
    if (kv_per_seq > 0) eta_kv_now = std::min(eta_kv, kv_per_seq * std::max(1.0, w.decode_seqs));
    st.memory_s = st.weight_bytes / (bw * eta_weights) + kv_read / (bw * eta_kv_now) + kv_write / (bw * eta_weights);
    st.gpu_s = speed::roofline_s(st.compute_s, st.memory_s, sharpness);
    // Tensor parallel: two all-reduces of the hidden states per layer (after attention, after the MLP).
    if (j.tp > 1) st.comm_s = 2.0 * s.layers * speed::allreduce_s(tokens * s.hidden * 2.0, j.tp, link * link_eff, ar_latency);
    st.host_s = host_layer * s.layers + host_seq * (w.decode_seqs + w.logit_rows) / 2;
    st.overhead_s = overhead;
    st.total_s = std::max(st.gpu_s + st.comm_s, st.host_s) + overhead;
    return st;
  }
};

// Builds the model with its constants (each named, overridable, echoed).
Model make_model(const Common& c, const Job& j, const Estimate& e, Constants& k) {
  Model md{c, j, make_shard(c, j, e), backend_defaults(j), kernel_for(j, c.gpu)};
  const GpuSpec& g = c.gpu;
  md.bw = g.memory_bandwidth_bytes_per_s;
  md.eta_weights = k.get("decode_bandwidth", md.b.decode_bandwidth) * k.get("quant_bandwidth_factor", md.k.bandwidth_factor);
  md.eta_kv = k.get("kv_bandwidth", md.b.decode_bandwidth);
  md.kv_per_seq = md.b.kv_bandwidth_per_seq > 0 ? k.get("kv_bandwidth_per_sequence", md.b.kv_bandwidth_per_seq) : 0;
  if (md.b.kv_read_bytes_per_s_per_seq > 0 && md.bw > 0)
    md.kv_per_seq = k.get("kv_read_bytes_per_s_per_sequence", md.b.kv_read_bytes_per_s_per_seq) / md.bw;
  Precision used = md.k.gemm;
  md.peak_gemm = peak_flops(g, md.k.gemm, &used);
  md.peak16 = peak_flops(g, j.dtype_bytes == 4 ? Precision::fp32 : Precision::bf16);
  const double power = power_limit_factor(g, j.power_limit_w, k.get("power_limit_exponent", 0.35));
  const double base = k.get("compute_efficiency", tensor_efficiency(g)) *
                      hidden_size_factor(static_cast<double>(c.model.hidden_size), k.get("hidden_size_half", 256));
  const bool low_precision = used == Precision::fp8 || used == Precision::int8 || used == Precision::fp4;
  md.eta_gemm = base * (low_precision ? k.get("fp8_compute_factor", 0.88) : 1.0) *
                k.get("quant_compute_factor", md.k.compute_factor) * power;
  // llama.cpp's cuBLAS path accumulates fp16 in fp16; GeForce cards run that at twice the
  // fp32-accumulate rate their records give (gpu-data "GeForce rule"), at lower efficiency.
  if (j.backend == "llama.cpp" && g.name.find("GeForce") != std::string::npos)
    md.eta_gemm *= k.get("fp16_accumulate_factor", 1.15);
  md.eta_attn = base * k.get("attention_efficiency_factor", attention_relative_efficiency(g, is_engine(j.backend))) * power;
  const int ranks = j.tp;
  md.link = speed::link_bytes_per_s(g, ranks, k.get("internode_bandwidth", default_internode_bytes_per_s(g)));
  const bool nvlink = g.nvlink_bytes_per_s > 0 && ranks <= 8;
  if (ranks > 1) {
    md.link_eff = k.get("link_efficiency", 0.80);
    md.ar_latency = nvlink ? k.get("allreduce_latency_s", 25e-6) : k.get("allreduce_latency_pcie_s", 50e-6);
  }
  md.sharpness = k.get("roofline_sharpness", 2.0);
  if (md.b.host_per_sequence_s > 0) md.host_seq = k.get("host_overhead_per_sequence_s", md.b.host_per_sequence_s);
  md.overhead = k.get("step_overhead_s", md.b.step_overhead_s);
  md.host_layer = md.b.host_per_layer_s > 0 ? k.get("host_overhead_per_layer_s", md.b.host_per_layer_s) : 0;
  if (md.host_layer > 0 && md.k.host_per_linear_s > 0)
    md.host_layer += k.get("host_overhead_per_quantized_linear_s", md.k.host_per_linear_s) * linears_per_layer(c.model);
  // TensorRT-LLM before 0.7 decoded GQA with its masked-MHA kernel, one pass over the cache per
  // query head (XQA, which reads each KV head once, came later).
  // Transformers: FlashAttention-2's forward (HF calls flash_attn_func, no split-KV, for a
  // 1-token query) runs one block per query head, each streaming its KV head's cache; SDPA and
  // eager expand the KV heads with repeat_kv first. Either way the cache is read once per query
  // head. Qwen2.5 speed table (A100, 14–30 k context): 3B / 7B / 14B / 32B (GQA groups 8 / 7 /
  // 5 / 5) decode attention moves 260–305 GB/s of query-head-expanded bytes, i.e. ≈ 0.15 of HBM
  // bandwidth for every group size (docs/model/speed.md).
  const bool per_query_head = (j.backend == "tensorrt-llm" && j.backend_version > 0 && j.backend_version < 0.07) ||
                              j.backend == "transformers";
  md.gqa_reads = per_query_head ? k.get("kv_reads_per_kv_head", md.s.gqa_group) : 1.0;
  return md;
}

// ---------------------------------------------------------------------------------------------
// Modes

struct Phase {
  double seconds = 0;
  Step mean;  // a representative step (for the breakdown)
};

// Prefill of `seqs` prompts of `len` tokens each on top of `prior` cached tokens, split into
// chunks of at most `budget` tokens (chunked prefill) or run at once.
Phase prefill(const Model& md, double seqs, double len, double prior, double budget) {
  Phase ph;
  const double tokens = seqs * len;
  if (tokens <= 0) return ph;
  const double chunks = budget > 0 ? std::max(1.0, std::ceil(tokens / budget)) : 1.0;
  Work w;
  w.prefill_tokens = tokens / chunks;
  w.prefill_pairs = seqs * (len * prior + len * (len + 1) / 2) / chunks;
  w.logit_rows = seqs / chunks;
  ph.mean = md.step(w);
  ph.seconds = chunks * ph.mean.total_s;
  return ph;
}

// `steps` decode steps of `batch` sequences whose context grows from `ctx0` by one per step
// (Simpson's rule over the context: step time is smooth in it).
Phase decode(const Model& md, double batch, double ctx0, double steps, int pipeline_micro_batches) {
  Phase ph;
  if (steps <= 0 || batch <= 0) return ph;
  const double mb = std::max(1, pipeline_micro_batches);
  auto at = [&](double ctx) {
    Work w;
    w.decode_seqs = batch / mb;
    w.decode_ctx = ctx;
    w.logit_rows = batch / mb;
    return md.step(w);
  };
  const Step a = at(ctx0), m = at(ctx0 + (steps - 1) / 2), z = at(ctx0 + steps - 1);
  const double stage = (a.total_s + 4 * m.total_s + z.total_s) / 6;
  const double pp = md.j.pp;
  // One token of every sequence passes all pp stages; with pp micro-batches in flight the
  // stages overlap, so a step of the whole batch takes pp stage-steps of batch/pp sequences.
  ph.seconds = steps * (pp * stage + (pp - 1) * md.ar_latency);
  ph.mean = m;
  return ph;
}

// Steady state of a continuously batched engine: `batch` sequences decoding at their mean
// context while the prompts of the requests that replace finished ones are prefilled.
Step engine_iteration(const Model& md, double batch, int pipeline_micro_batches) {
  const Job& j = md.j;
  const double in = static_cast<double>(j.input_len), out = std::max<double>(1, j.output_len);
  const double mb = std::max(1, pipeline_micro_batches);
  Work w;
  w.decode_seqs = batch / mb;
  w.decode_ctx = in + out / 2;
  const double arrivals = batch / out / mb;  // requests finishing (and starting) per iteration
  w.prefill_tokens = arrivals * in;
  w.prefill_pairs = arrivals * in * (in + 1) / 2;
  w.logit_rows = w.decode_seqs + arrivals;
  Step st = md.step(w);
  const double pp = j.pp;
  st.total_s = pp * st.total_s + (pp - 1) * md.ar_latency;
  return st;
}

Value breakdown(const Step& st) {
  Value v = Value::object();
  v.set("compute_s", st.compute_s);
  v.set("memory_s", st.memory_s);
  v.set("communication_s", st.comm_s);
  if (st.host_s > 0) v.set("host_s", st.host_s);
  v.set("overhead_s", st.overhead_s);
  v.set("bound", st.host_s > st.gpu_s + st.comm_s ? "host" : st.compute_s > st.memory_s ? "compute" : "memory");
  return v;
}

}  // namespace

void add_inference_performance(const Common& c, const Value& request, Estimate& e) {
  Reader r(&request, "", e.warnings);
  const Job j = read_job(c, r, e.warnings);
  Constants k(request.find("efficiency"), e.warnings);
  Value perf = Value::object();
  const GpuSpec& g = c.gpu;
  if (c.num_gpus > 1 && speed::nvlink_assumed(g))
    e.warnings.push_back(g.name + "'s record gives no NVLink bandwidth: the " + g.architecture +
                         " SXM parts' NVLink is assumed for the links between its GPUs");
  if (g.memory_bandwidth_bytes_per_s <= 0) {
    e.warnings.push_back(g.name + " has no memory bandwidth in its record: speed is not estimated (give memory_bandwidth_bytes_per_s)");
    e.performance = perf;
    return;
  }
  const Model md = make_model(c, j, e, k);
  if (md.peak_gemm <= 0)
    e.warnings.push_back(g.name + " has no FLOP/s figure in its record: compute-bound phases (prefill, large batches) are not modelled and will be underestimated");

  const double in = static_cast<double>(j.input_len), out = static_cast<double>(j.output_len);
  const bool engine = is_engine(j.backend);
  // The limits the memory estimator resolved for this backend and GPU (vLLM's max_num_seqs and
  // max_num_batched_tokens by version and GPU, TensorRT-LLM's max_batch_size and max_num_tokens,
  // TGI's max_batch_prefill_tokens): one source for both models; ours when it gives none.
  auto resolved = [&](std::initializer_list<std::string_view> keys) {
    for (auto key : keys)
      if (const Value* v = e.extra.find(key); v && v->is_number() && v->as_double() > 0) return v->as_double();
    return 0.0;
  };
  double budget = 0;
  if (md.b.chunked_prefill) {
    budget = resolved({"max_num_batched_tokens", "max_num_tokens", "max_batch_prefill_tokens"});
    if (budget <= 0) budget = static_cast<double>(j.max_num_batched_tokens);
  }
  const double ttft_overhead = j.mode == "serving" ? k.get("ttft_overhead_s", 0.005) : 0;

  std::string mode = j.mode;
  if (j.request_rate && std::isinf(*j.request_rate)) mode = "offline";
  if (!engine && mode != "latency") {
    e.warnings.push_back("backend \"" + j.backend + "\" has no continuous batching: " + mode +
                         " mode is estimated as back-to-back batches of batch_size");
    mode = "latency";
  }

  // Largest batch the engine runs: its batch limit and the KV cache (each running sequence
  // holds its prompt plus the reserved part of its output).
  double max_batch = j.max_batch_given ? static_cast<double>(j.max_num_seqs) : resolved({"max_num_seqs", "max_batch_size"});
  if (max_batch <= 0) max_batch = md.b.default_max_batch;
  double kv_batch = kInf;
  if (engine && e.kv_cache && e.kv_cache->capacity_tokens > 0) {
    const double per_seq = in + md.b.kv_reserve_output * out;
    kv_batch = std::floor(static_cast<double>(e.kv_cache->capacity_tokens) / std::max(1.0, per_seq));
  } else if (engine && e.kv_cache) {
    kv_batch = 0;
  }
  const double batch_limit = std::max(0.0, std::min(max_batch, kv_batch));
  if (engine && batch_limit < 1) {
    e.warnings.push_back("the KV cache cannot hold one sequence of input_len + output_len tokens: speed is not estimated");
    e.performance = perf;
    return;
  }
  const int pipeline_mb = engine && mode != "latency" ? j.pp : 1;

  double ttft = 0, tpot = 0, latency = 0, out_tps = 0, batch_used = 0, req_per_s = 0, wait = 0;
  Step mean_step;
  Phase pre, alone;
  if (mode == "latency") {
    double b = static_cast<double>(j.batch);
    if (engine && b > batch_limit) {
      e.warnings.push_back("batch_size " + std::to_string(j.batch) + " exceeds what the engine runs at once (" +
                           std::to_string(to_int64(batch_limit)) + " sequences by its batch limit and KV cache): the batch runs in waves");
    }
    const double waves = engine ? std::ceil(b / std::max(1.0, batch_limit)) : 1.0;
    const double wave_b = b / waves;
    pre = prefill(md, wave_b, in, 0, budget);
    const Phase dec = decode(md, wave_b, in + 1, std::max(0.0, out - 1), 1);
    ttft = pre.seconds + ttft_overhead;
    tpot = out > 1 ? dec.seconds / (out - 1) : 0;
    latency = waves * (pre.seconds + dec.seconds) + ttft_overhead;
    out_tps = latency > 0 ? b * out / latency : 0;
    batch_used = wave_b;
    req_per_s = latency > 0 ? b / latency : 0;
    mean_step = out > 1 ? dec.mean : pre.mean;
  } else {
    // Continuous batching, per data-parallel replica.
    // A request's first token: its prompt is prefilled in one mixed iteration beside the other
    // b − 1 running sequences' decode; before that it waits for the iteration in progress and,
    // on average, for the residual of another request's prefill (M/G/1 residual: ρ·S/2).
    alone = prefill(md, 1, in, 0, budget);
    auto service = [&](double b, Step* it) {
      const Step st = engine_iteration(md, b, pipeline_mb);
      if (it) *it = st;
      double first = alone.seconds;
      if (b > 1) {
        const double arrivals_per_s = b / (std::max(1.0, out) * st.total_s);
        const double rho_prefill = std::min(0.95, arrivals_per_s * alone.seconds);
        first += (b - 1) / b * st.total_s / 2 + rho_prefill * alone.seconds / 2;
      }
      return std::pair{first, first + std::max(0.0, out - 1) * st.total_s};
    };
    double b = batch_limit;
    if (mode == "serving") {
      if (j.request_rate) {
        const double lam = *j.request_rate / j.dp;
        auto [first_max, s_max] = service(batch_limit, nullptr);
        const double mu = batch_limit / s_max;
        if (lam >= mu) {
          b = batch_limit;
          if (j.num_prompts) wait = static_cast<double>(*j.num_prompts) / j.dp / 2 * (1 / mu - 1 / lam);
          else e.warnings.push_back("request_rate exceeds what the deployment serves (" + std::to_string(mu * j.dp) +
                                    " requests/s): the queue grows without bound; TTFT excludes the queue");
        } else {
          b = std::min(batch_limit, std::max(1.0, lam * first_max));
          for (int i = 0; i < 15; ++i) b = std::min(batch_limit, std::max(1e-3, lam * service(b, nullptr).second));
          const double rho = lam / mu;
          wait = rho / (1 - rho) * s_max / batch_limit / 2;  // M/D/1-like wait for a free slot
        }
      } else {
        const double conc = j.concurrency.value_or(static_cast<double>(j.batch)) / j.dp;
        b = std::min(conc, batch_limit);
        if (conc > batch_limit) {
          auto [first, s] = service(b, nullptr);
          (void)first;
          wait = (conc - batch_limit) * s / batch_limit;  // closed loop: Little's law
        }
      }
    }
    Step it;
    auto [first, s] = service(b, &it);
    ttft = wait + first + ttft_overhead;
    tpot = it.total_s;
    latency = ttft + std::max(0.0, out - 1) * tpot;
    // Offline the engine stays full: every iteration yields one token per running sequence.
    // Serving counts by Little's law over a request's whole time in service (the clients' view).
    req_per_s = (mode == "offline" ? b / (std::max(1.0, out) * it.total_s) : b / s) * j.dp;
    out_tps = req_per_s * out;
    batch_used = b;
    mean_step = it;
    pre = alone;
  }

  perf.set("mode", mode);
  perf.set("batch_size_used", batch_used);
  if (engine) perf.set("max_batch_size", batch_limit);
  set_positive(perf, "ttft_s", ttft);
  set_positive(perf, "tpot_s", tpot);
  set_positive(perf, "latency_s", latency);
  // Latency mode repeats one batch of identical requests (vLLM benchmark_latency): the model has
  // no spread between iterations, so the median and p99 are the mean (measured: within 1 %).
  if (mode == "latency" && latency > 0) {
    e.extra.set("latency_median_s", latency);
    e.extra.set("latency_p99_s", latency);
  }
  set_positive(perf, "e2e_latency_s", latency);
  set_positive(perf, "tokens_per_s", out_tps);
  set_positive(perf, "total_tokens_per_s", req_per_s * (in + out));
  set_positive(perf, "prefill_tokens_per_s", pre.seconds > 0 ? (mode == "latency" ? batch_used : 1.0) * in / pre.seconds : 0);
  set_positive(perf, "requests_per_s", req_per_s);
  if (wait > 0) perf.set("queue_wait_s", wait);
  double total_time = 0;
  if (j.num_prompts && req_per_s > 0) {
    total_time = static_cast<double>(*j.num_prompts) / req_per_s;
    perf.set("total_time_s", total_time);
  }
  perf.set("decode_step", breakdown(mean_step));
  add_cost(g, c.num_gpus, out_tps, total_time, r, perf);
  perf.set("efficiency", k.used());
  perf.set("kernel", md.k.name);
  k.warn_unused();
  e.performance = std::move(perf);

  // Figures the contract has no field for (the calibration cases' extra.* metrics).
  if (out_tps > 0) e.extra.set("output_tokens_per_s_per_gpu", out_tps / c.num_gpus);
  if (pre.seconds > 0) e.extra.set("prompt_tokens_per_s", (mode == "latency" ? batch_used : 1.0) * in / pre.seconds);
  if (req_per_s > 0) e.extra.set("requests_per_s", req_per_s);
  if (total_time > 0) e.extra.set("total_time_s", total_time);
  if (tpot > 0 && mean_step.weight_bytes > 0)
    e.extra.set("achieved_bandwidth_bytes_per_s", mean_step.weight_bytes / tpot);  // gpt-fast's definition
}

}  // namespace llmsizer::perf
