// TensorRT-LLM: the KV cache takes free_gpu_memory_fraction of the memory still free after the
// engine (weights), the execution context (activations planned at build time for
// max_num_tokens), the runtime buffers (logits) and the decoder's buffers are allocated.
// Sources: docs/source/reference/memory.md (weights, activation sizing at build time, "KV cache
// will by default allocate 85 % of the remaining free GPU memory" in the older runtime),
// LLM-API KvCacheConfig (free_gpu_memory_fraction 0.9, tokens_per_block 32), issue #1188
// (runtime and decoder buffers sized by max_batch_size and vocabulary).
// docs/model/inference.md "TensorRT-LLM".
#include <algorithm>
#include <cmath>

#include "infer_common.hpp"

namespace llmsizer::infer {

Result<Estimate> estimate_trtllm(const Common& c, const Job& j, const ModelInfo& mi) {
  const ModelSpec& m = c.model;
  Estimate e;
  const Version& v = j.version;
  const double total = cuda_visible_bytes(c.gpu);
  const bool distributed = j.tp * j.pp > 1;
  const double startup = cuda_context_bytes(c.gpu) + (distributed ? kNcclInitBytes : 0);
  const Stage s = pipeline_stages(m.num_hidden_layers, j.pp).front();
  const StageWeights w = stage_weights(mi, j, Loader::trtllm, s);

  // Build-time limits (trtllm-build / LLM API defaults since 0.11: 2048 sequences, 8192 tokens).
  const int64_t max_batch = j.max_batch_size > 0 ? j.max_batch_size : (j.max_num_seqs > 0 ? j.max_num_seqs : 2048);
  const int64_t max_tokens = j.max_num_tokens > 0           ? j.max_num_tokens
                             : j.max_num_batched_tokens > 0 ? j.max_num_batched_tokens
                                                            : 8192;
  const int64_t max_seq = j.max_seq_len > 0     ? j.max_seq_len
                          : j.max_model_len > 0 ? j.max_model_len
                                                : (mi.max_position > 0 ? mi.max_position : 4096);
  const double V = static_cast<double>(m.vocab_size);
  const double beams = static_cast<double>(j.max_beam_width);
  // Execution context: TensorRT plans the widest layer's tensors for max_num_tokens.
  const double act =
      static_cast<double>(max_tokens) * forward_bytes_per_token(m, j.tp, j.dtype_bytes, kEngineHiddenCopies);
  // Runtime buffers: generation logits (fp32) for every sequence and beam.
  const double runtime = static_cast<double>(max_batch) * beams * V * 4;
  // Decoder: output and parent ids per position, sampling workspace over the vocabulary.
  const double decoder = static_cast<double>(max_batch) * beams * (static_cast<double>(max_seq) * 4 * 2 + V * 4 * 2);
  const double fraction = j.free_gpu_memory_fraction > 0      ? j.free_gpu_memory_fraction
                          : (v.known() && !v.at_least(0, 11)) ? 0.85
                                                              : 0.9;
  const double free = total - startup - w.total() - act - runtime - decoder;
  const int64_t block = j.tokens_per_block > 0 ? j.tokens_per_block : (v.known() && !v.at_least(0, 15) ? 64 : 32);
  const KvLayers layers = kv_layers(m, j.kv_elem_bytes, j.tp, s.first_layer, s.last_layer, false);
  const double block_bytes = layers.bytes_per_token() * static_cast<double>(block);
  const int64_t blocks = free > 0 ? to_int64(fraction * free / block_bytes) : 0;
  const int64_t tokens = blocks * block;
  const double kv = static_cast<double>(blocks) * block_bytes;

  Value wv = w.values();
  wv.set("format", j.format.name);
  e.add("weights", w.total(), "engine: Σ tensors · bits/8, linear layers / tp (+ fp32 rotary table)", std::move(wv),
        "The TensorRT engine's weights (\"Rank 0 uses … for model weights\").");
  e.add("activations", act, "max_num_tokens · forward/token (planned at build time)",
        Value::object({{"max_num_tokens", max_tokens}}), "The execution context's activation memory.");
  e.add("runtime_overhead", startup + runtime + decoder,
        "CUDA context + max_batch_size · V · 4 (logits) + decoder buffers",
        Value::object({{"max_batch_size", max_batch},
                       {"max_seq_len", max_seq},
                       {"runtime_buffers_bytes", runtime},
                       {"decoder_bytes", decoder}}),
        "Runtime and decoder buffers grow with max_batch_size, the vocabulary and max_seq_len.");
  e.add("kv_cache", kv, "free_gpu_memory_fraction · (free after engine, context and buffers)",
        Value::object({{"free_gpu_memory_fraction", fraction}, {"tokens_per_block", block}, {"blocks", blocks}}),
        "Paged KV cache allocated once at start-up.");

  e.kv_cache = preallocated_kv(layers.bytes_per_token(), tokens, block, blocks, max_seq);
  const double used = static_cast<double>(e.total_bytes());
  e.peak.allocated_bytes = to_int64(used - startup);
  e.peak.reserved_bytes = e.peak.allocated_bytes;
  e.peak.device_bytes = to_int64(used);
  e.low_bytes = to_int64(used * 0.97);
  e.high_bytes = to_int64(used * 1.03);
  e.fits = blocks > 0;
  if (blocks <= 0)
    e.warnings.push_back(
        "no memory left for the KV cache after the engine, activations and runtime buffers; "
        "lower max_batch_size / max_num_tokens or quantize");
  e.host_bytes = to_int64(w.tensors);
  e.extra = Value::object(
      {{"cuda_total_memory_bytes", total}, {"max_batch_size", max_batch}, {"max_num_tokens", max_tokens}});
  return e;
}

}  // namespace llmsizer::infer
