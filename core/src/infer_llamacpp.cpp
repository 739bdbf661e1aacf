// llama.cpp: a weights buffer per device (the offloaded layers, the output layer when
// n_gpu_layers > n_layer; token_embd stays in host memory), a KV cache for n_ctx cells in the
// cache types, and a compute buffer the graph allocator sizes for one n_ubatch worst-case graph.
// Sources (shared formulas.md §2.5, §5.8): src/llama-kv-cache.cpp (llama_kv_cache_init,
// padding 256 with flash attention, 32 without), src/llama-model.cpp (layer offload, output
// layer), common/common.h (defaults n_ctx 4096, n_batch 2048, n_ubatch 512, f16 cache),
// ggml-alloc (graph reservation). docs/model/inference.md "llama.cpp".
#include <algorithm>
#include <cmath>

#include "infer_common.hpp"

namespace llmsizer::infer {
namespace {

// Activation vectors of n_ubatch tokens alive beside the KQ matrix (input, residual, Q, K/V
// views converted for the matmul): fitted on the compute buffers in the llama.cpp logs —
// 162.13 MiB for Llama-2-7B at n_ctx 2048 = 128 MiB of KQ + 4.27 · 512 · 4096 · 4 B.
constexpr double kComputeHiddenCopies = 4.27;

}  // namespace

Result<Estimate> estimate_llamacpp(const Common& c, const Job& j, const ModelInfo& mi) {
  const ModelSpec& m = c.model;
  Estimate e;
  const int64_t L = m.num_hidden_layers;
  const bool fa = j.flash_attn.value_or(j.attention == "flash_attention_2" || j.attention == "flash_attention_3");
  int64_t n_ctx = j.n_ctx >= 0 ? j.n_ctx : (j.max_model_len > 0 ? j.max_model_len : 4096);
  if (n_ctx == 0) n_ctx = mi.max_position > 0 ? mi.max_position : 4096;  // 0 = the training context
  const int64_t pad = fa ? 256 : 32;
  n_ctx = (n_ctx + pad - 1) / pad * pad;
  const int64_t ubatch = j.n_ubatch > 0 ? j.n_ubatch : std::min<int64_t>(j.n_batch > 0 ? j.n_batch : 512, 512);
  const int64_t ngl = j.n_gpu_layers < 0 ? L + 1 : j.n_gpu_layers;  // -1: offload everything
  const int64_t gpu_layers = std::min(ngl, L);
  const bool output_on_gpu = ngl > L;
  const int devices = std::max(1, c.num_gpus);

  // Weights: per layer, the output layer, the token embedding (always host).
  double layer_bytes = 0, output_bytes = 0, embed_bytes = 0;
  for (const auto& t : m.tensors) {
    const double b = tensor_bytes(t, j.format, j.dtype_bytes, L);
    if (t.first_layer >= 0)
      layer_bytes += b;
    else if (t.role == Role::embed || t.role == Role::pos_embed)
      embed_bytes += b;
    else
      output_bytes += b;
  }
  if (m.tie_word_embeddings) output_bytes += embed_bytes;  // the output layer re-uses token_embd's data
  const double per_layer = layer_bytes / static_cast<double>(std::max<int64_t>(1, L));
  const double gpu_weights =
      (per_layer * static_cast<double>(gpu_layers) + (output_on_gpu ? output_bytes : 0)) / devices;
  const double host_weights =
      per_layer * static_cast<double>(L - gpu_layers) + (output_on_gpu ? 0 : output_bytes) + embed_bytes;

  const KvLayers layers = kv_layers(m, j.kv_elem_bytes, 1, 0, L, false);
  const double kv_per_layer = layers.bytes_per_token_layer * static_cast<double>(n_ctx);
  const double kv_layers_total = static_cast<double>(layers.total());
  const double gpu_kv_layers = j.kv_offload ? std::min<double>(static_cast<double>(gpu_layers), kv_layers_total) : 0;
  const double gpu_kv = kv_per_layer * gpu_kv_layers / devices;
  const double host_kv = kv_per_layer * (kv_layers_total - gpu_kv_layers);

  // Compute buffer of the worst-case graph (n_ubatch tokens against n_ctx cells).
  const double h = static_cast<double>(m.hidden_size), V = static_cast<double>(m.vocab_size);
  const double ub = static_cast<double>(ubatch);
  const double kq = fa ? 0 : ub * static_cast<double>(n_ctx) * static_cast<double>(m.num_attention_heads) * 4;
  const double attention_phase = kq + kComputeHiddenCopies * ub * h * 4;
  const double ffn_phase = ub * (3.0 * static_cast<double>(m.intermediate_size) + 2 * h) * 4;
  const double output_phase = ub * (V + 2 * h) * 4;
  const double compute = std::max({attention_phase, ffn_phase, output_phase});
  const bool any_gpu = gpu_layers > 0 || output_on_gpu;
  const double gpu_compute = any_gpu ? compute : 0;
  const double host_compute = gpu_layers >= L && output_on_gpu ? ub * h * 4 * 2 : compute;

  Value wv = Value::object({{"format", j.format.name},
                            {"n_gpu_layers", ngl},
                            {"layers_on_gpu", gpu_layers},
                            {"output_on_gpu", output_on_gpu},
                            {"host_weights_bytes", host_weights},
                            {"token_embd_bytes", embed_bytes}});
  e.add("weights", gpu_weights, "Σ offloaded layers' GGUF tensors (+ output layer when n_gpu_layers > n_layer)",
        std::move(wv), "The model buffer on the GPU; token_embd and layers not offloaded stay in host memory.");
  e.add("kv_cache", gpu_kv,
        "n_ctx (padded to " + std::to_string(pad) + ") · offloaded layers · (K + V) · cache type bytes",
        Value::object({{"n_ctx", n_ctx},
                       {"bytes_per_token_layer", layers.bytes_per_token_layer},
                       {"cache_element_bytes", j.kv_elem_bytes}}),
        "Allocated up front for the whole context, shared by n_parallel sequences.");
  e.add("activations", gpu_compute,
        fa ? "max(n_ubatch · (3·I + 2·h), n_ubatch · (V + 2·h)) · 4 B"
           : "n_ubatch · n_ctx · n_head · 4 B (KQ) + 4.27 · n_ubatch · h · 4 B",
        Value::object({{"n_ubatch", ubatch}, {"flash_attn", fa}, {"kq_bytes", kq}}),
        "The compute buffer ggml reserves for the largest graph.");
  e.add("runtime_overhead", any_gpu ? cuda_context_bytes(c.gpu) : 0.0, "CUDA context + cuBLAS", Value::object({}),
        "The backend's context on each GPU used.");

  KvCacheInfo k;
  k.bytes_per_token = to_int64(std::llround(layers.bytes_per_token()));
  k.capacity_tokens = n_ctx;
  k.block_size = pad;
  k.num_blocks = n_ctx / pad;
  k.max_concurrency =
      static_cast<double>(n_ctx) / static_cast<double>(std::max<int64_t>(1, j.input_len + j.output_len));
  const double visible = cuda_visible_bytes(c.gpu);
  const double gpu_used = static_cast<double>(e.total_bytes());
  // Longest n_ctx that would still fit: KV and the KQ part of the compute buffer grow with it.
  const double per_ctx = (kv_per_layer / static_cast<double>(n_ctx)) * gpu_kv_layers / devices +
                         (fa ? 0 : ub * static_cast<double>(m.num_attention_heads) * 4);
  const double room = visible - (gpu_used - gpu_kv - kq);
  k.max_context_fit = any_gpu && per_ctx > 0 ? to_int64(std::max(0.0, room / per_ctx)) : n_ctx;
  e.kv_cache = k;

  e.peak.allocated_bytes = to_int64(gpu_used - (any_gpu ? cuda_context_bytes(c.gpu) : 0));
  e.peak.reserved_bytes = e.peak.allocated_bytes;
  e.peak.device_bytes = to_int64(gpu_used);
  e.low_bytes = to_int64(gpu_used * 0.98);
  e.high_bytes = to_int64(gpu_used * 1.05 + 100 * kMiB);
  e.fits = gpu_used <= visible;
  if (!e.fits)
    e.warnings.push_back(
        "does not fit: lower n_gpu_layers (layers stay in host memory, slower) or n_ctx, or use a "
        "quantized cache type (q8_0 halves the KV cache)");
  e.host_bytes = to_int64(host_weights + host_kv + host_compute);
  Value host = Value::array();
  host.push(Value::object({{"id", "weights"}, {"bytes", host_weights}}));
  host.push(Value::object({{"id", "kv_cache"}, {"bytes", host_kv}}));
  host.push(Value::object({{"id", "activations"}, {"bytes", host_compute}}));
  e.extra = Value::object({{"host_components", host}, {"cuda_total_memory_bytes", visible}});
  return e;
}

}  // namespace llmsizer::infer
