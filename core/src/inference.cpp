// Inference memory: reads the job, resolves the model as the engines see it, and hands over to
// one estimator per serving backend (infer_vllm.cpp, infer_sglang.cpp, infer_tgi.cpp,
// infer_trtllm.cpp, infer_transformers.cpp, infer_llamacpp.cpp). Shared formulas.md §5–6,
// calibration/NOTES-inference.md; every constant is in docs/model/inference.md.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "infer_common.hpp"

namespace llmsizer {
namespace infer {

Version parse_version(std::string_view text) {
  Version v;
  size_t i = 0;
  while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i]))) {
    // Only a short prefix such as "~", "v" or ">=" may precede the number.
    if (std::isalpha(static_cast<unsigned char>(text[i])) && text[i] != 'v') return v;
    if (++i > 3) return v;
  }
  int parts[3] = {0, 0, 0};
  int n = 0;
  while (n < 3 && i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    int x = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && x < 100000)
      x = x * 10 + (text[i++] - '0');
    parts[n++] = x;
    if (i < text.size() && text[i] == '.')
      ++i;
    else
      break;
  }
  if (n == 0) return v;
  v.major = parts[0];
  v.minor = parts[1];
  v.patch = parts[2];
  return v;
}

double forward_bytes_per_token(const ModelSpec& m, int tp, int dtype_bytes, double hidden_copies) {
  const double h = static_cast<double>(m.hidden_size);
  const double t = std::max(1, tp);
  const double mats = m.gated_mlp ? 3.0 : 2.0;  // gate, up, act(gate)·up   |   fc, act(fc)
  double mlp = mats * static_cast<double>(m.intermediate_size) / t;
  if (m.num_experts > 1) {
    const double k = static_cast<double>(std::max<int64_t>(1, m.num_experts_per_tok));
    const double moe = k * (mats * static_cast<double>(m.moe_intermediate_size) / t + h) +
                       mats * static_cast<double>(m.shared_expert_intermediate_size) / t;
    mlp = m.num_moe_layers >= m.num_hidden_layers ? moe : std::max(moe, mlp);
  }
  const double d = static_cast<double>(m.head_dim);
  const double attn = m.attention == Attention::mla
                          ? static_cast<double>(m.num_attention_heads) *
                                (2.0 * static_cast<double>(m.qk_nope_head_dim + m.qk_rope_head_dim) +
                                 static_cast<double>(m.v_head_dim)) /
                                t
                          : (static_cast<double>(m.num_attention_heads + 2 * m.num_key_value_heads) * d +
                             static_cast<double>(m.num_attention_heads) * d) /
                                t;
  return dtype_bytes * (hidden_copies * h + std::max(mlp, attn));
}

double moe_workspace_bytes(const ModelSpec& m, int64_t tokens, int tp, int dtype_bytes) {
  if (m.num_experts <= 1) return 0;
  const double k = static_cast<double>(std::max<int64_t>(1, m.num_experts_per_tok));
  const double inter = static_cast<double>(m.moe_intermediate_size) / std::max(1, tp);
  const double h = static_cast<double>(m.hidden_size);
  return static_cast<double>(tokens) * k * (std::max(2 * inter, h) + inter) * dtype_bytes;
}

// Least-squares fit on the 19 vLLM 0.19 runs (FULL_AND_PIECEWISE, 51 sizes up to 512: 102
// graphs, 10,503 captured tokens): dense median 2.3 %, worst 14 %; the MoE coefficient from
// DeepSeek-V2-Lite and Llama-4-Scout (both 1.41). docs/model/inference.md "CUDA graphs".
constexpr double kCgBytesPerGraphLayer = 143.5e3;
constexpr double kCgHiddenCopies = 0.83;
constexpr double kCgIntermediateCopies = 0.51;
constexpr double kCgAttentionCopies = 3.24;
constexpr double kCgMoeCopies = 1.41;

double cuda_graph_pool_bytes(const ModelSpec& m, int tp_size, int dtype_bytes, int64_t layers, int64_t graphs,
                             double captured_tokens, std::optional<double> attention_bytes) {
  if (graphs <= 0) return 0;
  const double tp = std::max(1, tp_size);
  const double h = static_cast<double>(m.hidden_size);
  const double dense_inter = m.num_experts > 1 ? static_cast<double>(m.shared_expert_intermediate_size)
                                               : static_cast<double>(m.intermediate_size);
  const double attention_width = static_cast<double>(m.num_attention_heads) *
                                 static_cast<double>(m.attention == Attention::mla ? m.v_head_dim : m.head_dim);
  double bytes = kCgBytesPerGraphLayer * static_cast<double>(layers) * static_cast<double>(graphs);
  bytes += captured_tokens * dtype_bytes * (kCgHiddenCopies * h + kCgIntermediateCopies * dense_inter / tp);
  bytes += attention_bytes ? *attention_bytes : captured_tokens * dtype_bytes * kCgAttentionCopies * attention_width / tp;
  if (m.num_experts > 1) {
    const double k = static_cast<double>(std::max<int64_t>(1, m.num_experts_per_tok));
    const double share = static_cast<double>(layers) / static_cast<double>(std::max<int64_t>(1, m.num_hidden_layers));
    bytes += kCgMoeCopies * captured_tokens * k * (3 * static_cast<double>(m.moe_intermediate_size) / tp + h) *
             dtype_bytes * share;
  }
  return bytes;
}

double cuda_visible_bytes(const GpuSpec& g) {
  const double total = static_cast<double>(g.memory_bytes);
  return std::max(0.5 * total, total - kDriverReservedBase - kDriverReservedFraction * total);
}

std::string gib_text(double bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / kGiB);
  return buf;
}

// Other names users give the engines, and the loaders that run inside them: AutoAWQ and AutoGPTQ
// generate through transformers; Ollama runs llama.cpp. Matched lowercased; our own names match
// in any case ("vLLM"). Returns {backend, true when the name was an alias}; unknown names come
// back lowercased with false and the caller's choice() names the allowed ones.
bool autoawq_fused(std::string_view backend_as_written, std::string_view quant_library, std::optional<bool> fuse_layers) {
  const std::string b = ascii_lower(backend_as_written);
  const bool named = b == "autoawq" || b == "auto-awq";
  const bool library = ascii_lower(quant_library).rfind("autoawq", 0) == 0;
  return (named || library) && fuse_layers.value_or(named);
}

std::pair<std::string, bool> canonical_backend(std::string_view name) {
  struct Alias {
    std::string_view alias, backend;
  };
  static constexpr Alias kAliases[] = {
      {"hf", "transformers"},          {"huggingface", "transformers"},      {"hf-transformers", "transformers"},
      {"autoawq", "transformers"},     {"auto-awq", "transformers"},         {"autogptq", "transformers"},
      {"auto-gptq", "transformers"},   {"trtllm", "tensorrt-llm"},           {"trt-llm", "tensorrt-llm"},
      {"tensorrt_llm", "tensorrt-llm"}, {"tensorrtllm", "tensorrt-llm"},      {"llamacpp", "llama.cpp"},
      {"llama-cpp", "llama.cpp"},      {"llama_cpp", "llama.cpp"},           {"ik_llama.cpp", "llama.cpp"},
      {"ollama", "llama.cpp"},         {"text-generation-inference", "tgi"}, {"torch", "pytorch"},
      {"gpt-fast", "pytorch"},         {"torchao", "pytorch"},
  };
  const std::string s = ascii_lower(name);
  for (const auto& a : kAliases)
    if (s == a.alias) return {std::string(a.backend), true};
  return {s, false};
}

}  // namespace infer

namespace {

constexpr std::string_view kBackends[] = {"vllm",         "sglang",  "tgi",      "tensorrt-llm",
                                          "transformers", "pytorch", "fastchat", "llama.cpp"};
constexpr std::string_view kDtypes[] = {"auto", "bfloat16", "bf16", "float16", "fp16", "half", "float32", "fp32"};
constexpr std::string_view kTrtllmBackends[] = {"tensorrt", "pytorch"};
constexpr std::string_view kModes[] = {"latency", "offline", "serving"};
constexpr std::string_view kEngines[] = {"v0", "v1"};
constexpr std::string_view kAttention[] = {"eager", "sdpa", "flash_attention_2", "flash_attention_3"};
constexpr std::string_view kCudagraphModes[] = {"NONE", "PIECEWISE", "FULL", "FULL_DECODE_ONLY", "FULL_AND_PIECEWISE"};
constexpr std::string_view kWorkers[] = {"model_worker", "vllm_worker"};
constexpr std::string_view kQuantTypes[] = {"nf4", "fp4"};

// llama.cpp names its cache types after ggml ("f16", "q8_0" …).
std::string llamacpp_cache_type(std::string s) {
  if (s == "f16") return "fp16";
  if (s == "bf16" || s == "f32") return s == "f32" ? "fp32" : "bf16";
  return s;
}

Result<infer::Job> parse_job(const Common& c, Fields& f) {
  infer::Job j;
  // The backend as we name it; an alias ("hf", "ollama") is kept to say which engine stood in.
  j.backend = f.choice("backend", "vllm", kBackends, [](std::string_view s) { return infer::canonical_backend(s).first; });
  if (const Value* b = f.raw("backend"); b && b->is_string() && infer::canonical_backend(b->as_string()).second)
    j.backend_alias = ascii_lower(b->as_string());
  // AutoAWQ's fused modules (fuse_layers=True) compute prefill attention explicitly: fp16 scores,
  // an fp32 softmax and the cast back (awq/modules/fused/attn.py, QuantAttentionFused) — eager.
  const Value* lib = f.raw("quant_library");
  j.autoawq_fused = infer::autoawq_fused(j.backend_alias, lib && lib->is_string() ? lib->as_string() : "",
                                         f.has("fuse_layers") ? std::optional<bool>(f.boolean("fuse_layers", false))
                                                              : std::nullopt);
  j.version_text = f.text("backend_version", "");
  j.version = infer::parse_version(j.version_text);
  j.engine = f.choice("engine", "", kEngines);
  j.dtype = f.choice("dtype", "auto", kDtypes);
  j.dtype_bytes = (j.dtype == "float32" || j.dtype == "fp32") ? 4 : 2;
  const std::string q = f.text("quantization", "none");
  if (!f.failed() && !parse_weight_format(q, j.format)) {
    const auto& names = weight_format_names();
    f.fail("quantization", "invalid_value",
           "quantization \"" + q + "\" is not supported; allowed: " + join_quoted(names));
  }
  // GPTQ/AWQ/torchao group size (-1: one group per row, as GPTQ's desc_act checkpoints name it).
  if (f.has("quantization_group_size")) {
    const int64_t g = f.integer("quantization_group_size", j.format.group_size, -1, 1 << 20);
    j.format.group_size = g <= 0 ? 0 : static_cast<int>(g);
  }
  // Hugging Face's BitsAndBytesConfig keys refine a bnb-4bit format.
  const std::string quant_type = f.choice("bnb_4bit_quant_type", "", kQuantTypes);
  const std::optional<bool> dq = f.has("bnb_4bit_use_double_quant")
                                     ? std::optional<bool>(f.boolean("bnb_4bit_use_double_quant", false))
                                     : std::nullopt;
  if (j.format.kind == FormatKind::bnb_nf4 || j.format.kind == FormatKind::bnb_fp4) {
    if (quant_type == "fp4") j.format.kind = FormatKind::bnb_fp4;
    if (quant_type == "nf4") j.format.kind = FormatKind::bnb_nf4;
    if (dq) j.format.double_quant = *dq;
  }
  // Cache dtypes in any case and under the names torch and llama.cpp give them.
  j.kv_cache_dtype = f.choice("kv_cache_dtype", "auto", kv_cache_dtype_names(), canonical_kv_cache_dtype);
  j.mode = f.choice("mode", "latency", kModes);
  j.attention = f.choice("attention", "", kAttention);
  j.tp = static_cast<int>(f.integer("tensor_parallel_size", 1, 1, 1024));
  j.pp = static_cast<int>(f.integer("pipeline_parallel_size", 1, 1, 1024));
  j.batch_size = f.integer("batch_size", 1, 1, 1 << 20);
  j.input_len = f.integer("input_len", 512, 0, 1LL << 24);
  j.input_len_given = f.has("input_len");
  j.output_len = f.integer("output_len", 128, 0, 1LL << 24);

  // Serving engines (0 = the engine's default, resolved by each estimator).
  j.max_model_len = f.integer("max_model_len", 0, 1, 1LL << 24);
  j.max_num_seqs = f.integer("max_num_seqs", 0, 1, 1 << 20);
  j.max_num_batched_tokens = f.integer("max_num_batched_tokens", 0, 1, 1LL << 24);
  j.gpu_memory_utilization = f.number("gpu_memory_utilization", 0, 0.01, 1.0);
  j.block_size = f.integer("block_size", 0, 1, 4096);
  if (f.has("enforce_eager")) j.enforce_eager = f.boolean("enforce_eager", false);
  if (f.has("enable_chunked_prefill")) j.chunked_prefill = f.boolean("enable_chunked_prefill", true);
  if (f.has("vllm_memory_profiler_estimate_cudagraphs"))
    j.estimate_cudagraphs = f.boolean("vllm_memory_profiler_estimate_cudagraphs", false);
  j.cudagraph_mode = f.choice("cudagraph_mode", "", kCudagraphModes);
  j.max_cudagraph_capture_size = f.integer("max_cudagraph_capture_size", 0, 1, 1 << 16);
  j.cudagraph_num_capture_sizes = f.integer("cudagraph_num_capture_sizes", 0, 1, 4096);
  j.max_loras = f.integer("max_loras", 0, 0, 4096);
  if (f.boolean("enable_lora", false) && j.max_loras == 0) j.max_loras = 1;
  j.max_lora_rank = f.integer("max_lora_rank", 16, 1, 1 << 14);
  j.max_cpu_loras = f.integer("max_cpu_loras", 0, 0, 1 << 16);
  j.swap_space_bytes = f.number("swap_space", -1, 0, 1 << 20) * (1 << 30);
  if (j.swap_space_bytes < 0) j.swap_space_bytes = -1;
  // SGLang
  j.mem_fraction_static = f.number("mem_fraction_static", 0, 0.01, 1.0);
  j.chunked_prefill_size = f.integer("chunked_prefill_size", 0, 1, 1LL << 24);
  j.cuda_graph_max_bs = f.integer("cuda_graph_max_bs", 0, 1, 1 << 16);
  j.page_size = f.integer("page_size", 0, 1, 4096);
  j.max_total_tokens = f.integer("max_total_tokens", 0, 1, 1LL << 31);
  // TGI
  j.max_batch_prefill_tokens = f.integer("max_batch_prefill_tokens", 0, 1, 1LL << 24);
  j.max_batch_total_tokens = f.integer("max_batch_total_tokens", 0, 1, 1LL << 31);
  j.cuda_memory_fraction = f.number("cuda_memory_fraction", 1.0, 0.01, 1.0);
  // TensorRT-LLM
  j.free_gpu_memory_fraction = f.number("free_gpu_memory_fraction", 0, 0.01, 1.0);
  j.max_batch_size = f.integer("max_batch_size", 0, 1, 1 << 20);
  j.max_num_tokens = f.integer("max_num_tokens", 0, 1, 1LL << 24);
  j.max_seq_len = f.integer("max_seq_len", 0, 1, 1LL << 24);
  j.tokens_per_block = f.integer("tokens_per_block", 0, 1, 4096);
  j.max_beam_width = f.integer("max_beam_width", 1, 1, 64);
  // TensorRT-LLM 1.0 made the PyTorch executor the default; before, engines ran in the C++ one.
  j.trtllm_pytorch_flow = f.choice("trtllm_backend", j.version.known() && j.version.at_least(1, 0) ? "pytorch" : "tensorrt",
                                   kTrtllmBackends) == "pytorch";
  // The product a backend ships in. NVIDIA NIM runs prebuilt TensorRT-LLM engines whose build
  // limits its docs do not state (infer_trtllm.cpp).
  j.serving_stack = ascii_lower(f.text("serving_stack", ""));
  j.nim = j.serving_stack == "nim" || j.serving_stack.rfind("nvidia-nim", 0) == 0 ||
          j.serving_stack.rfind("nvidia nim", 0) == 0;
  // llama.cpp
  j.n_ctx = f.integer("n_ctx", -1, 0, 1LL << 24);
  j.n_batch = f.integer("n_batch", 0, 1, 1 << 20);
  j.n_ubatch = f.integer("n_ubatch", 0, 1, 1 << 20);
  j.n_gpu_layers = f.integer("n_gpu_layers", -1, -1, 1 << 16);
  j.n_parallel = f.integer("n_parallel", 1, 1, 1 << 16);
  if (f.has("flash_attn")) j.flash_attn = f.boolean("flash_attn", false);
  j.kv_offload = !f.boolean("no_kv_offload", false);
  // FastChat
  j.worker = f.choice("worker", "model_worker", kWorkers);
  j.limit_worker_concurrency = f.integer("limit_worker_concurrency", 5, 1, 1 << 16);

  j.kv_elem_bytes = kv_element_bytes(j.kv_cache_dtype, j.dtype_bytes);
  // TensorRT-LLM's FP8 and NVFP4 checkpoints come from NVIDIA ModelOpt, whose hf_quant_config.json
  // carries "kv_cache_quant_algo": "FP8" next to "quant_algo" "FP8" / "NVFP4"; "auto" follows the
  // checkpoint, so the cache is FP8 too (docs/model/inference.md).
  if (j.backend == "tensorrt-llm" && j.kv_cache_dtype == "auto" &&
      (j.format.kind == FormatKind::fp8 || j.format.kind == FormatKind::nvfp4))
    j.kv_elem_bytes = 1;
  const std::string ck = llamacpp_cache_type(f.text("cache_type_k", ""));
  const std::string cv = llamacpp_cache_type(f.text("cache_type_v", ""));
  if (!ck.empty() || !cv.empty()) {
    const double kb = kv_element_bytes(ck.empty() ? "fp16" : ck, j.dtype_bytes);
    const double vb = kv_element_bytes(cv.empty() ? "fp16" : cv, j.dtype_bytes);
    if (kb < 0 || vb < 0)
      f.fail(kb < 0 ? "cache_type_k" : "cache_type_v", "invalid_value",
             "cache type must be one of f16, bf16, f32, q8_0, q4_0, q4_1, q5_0, q5_1");
    else
      j.kv_elem_bytes = (kb + vb) / 2;
  }
  // Keys the cases and engines carry that do not change memory (or are read elsewhere).
  f.accept({"enable_prefix_caching", "data_parallel_size", "quant_method", "quant_scheme", "quant_library",
            "torch_version", "trust_remote_code", "load_format", "layer_split", "pipeline", "device_map",
            "input_len_is_approximate", "input_len_unknown", "prompt", "benchmark_tool"});
  if (f.failed()) return *f.error();
  if (j.tp * j.pp > c.num_gpus && f.has("num_gpus"))
    f.fail("tensor_parallel_size", "inconsistent_request",
           "tensor_parallel_size × pipeline_parallel_size (" + std::to_string(j.tp * j.pp) + ") exceeds num_gpus (" +
               std::to_string(c.num_gpus) + ")");
  if (c.model.num_attention_heads % j.tp != 0)
    f.fail("tensor_parallel_size", "inconsistent_request",
           "tensor_parallel_size (" + std::to_string(j.tp) + ") must divide num_attention_heads (" +
               std::to_string(c.model.num_attention_heads) + ")");
  if (j.pp > c.model.num_hidden_layers)
    f.fail("pipeline_parallel_size", "inconsistent_request", "pipeline_parallel_size exceeds the number of layers");
  if (f.failed()) return *f.error();
  return j;
}

}  // namespace

Result<Estimate> estimate_inference(const Common& c, Fields& f) {
  auto parsed = parse_job(c, f);
  if (!parsed) return parsed.error();
  infer::Job j = std::move(parsed).value();
  const infer::ModelInfo mi = infer::model_info(c, f.raw("model"));
  auto r = [&]() -> Result<Estimate> {
    if (j.backend == "fastchat") {
      // FastChat: a CPU-only controller plus model workers; vllm_worker serves through vLLM,
      // model_worker through Hugging Face code (fastchat/serve/model_worker.py).
      return j.worker == "vllm_worker" ? infer::estimate_vllm(c, j, mi) : infer::estimate_transformers(c, j, mi);
    }
    if (j.backend == "vllm") return infer::estimate_vllm(c, j, mi);
    if (j.backend == "sglang") return infer::estimate_sglang(c, j, mi);
    if (j.backend == "tgi") return infer::estimate_tgi(c, j, mi);
    if (j.backend == "tensorrt-llm") return infer::estimate_trtllm(c, j, mi);
    if (j.backend == "llama.cpp") return infer::estimate_llamacpp(c, j, mi);
    return infer::estimate_transformers(c, j, mi);
  }();
  // The model's size in its format, every tensor once whatever the layout (not a per-GPU figure),
  // as the backend's own tools report it: llama-bench's "size" counts every GGUF tensor; gpt-fast
  // and torchao's generate.py (`pytorch`) count the modules' parameters and buffers without the
  // token-embedding table (_get_model_size skips nn.Embedding).
  if (r) {
    double text = weight_bytes(c.model, j.format, j.dtype_bytes, 1, 1).total;
    if (j.backend == "pytorch")
      for (const auto& t : c.model.tensors)
        if (t.role == Role::embed || t.role == Role::pos_embed)
          text -= tensor_bytes(t, j.format, j.dtype_bytes, c.model.num_hidden_layers);
    r->extra.set("model_size_bytes", to_int64(std::round(text + static_cast<double>(mi.vision_params) * j.dtype_bytes)));
    // Without a serving engine's preallocation the peak follows the prompt: say what was assumed.
    const bool prompt_sized = j.backend == "transformers" || j.backend == "pytorch" ||
                              (j.backend == "fastchat" && j.worker != "vllm_worker");
    if (prompt_sized && !j.input_len_given)
      r->warnings.push_back("input_len not given: a " + std::to_string(j.input_len) +
                            "-token prompt is assumed; the prefill peak and the KV cache grow with the prompt");
    if (!j.serving_stack.empty() && !(j.nim && j.backend == "tensorrt-llm"))
      r->warnings.push_back("serving_stack \"" + j.serving_stack + "\" is not modelled for backend " + j.backend +
                            ": the backend's own defaults are used");
    if (!j.backend_alias.empty())
      r->warnings.push_back("backend \"" + j.backend_alias + "\" is estimated as " + j.backend +
                            (j.backend_alias == "ollama" ? " (Ollama runs llama.cpp; set n_ctx to Ollama's num_ctx)" : "") +
                            (j.autoawq_fused ? " with AutoAWQ's fused layers (explicit prefill attention)" : ""));
  }
  return r;
}

}  // namespace llmsizer
