// Inference memory: per-backend policies (shared formulas.md §5, calibration/NOTES-inference.md).
#include <algorithm>
#include <cmath>
#include <string_view>

#include "estimators.hpp"
#include "llmsizer/kv_cache.hpp"
#include "llmsizer/weights.hpp"

namespace llmsizer {
namespace {

constexpr std::string_view kBackends[] = {"vllm", "sglang", "tgi", "tensorrt-llm", "transformers",
                                          "pytorch", "fastchat", "llama.cpp"};
constexpr std::string_view kDtypes[] = {"auto", "bfloat16", "bf16", "float16", "fp16", "half", "float32", "fp32"};
constexpr std::string_view kModes[] = {"latency", "offline", "serving"};

struct InferenceJob {
  std::string backend, dtype, kv_cache_dtype, mode;
  WeightFormat format;
  int dtype_bytes = 2;
  int64_t max_model_len = 0, max_num_seqs = 0, max_num_batched_tokens = 0, block_size = 16;
  double gpu_memory_utilization = 0.9;
  int tp = 1, pp = 1;
  int64_t batch_size = 1, input_len = 512, output_len = 128;
};

Result<InferenceJob> parse_job(const Common& c, Fields& f) {
  InferenceJob j;
  j.backend = f.choice("backend", "vllm", kBackends);
  j.dtype = f.choice("dtype", "auto", kDtypes);
  j.dtype_bytes = (j.dtype == "float32" || j.dtype == "fp32") ? 4 : 2;
  const std::string q = f.text("quantization", "none");
  if (!f.failed() && !parse_weight_format(q, j.format)) {
    const auto& names = weight_format_names();
    f.fail("quantization", "invalid_value",
           "quantization \"" + q + "\" is not supported; allowed: " + join_quoted(names));
  }
  j.kv_cache_dtype = f.choice("kv_cache_dtype", "auto", kv_cache_dtype_names());
  j.mode = f.choice("mode", "latency", kModes);
  const int64_t model_max = c.model.max_position_embeddings > 0 ? c.model.max_position_embeddings : 4096;
  j.max_model_len = f.integer("max_model_len", model_max, 1, 1LL << 24);
  j.max_num_seqs = f.integer("max_num_seqs", 256, 1, 1 << 20);
  j.max_num_batched_tokens = f.integer("max_num_batched_tokens", std::max<int64_t>(8192, 0), 1, 1LL << 24);
  j.gpu_memory_utilization = f.number("gpu_memory_utilization", 0.9, 0.01, 1.0);
  j.block_size = f.integer("block_size", 16, 1, 4096);
  j.tp = static_cast<int>(f.integer("tensor_parallel_size", 1, 1, 1024));
  j.pp = static_cast<int>(f.integer("pipeline_parallel_size", 1, 1, 1024));
  j.batch_size = f.integer("batch_size", 1, 1, 1 << 20);
  j.input_len = f.integer("input_len", 512, 0, 1LL << 24);
  j.output_len = f.integer("output_len", 128, 0, 1LL << 24);
  f.accept({"backend_version", "engine", "enable_prefix_caching", "enforce_eager", "cudagraph_mode",
            "cudagraph_num_capture_sizes", "max_cudagraph_capture_size", "data_parallel_size",
            "enable_chunked_prefill", "attention", "vllm_memory_profiler_estimate_cudagraphs"});
  if (f.failed()) return *f.error();
  if (j.tp * j.pp > c.num_gpus && f.has("num_gpus"))
    f.fail("tensor_parallel_size", "inconsistent_request",
           "tensor_parallel_size × pipeline_parallel_size (" + std::to_string(j.tp * j.pp) +
               ") exceeds num_gpus (" + std::to_string(c.num_gpus) + ")");
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
  const InferenceJob& j = *parsed;
  const ModelSpec& m = c.model;
  Estimate e;

  const WeightBytes w = weight_bytes(m, j.format, j.dtype_bytes, j.tp, j.pp);
  e.add("weights", w.per_gpu, "Σ tensors · bits(format)/8, linear layers / tp, layers / pp (most-loaded stage)",
        Value::object({{"params", c.params.total}, {"format", j.format.name}, {"dtype_bytes", j.dtype_bytes},
                       {"tp", j.tp}, {"pp", j.pp}, {"model_bytes", w.total}}),
        "The model's weights held by one GPU.");

  const double elem = kv_element_bytes(j.kv_cache_dtype, j.dtype_bytes);
  const double layers_fraction = 1.0 / j.pp;
  const double kv_token = kv_bytes_for_sequence(m, 1, elem, j.tp, false, layers_fraction);
  KvCacheInfo kv;
  kv.bytes_per_token = static_cast<int64_t>(std::llround(kv_token));
  kv.block_size = j.block_size;
  const double total_mem = static_cast<double>(c.gpu.memory_bytes);

  // Activation peak of one forward over `tokens` tokens: the widest per-layer intermediates
  // (MLP gate+up outputs, QKV) plus fp32 logits for the sampled rows.
  auto forward_activations = [&](int64_t tokens, int64_t logit_rows) {
    const double h = m.hidden_size, I = (m.num_experts > 1 ? m.moe_intermediate_size * m.num_experts_per_tok
                                                           : m.intermediate_size) / static_cast<double>(j.tp);
    const double per_token = (4.0 * h + 2.0 * I + static_cast<double>((m.num_attention_heads + 2 * m.num_key_value_heads) * m.head_dim) / j.tp) * j.dtype_bytes;
    return static_cast<double>(tokens) * per_token + static_cast<double>(logit_rows) * m.vocab_size / j.tp * 4.0 * 2;
  };

  if (j.backend == "vllm" || j.backend == "sglang" || j.backend == "tgi" || j.backend == "tensorrt-llm" ||
      (j.backend == "fastchat")) {
    const double requested = j.gpu_memory_utilization * total_mem;
    const double act = forward_activations(j.max_num_batched_tokens, std::min(j.max_num_seqs, j.max_num_batched_tokens));
    const double non_torch = (j.tp * j.pp > 1 ? 0.25 : 0.1) * (1 << 30);
    e.add("activations", act, "max_num_batched_tokens · per-token intermediates + sampler logits (fp32)",
          Value::object({{"max_num_batched_tokens", j.max_num_batched_tokens}, {"max_num_seqs", j.max_num_seqs}}),
          "Peak of the profiling forward pass the engine runs before sizing the KV cache.");
    e.add("runtime_overhead", non_torch + kCudaContextBytes, "CUDA context + non-torch allocations (NCCL, cuBLAS)",
          Value::object({{"cuda_context_bytes", kCudaContextBytes}, {"non_torch_bytes", non_torch}}),
          "Memory outside PyTorch's allocator.");
    const double kv_budget = requested - w.per_gpu - act - non_torch;
    const double block_bytes = kv_token * j.block_size;
    int64_t blocks = kv_budget > 0 ? static_cast<int64_t>(kv_budget / block_bytes) : 0;
    kv.num_blocks = blocks;
    kv.capacity_tokens = blocks * j.block_size;
    e.add("kv_cache", static_cast<double>(blocks) * block_bytes,
          "floor((util · total − weights − activations − non_torch) / (block_size · bytes_per_token)) blocks",
          Value::object({{"gpu_memory_utilization", j.gpu_memory_utilization}, {"total_bytes", c.gpu.memory_bytes},
                         {"bytes_per_token", kv.bytes_per_token}, {"block_size", j.block_size}, {"blocks", blocks}}),
          "The engine preallocates everything left in its budget as KV-cache blocks.");
    if (kv_budget <= 0)
      e.warnings.push_back("the weights and activations exceed gpu_memory_utilization × memory: the engine will not start");
  } else {
    const int64_t tokens = j.input_len + j.output_len;
    const double kv_bytes = static_cast<double>(j.batch_size) * kv_bytes_for_sequence(m, tokens, elem, j.tp, true, layers_fraction);
    const double act = forward_activations(j.batch_size * j.input_len, j.batch_size);
    e.add("kv_cache", kv_bytes, "batch · Σ_layers 2 · kv_heads · head_dim · bytes · (input + output)",
          Value::object({{"batch_size", j.batch_size}, {"tokens", tokens}, {"bytes_per_token", kv.bytes_per_token}}),
          "Grows with each generated token; no preallocation.");
    e.add("activations", act, "prefill tokens · per-token intermediates + logits",
          Value::object({{"prefill_tokens", j.batch_size * j.input_len}}), "Peak during the prefill forward.");
    e.add("runtime_overhead", kCudaContextBytes + kCublasWorkspaceBytes, "CUDA context + cuBLAS workspace",
          Value::object({{"cuda_context_bytes", kCudaContextBytes}}), "Fixed per-process memory.");
    kv.capacity_tokens = static_cast<int64_t>(std::max(0.0, total_mem - static_cast<double>(e.total_bytes()) + kv_bytes) / std::max(1.0, kv_token));
  }
  kv.max_concurrency = static_cast<double>(kv.capacity_tokens) / static_cast<double>(std::max<int64_t>(1, j.max_model_len));
  kv.max_context_fit = kv.capacity_tokens;
  e.kv_cache = kv;

  const int64_t total = e.total_bytes();
  e.peak.allocated_bytes = total - static_cast<int64_t>(kCudaContextBytes);
  e.peak.reserved_bytes = e.peak.allocated_bytes;
  e.peak.device_bytes = total;
  e.low_bytes = static_cast<int64_t>(total * 0.95);
  e.high_bytes = static_cast<int64_t>(total * 1.08);
  e.fits = total <= c.gpu.memory_bytes && (!e.kv_cache || e.kv_cache->capacity_tokens >= j.max_model_len || j.backend == "transformers" || j.backend == "pytorch" || j.backend == "llama.cpp");
  e.host_bytes = static_cast<int64_t>(w.total);
  return e;
}

}  // namespace llmsizer
