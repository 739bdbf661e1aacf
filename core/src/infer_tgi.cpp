// Text Generation Inference: after a warm-up prefill of max_batch_prefill_tokens, the KV cache
// takes TGI_WIGGLE_ROOM (0.90) of the free memory (minus (1 − CUDA_MEMORY_FRACTION) · total);
// CUDA graphs are captured afterwards, inside the wiggle room. Sources (shared formulas.md §5.6):
// server/text_generation_server/models/flash_causal_lm.py (warmup), models/globals.py
// (BLOCK_SIZE per attention backend, CUDA graph sizes), utils/import_utils.py
// (get_cuda_free_memory), launcher/src/main.rs (token defaults). docs/model/inference.md "TGI".
#include <algorithm>
#include <cmath>

#include "infer_common.hpp"

namespace llmsizer::infer {

Result<Estimate> estimate_tgi(const Common& c, const Job& j, const ModelInfo& mi) {
  const ModelSpec& m = c.model;
  Estimate e;
  constexpr double kWiggleRoom = 0.90;  // TGI_WIGGLE_ROOM default
  const double total = cuda_visible_bytes(c.gpu);
  const bool distributed = j.tp * j.pp > 1;
  const double startup = cuda_context_bytes(c.gpu) + (distributed ? kNcclInitBytes : 0);
  const Stage s = pipeline_stages(m.num_hidden_layers, 1).front();
  const StageWeights w = stage_weights(mi, j, Loader::tgi, s);

  // launcher defaults (≥ 2.x): max_total_tokens = min(max_position, 4096) per request,
  // max_input_tokens = max_total_tokens − 1, max_batch_prefill_tokens = max_input_tokens + 50.
  const int64_t max_total = j.max_model_len > 0   ? j.max_model_len
                            : mi.max_position > 0 ? std::min<int64_t>(mi.max_position, 4096)
                                                  : 4096;
  const int64_t prefill = j.max_batch_prefill_tokens > 0 ? j.max_batch_prefill_tokens : max_total - 1 + 50;
  // The warm-up forward's peak stays reserved by PyTorch's allocator when free memory is read.
  const double act =
      static_cast<double>(prefill) * forward_bytes_per_token(m, j.tp, j.dtype_bytes, kEngineHiddenCopies) +
      static_cast<double>(m.vocab_size) * 4 * 4;
  const double non_torch = kCublasWorkspaceBytes + (j.tp > 1 ? kTpCommBuffersBytes : 0);
  const double free = total - startup - non_torch - w.total() - act - (1 - j.cuda_memory_fraction) * total;
  // models/globals.py: flashinfer (default from 3.0) pages by 1 token, flash-attn v2 by 16.
  const int64_t block = j.block_size > 0 ? j.block_size : (j.version.known() && !j.version.at_least(3, 0) ? 16 : 1);
  const KvLayers layers = kv_layers(m, j.kv_elem_bytes, j.tp, s.first_layer, s.last_layer, true);
  const double block_bytes = layers.bytes_per_token() * static_cast<double>(block);
  int64_t blocks = free > 0 ? to_int64(free * kWiggleRoom / block_bytes) : 0;
  if (j.max_batch_total_tokens > 0) blocks = std::min(blocks, (j.max_batch_total_tokens + block - 1) / block);
  const int64_t tokens = blocks * block;
  const double kv = static_cast<double>(blocks) * block_bytes;

  // CUDA graphs for decode batch sizes [1, 2, 4, 8, 16, 32] (the --cuda-graphs default).
  const double sum_bs = 1 + 2 + 4 + 8 + 16 + 32;
  const double cg = j.enforce_eager.value_or(false)
                        ? 0
                        : cuda_graph_pool_bytes(m, j.tp, j.dtype_bytes, m.num_hidden_layers, 6, sum_bs);

  Value wv = w.values();
  wv.set("format", j.format.name);
  e.add("weights", w.total(), "Σ tensors · bits/8, linear layers / tp", std::move(wv), "Weights as TGI loads them.");
  e.add("activations", act, "max_batch_prefill_tokens · forward/token",
        Value::object({{"max_batch_prefill_tokens", prefill}}),
        "The warm-up prefill; PyTorch keeps its peak reserved when TGI reads the free memory.");
  e.add("kv_cache", kv, "floor(0.90 · (free − (1 − CUDA_MEMORY_FRACTION) · total) / block bytes) blocks",
        Value::object({{"block_size", block},
                       {"blocks", blocks},
                       {"wiggle_room", kWiggleRoom},
                       {"cuda_memory_fraction", j.cuda_memory_fraction}}),
        "TGI sizes max_batch_total_tokens to the KV blocks that fit.");
  e.add("runtime_overhead", startup + non_torch, "CUDA context + cuBLAS" + std::string(distributed ? " + NCCL" : ""),
        Value::object({}), "Outside the KV arithmetic.");
  e.add("cuda_graphs", cg, "decode graphs for batch 1 … 32", Value::object({}),
        "Captured after the KV cache, inside the 10 % wiggle room.");

  e.kv_cache = preallocated_kv(layers.bytes_per_token(), tokens, block, blocks, max_total);
  const double used = static_cast<double>(e.total_bytes());
  e.peak.allocated_bytes = to_int64(w.total() + kv + act);
  e.peak.reserved_bytes = to_int64(w.total() + kv + act + cg);
  e.peak.device_bytes = to_int64(used);
  e.low_bytes = to_int64(used * 0.97);
  e.high_bytes = to_int64(used * 1.03);
  e.fits = tokens >= max_total && used <= total;
  if (tokens < max_total)
    e.warnings.push_back("TGI will refuse to start: max_batch_total_tokens (" + std::to_string(tokens) +
                         ") is below max_total_tokens (" + std::to_string(max_total) + ")");
  e.host_bytes = to_int64(w.tensors);
  e.extra = Value::object({{"cuda_total_memory_bytes", total},
                           {"max_batch_total_tokens", tokens},
                           {"max_total_tokens", max_total},
                           {"max_batch_prefill_tokens", prefill}});
  return e;
}

}  // namespace llmsizer::infer
