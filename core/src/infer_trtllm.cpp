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
  // NIM's prebuilt engines: their build limits are not published. 256 sequences is inferred from
  // NIM's own Llama-3.3-70B FP8 TP2 sweep (5,000 + 500 tokens): at concurrency 100 and 250 it
  // saturates at 86–89 sequences in flight (Little's law: 917 tok/s × 92.9 ms ITL ÷ … ), which the
  // buffers below leave room for with max_batch_size 256 (89) or 512 (85) but not 2048 (58).
  // docs/model/inference.md "TensorRT-LLM".
  constexpr int64_t kNimMaxBatchSize = 256;
  const bool batch_given = j.max_batch_size > 0 || j.max_num_seqs > 0;
  const int64_t max_batch = j.max_batch_size > 0 ? j.max_batch_size
                            : j.max_num_seqs > 0 ? j.max_num_seqs
                            : j.nim              ? kNimMaxBatchSize
                                                 : 2048;
  if (j.nim && !batch_given)
    e.warnings.push_back("NIM does not publish its engines' build limits: max_batch_size " +
                         std::to_string(kNimMaxBatchSize) +
                         " is assumed (inferred from NIM's published sweeps); give max_batch_size and max_seq_len from "
                         "the profile to size the runtime and decoder buffers exactly");
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
  const double B = static_cast<double>(max_batch), S = static_cast<double>(max_seq);
  double runtime = 0, decoder = 0;
  if (!j.trtllm_pytorch_flow) {
    // The C++ executor's buffers, as TrtGptModelInflightBatching allocates them between its
    // "[MemUsageChange] Allocated … GPU memory for runtime buffers / for decoder" log lines (0.11–0.17):
    // runtime: fp32 logits B·W·Vp·4, cache indirection (×3) and log-prob / output-id slots
    //   4·B·W·(3A + 3S) with the attention window A = max_seq_len, input ids 4·N
    //   (batch_manager/runtimeBuffers.cpp, transformerBuffers.cpp, decoderBuffers.cpp);
    // decoder: ids, parent ids and log probs (twice) 16·B·W·S, embedding bias, runtime logits,
    //   penalty and top-K workspaces 16·B·Vp, top-K's per-slot scratch 64 KiB · B
    //   (runtime/gptDecoderBatched.cpp, layers/decodingLayerWorkspace.cpp, getTopKWorkspaceSize).
    // Vp: the vocabulary padded to a multiple of tp·pp. Issue #1188 (qwen2.5-coder-0.5B int8,
    // 2048 × 32768) logs 2.66 and 5.76 GiB; these give 2.659 and 5.762.
    const double world = static_cast<double>(j.tp * j.pp);
    const double Vp = std::ceil(V / world) * world;
    runtime = B * beams * Vp * 4 + 4 * B * beams * (3 * S + 3 * S) + 4.0 * static_cast<double>(max_tokens);
    decoder = 16 * B * beams * S + 16 * B * Vp + 65536 * B;
  } else {
    // PyTorch executor: fp32 logits for every sequence and beam, and the sampler's token and
    // vocabulary buffers (structural, not calibrated: no log of these allocations yet).
    runtime = B * beams * V * 4;
    decoder = B * beams * (S * 4 * 2 + V * 4 * 2);
  }
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
        j.trtllm_pytorch_flow ? "CUDA context + max_batch_size · V · 4 (logits) + sampler buffers"
                              : "CUDA context + runtime buffers B·(Vp·4 + 24·S) + decoder B·(16·S + 16·Vp + 64 KiB)",
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
    e.warnings.push_back("no memory left for the KV cache after the engine, activations and runtime buffers (the buffers take " +
                         gib_text(runtime + decoder) + " for max_batch_size " + std::to_string(max_batch) +
                         " × max_seq_len " + std::to_string(max_seq) +
                         "); build with a smaller max_batch_size / max_seq_len / max_num_tokens, or quantize");
  else if (runtime + decoder > 0.15 * total)
    e.warnings.push_back("the executor's runtime and decoder buffers take " + gib_text(runtime + decoder) +
                         " (max_batch_size " + std::to_string(max_batch) + " × max_seq_len " + std::to_string(max_seq) +
                         "): a smaller max_batch_size / max_seq_len at build time leaves that to the KV cache");
  e.host_bytes = to_int64(w.tensors);
  e.extra = Value::object(
      {{"cuda_total_memory_bytes", total}, {"max_batch_size", max_batch}, {"max_num_tokens", max_tokens}});
  return e;
}

}  // namespace llmsizer::infer
