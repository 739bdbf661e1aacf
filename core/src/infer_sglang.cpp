// SGLang: mem_fraction_static of the memory free at start-up holds the weights and the KV pool;
// the rest (1 − fraction) is left for activations of chunked prefill and CUDA graphs.
// Sources: sglang srt/model_executor/model_runner.py (profile_max_num_token:
// rest = available_after_load − free_at_init · (1 − mem_fraction_static)), srt/server_args.py
// (defaults of mem_fraction_static, chunked_prefill_size, cuda_graph_max_bs),
// cuda_graph_runner.py (capture batch sizes). docs/model/inference.md "SGLang".
#include <algorithm>
#include <cmath>

#include "infer_common.hpp"

namespace llmsizer::infer {
namespace {

// Reserved memory of server_args.py (≥ 0.4.7): MiB set aside for activations and CUDA graphs,
// by GPU size (nvidia-smi MiB) and tp·pp; mem_fraction_static = (gpu − reserved) / gpu.
double default_mem_fraction(const Job& j, double gpu_mib) {
  const double par = static_cast<double>(j.tp * j.pp);
  if (j.version.known() && !j.version.at_least(0, 4, 7)) {  // the older table by TP size
    return j.tp >= 16 ? 0.79 : j.tp >= 8 ? 0.81 : j.tp >= 4 ? 0.85 : j.tp >= 2 ? 0.87 : 0.88;
  }
  double reserved;
  if (gpu_mib < 35 * 1024)
    reserved = (2.8 + par / 10) * 1024;
  else if (gpu_mib < 90 * 1024)
    reserved = (9.5 + par / 2) * 1024;
  else if (gpu_mib < 160 * 1024)
    reserved = (12 + par / 2) * 1024;
  else
    reserved = 32 * 1024;
  return std::round((gpu_mib - reserved) / gpu_mib * 1000) / 1000;
}

}  // namespace

Result<Estimate> estimate_sglang(const Common& c, const Job& j, const ModelInfo& mi) {
  const ModelSpec& m = c.model;
  Estimate e;
  const double total = cuda_visible_bytes(c.gpu);
  const double gpu_mib = static_cast<double>(c.gpu.memory_bytes) / kMiB;
  const double fraction = j.mem_fraction_static > 0 ? j.mem_fraction_static : default_mem_fraction(j, gpu_mib);
  const bool distributed = j.tp * j.pp > 1;
  // CUDA context, NCCL and custom all-reduce buffers exist before the first measurement.
  const double startup = cuda_context_bytes(c.gpu) + (distributed ? kNcclInitBytes : 0);
  const double free_init = total - startup;

  const Stage s = pipeline_stages(m.num_hidden_layers, j.pp).front();
  const StageWeights w = stage_weights(mi, j, Loader::sglang, s);
  const KvLayers layers = kv_layers(m, j.kv_elem_bytes, j.tp, s.first_layer, s.last_layer, true);
  const double cell = layers.bytes_per_token();
  const double rest = fraction * free_init - w.total();
  const int64_t page = j.page_size > 0 ? j.page_size : 1;
  int64_t tokens = rest > 0 && cell > 0 ? to_int64(rest / cell) / page * page : 0;
  if (j.max_total_tokens > 0) tokens = std::min(tokens, j.max_total_tokens);
  const double kv = static_cast<double>(tokens) * cell;

  // Outside the static pool: a chunked-prefill forward and the CUDA graphs of decode batches.
  const int64_t chunk = j.chunked_prefill_size > 0 ? j.chunked_prefill_size
                        : gpu_mib < 35 * 1024      ? 2048
                        : gpu_mib < 160 * 1024     ? 8192
                                                   : 16384;
  const int64_t graph_bs = j.cuda_graph_max_bs > 0 ? j.cuda_graph_max_bs
                           : gpu_mib < 35 * 1024   ? (j.tp < 4 ? 8 : 80)
                           : gpu_mib < 90 * 1024   ? 160
                                                   : 256;
  const double act = static_cast<double>(chunk) * forward_bytes_per_token(m, j.tp, j.dtype_bytes, kEngineHiddenCopies) +
                     static_cast<double>(std::min<int64_t>(chunk, 1024)) * static_cast<double>(m.vocab_size) * 4 * 2;
  double sum_bs = 0;
  int64_t graphs = 0;
  if (!j.enforce_eager.value_or(false)) {
    for (int64_t b : {1, 2, 4, 8})
      if (b <= graph_bs) {
        sum_bs += static_cast<double>(b);
        ++graphs;
      }
    for (int64_t b = 16; b <= graph_bs; b += 8) {
      sum_bs += static_cast<double>(b);
      ++graphs;
    }
  }
  const double cg = cuda_graph_pool_bytes(m, j.tp, j.dtype_bytes, s.layers(), graphs, sum_bs);
  const double overhead = startup + kCublasWorkspaceBytes + (j.tp > 1 ? kTpCommBuffersBytes : 0);

  Value wv = w.values();
  wv.set("format", j.format.name);
  e.add("weights", w.total(), "Σ tensors · bits/8 (vocab padded to 64, linear layers / tp) + rounding + rotary cache",
        std::move(wv), "Weights as SGLang loads them.");
  e.add("kv_cache", kv, "floor((mem_fraction_static · free_at_start − weights) / bytes_per_token) tokens",
        Value::object({{"mem_fraction_static", fraction},
                       {"free_at_start_bytes", free_init},
                       {"tokens", tokens},
                       {"bytes_per_token", cell},
                       {"page_size", page}}),
        "SGLang's token pool: K and V buffers for every layer, sized once at start-up.");
  e.add("activations", act, "chunked_prefill_size · forward/token + sampler logits",
        Value::object({{"chunked_prefill_size", chunk}}),
        "Taken from the (1 − mem_fraction_static) headroom at run time.");
  e.add("runtime_overhead", overhead,
        "CUDA context + cuBLAS" + std::string(distributed ? " + NCCL / custom all-reduce" : ""),
        Value::object({{"startup_bytes", startup}}), "Memory outside PyTorch's allocator.");
  e.add("cuda_graphs", cg, "the vLLM-fitted graph pool model over batch sizes 1 … cuda_graph_max_bs",
        Value::object({{"cuda_graph_max_bs", graph_bs}, {"graphs", graphs}}), "Decode graphs captured after the pool.");

  const int64_t ctx = j.max_model_len > 0 ? j.max_model_len : (mi.max_position > 0 ? mi.max_position : 4096);
  e.kv_cache = preallocated_kv(cell, tokens, page, tokens / page, ctx);
  const double used = static_cast<double>(e.total_bytes());
  e.peak.allocated_bytes = to_int64(w.total() + kv + act);
  e.peak.reserved_bytes = to_int64(w.total() + kv + act + cg);
  e.peak.device_bytes = to_int64(used);
  e.low_bytes = to_int64(used - 0.3 * (act + cg));
  e.high_bytes = to_int64(used + 0.3 * (act + cg));
  e.fits = tokens > 0 && used <= total;
  if (tokens <= 0)
    e.warnings.push_back("no room for the KV pool: the weights exceed mem_fraction_static × free memory");
  else if (used > total)
    e.warnings.push_back("activations and CUDA graphs (" + gib_text(act + cg) + ") exceed the " +
                         gib_text(total - startup - fraction * free_init + 0) +
                         " left outside mem_fraction_static; "
                         "lower mem_fraction_static or cuda_graph_max_bs");
  e.host_bytes = to_int64(w.tensors);
  e.extra = Value::object({{"cuda_total_memory_bytes", total},
                           {"mem_fraction_static", fraction},
                           {"max_total_num_tokens", tokens},
                           {"k_size_bytes", kv / 2},
                           {"v_size_bytes", kv / 2}});
  return e;
}

}  // namespace llmsizer::infer
