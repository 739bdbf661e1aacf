// Hugging Face Transformers, plain PyTorch and FastChat's model_worker: nothing is preallocated.
// Peak = weights + the dynamic KV cache (DynamicCache grows to input + output tokens) + the larger
// of the prefill forward's activations and the decode step's, plus the dequantization buffers of
// quantized linears. Sources: transformers generation/utils.py (_sample, logits_to_keep),
// models/*/modeling_*.py (MLP, eager attention), cache_utils.py; AutoAWQ WQLinear_GEMM,
// AutoGPTQ exllama kernels, bitsandbytes MatMul4Bit / MatMul8bitLt. Calibration:
// NOTES-inference.md §4. Every constant: docs/model/inference.md "Transformers".
#include <algorithm>
#include <cmath>

#include "infer_common.hpp"

namespace llmsizer::infer {
namespace {

// Hidden-sized tensors alive at the MLP of a prefill: the layer's input (still referenced by the
// decoder loop), the residual, the normed MLP input, plus what the RMSNorm/attention leave
// (rotary tables, the embedding output of layer 0). Fitted on the Qwen2.5 benchmark rows at
// 30,720 input tokens (1.5B and 7B, bf16, FlashAttention-2): 4.2 copies of h besides 3·I.
constexpr double kHfHiddenCopies = 4.2;
// bitsandbytes 4-bit prefill (more than one token): dequantize_4bit writes the largest layer's
// weight in bnb_4bit_compute_dtype (float32 by default) and casts it to the input dtype: 4 + 2 B.
constexpr double kBnb4DequantBytesPerWeight = 6;
// LLM.int8() (bnb MatMul8bitLt): the weight's col_ampere/turing transform plus int32 output
// tiles of the largest layer: fitted on the octocoder int8 row (HF LLM-optimization doc).
constexpr double kBnb8TransientBytesPerWeight = 3;
// PyTorch's caching allocator keeps freed blocks: reserved − allocated, as a share of the
// dynamic (non-weight) memory (formulas.md §6: "~5–10% of activations").
constexpr double kAllocatorSlack = 0.08;

struct Plan {
  std::string attention;
  bool logits_last_only = true;         // transformers ≥ 4.45 generate(): logits_to_keep = 1
  bool logits_fp32_in_forward = false;  // ≤ 4.44 Llama-family forward did logits.float()
  int64_t batch = 1, prompt = 512, total_tokens = 640;
};

Plan plan_for(const ModelSpec& m, const Job& j) {
  Plan p;
  const bool fastchat = j.backend == "fastchat";
  const bool pytorch = j.backend == "pytorch";
  const Version& v = j.version;
  const bool hf_version_known = !fastchat && !pytorch && v.known();
  // SDPA is the default attention since transformers 4.36; older releases ran eager attention.
  // AutoAWQ's fused attention is explicit whatever the transformers version.
  p.attention = !j.attention.empty() ? j.attention
                : (j.autoawq_fused || (hf_version_known && !v.at_least(4, 36))) ? "eager"
                                                                                 : "sdpa";
  // generate() asks for the last position's logits only since 4.45; a plain forward (FastChat's
  // generate_stream, a hand-written loop) gets logits for every prompt token.
  p.logits_last_only = !fastchat && !pytorch && (!hf_version_known || v.at_least(4, 45));
  p.logits_fp32_in_forward = hf_version_known && !v.at_least(4, 45) && m.model_type != "gpt_bigcode";
  p.batch = fastchat ? std::max<int64_t>(1, j.batch_size) : j.batch_size;
  p.prompt = j.input_len;
  p.total_tokens = j.input_len + j.output_len;
  return p;
}

struct StagePeak {
  Stage stage;
  StageWeights weights;
  KvLayers layers;
  double kv_prefill = 0, kv_final = 0, prefill = 0, decode = 0, dequant = 0;
  Value act = Value::object();
  double allocated() const { return weights.total() + std::max(kv_prefill + prefill, kv_final + decode) + dequant; }
};

}  // namespace

Result<Estimate> estimate_transformers(const Common& c, const Job& job, const ModelInfo& mi) {
  const ModelSpec& m = c.model;
  // Several GPUs and no parallel layout given: accelerate's device_map="auto" splits the layers.
  Job j = job;
  const bool device_map_split = j.pp == 1 && j.tp == 1 && c.num_gpus > 1;
  if (device_map_split) j.pp = static_cast<int>(std::min<int64_t>(c.num_gpus, m.num_hidden_layers));
  const Plan p = plan_for(m, j);
  Estimate e;
  const double B = static_cast<double>(p.batch);
  const double T = static_cast<double>(p.prompt);
  const double V = static_cast<double>(m.vocab_size);
  const double dt = j.dtype_bytes;
  const int tp = std::max(1, j.tp);
  const double heads = static_cast<double>(m.num_attention_heads) / tp;

  std::vector<StagePeak> stages;
  for (const Stage& s : pipeline_stages(m.num_hidden_layers, j.pp)) {
    StagePeak r;
    r.stage = s;
    r.weights = stage_weights(mi, j, Loader::transformers, s);
    r.layers = kv_layers(m, j.kv_elem_bytes, tp, s.first_layer, s.last_layer, false);
    r.kv_prefill = B * r.layers.sequence_bytes(p.prompt);
    r.kv_final = B * r.layers.sequence_bytes(p.total_tokens);
    // Prefill: the widest layer's intermediates for B·T tokens …
    const double per_token = forward_bytes_per_token(m, tp, j.dtype_bytes, kHfHiddenCopies);
    double prefill = B * T * per_token;
    r.act.set("prefill_tokens", B * T);
    r.act.set("forward_bytes_per_token", per_token);
    // … eager attention materialises scores (dtype), their fp32 softmax and the cast back.
    if (p.attention == "eager") {
      const double scores = B * heads * T * T * (2 * dt + 4);
      r.act.set("attention_scores_bytes", scores);
      prefill += scores;
    }
    double decode = B * per_token;  // one token per sequence
    if (s.last) {
      const double rows = p.logits_last_only ? B : B * T;
      const double logits = rows * V * (dt + (p.logits_fp32_in_forward ? 4 : 0)) + B * V * 4;
      r.act.set("logits_rows", rows);
      r.act.set("logits_bytes", logits);
      prefill += logits;
      decode += B * V * (dt + 4) + B * V * 4 * 2;  // logits, fp32 copy, sampling (softmax, sort)
    }
    // DynamicCache.update concatenates: one layer's old and new K/V coexist for a moment.
    if (r.layers.total() > 0) decode += r.kv_final / static_cast<double>(r.layers.total());
    // Dequantization buffers of quantized linears.
    const double largest = r.weights.largest_linear_elements;
    switch (j.format.kind) {
      case FormatKind::bnb_nf4:
      case FormatKind::bnb_fp4:
        if (T > 1) prefill += largest * kBnb4DequantBytesPerWeight;
        break;
      case FormatKind::bnb_int8:
        r.dequant = largest * kBnb8TransientBytesPerWeight;
        break;
      case FormatKind::awq:  // AutoAWQ dequantizes for ≥ 1024 tokens, GEMV below
        if (B * T >= 1024) prefill += largest * 2;
        break;
      case FormatKind::gptq:
        r.dequant = largest * 2;
        break;  // exllama's temp_dq, allocated once
      default:
        break;
    }
    if (r.dequant > 0) r.act.set("dequant_buffer_bytes", r.dequant);
    r.prefill = prefill;
    r.decode = decode;
    stages.push_back(std::move(r));
  }
  // The most loaded GPU speaks for per_gpu; all GPUs' peaks are summed in extra.
  size_t worst = 0;
  double sum_allocated = 0;
  for (size_t i = 0; i < stages.size(); ++i) {
    sum_allocated += stages[i].allocated();
    if (stages[i].allocated() > stages[worst].allocated()) worst = i;
  }
  const StagePeak& s = stages[worst];
  const double allocated = s.allocated();
  const bool prefill_peak = s.kv_prefill + s.prefill >= s.kv_final + s.decode;
  const double activations = allocated - s.weights.total() - s.kv_final;

  Value wv = s.weights.values();
  wv.set("format", j.format.name);
  wv.set("layers", s.stage.layers());
  e.add("weights", s.weights.total(), "Σ tensors · bits(format)/8 (+ caching-allocator rounding)", std::move(wv),
        "The model's weights as PyTorch allocates them on this GPU.");
  e.add("kv_cache", s.kv_final,
        "batch · Σ_layers 2 · kv_heads · head_dim · bytes · (input + output), windowed layers capped",
        Value::object(
            {{"batch_size", p.batch}, {"tokens", p.total_tokens}, {"bytes_per_token", s.layers.bytes_per_token()}}),
        "DynamicCache grows with every generated token; nothing is preallocated.");
  Value av = s.act;
  av.set("peak_phase", prefill_peak ? "prefill" : "decode");
  av.set("attention", p.attention);
  e.add("activations", activations,
        prefill_peak ? "prefill: B·T · dtype · (4.2·h + 3·I/tp) + logits + attention scores (eager) + dequant buffers"
                     : "decode: one token's intermediates + logits (fp32) + one layer's cache copy",
        std::move(av), "Above the weights and the final KV cache at the moment of the peak.");
  const double dynamic = allocated - s.weights.total();
  const double slack = kAllocatorSlack * std::max(0.0, dynamic);
  e.add("runtime_overhead", cuda_context_bytes(c.gpu) + slack, "CUDA context + caching-allocator slack (8 % of dynamic memory)",
        Value::object({{"cuda_context_bytes", cuda_context_bytes(c.gpu)}, {"allocator_slack_bytes", slack}}),
        "Outside torch.cuda.max_memory_allocated: the context, and blocks the allocator keeps cached.");

  KvCacheInfo kv;
  kv.bytes_per_token = to_int64(std::llround(s.layers.bytes_per_token()));
  const double device = static_cast<double>(c.gpu.memory_bytes);
  const double room = cuda_visible_bytes(c.gpu) - cuda_context_bytes(c.gpu) - (allocated - s.kv_final) * (1 + kAllocatorSlack);
  const double per_token_batch = s.layers.bytes_per_token() * (1 + kAllocatorSlack);
  kv.capacity_tokens = room > 0 && per_token_batch > 0 ? to_int64(room / per_token_batch) : 0;
  kv.max_concurrency =
      p.total_tokens > 0 ? static_cast<double>(kv.capacity_tokens) / static_cast<double>(p.total_tokens) : 0;
  kv.max_context_fit = s.layers.window > 0 && s.layers.full == 0 ? kv.capacity_tokens
                                                                 : kv.capacity_tokens / std::max<int64_t>(1, p.batch);
  e.kv_cache = kv;

  e.peak.allocated_bytes = to_int64(allocated);
  e.peak.reserved_bytes = to_int64(allocated + slack);
  e.peak.device_bytes = to_int64(allocated + slack + cuda_context_bytes(c.gpu));
  const double t = static_cast<double>(e.total_bytes());
  e.low_bytes = to_int64(t - 0.05 * dynamic - 0.01 * s.weights.total());
  e.high_bytes = to_int64(t + 0.15 * dynamic + 0.01 * s.weights.total());
  e.fits = static_cast<double>(e.peak.device_bytes) <= cuda_visible_bytes(c.gpu);
  if (!e.fits)
    e.warnings.push_back("out of memory: the peak (" + gib_text(static_cast<double>(e.peak.device_bytes)) +
                         ") exceeds the " + gib_text(cuda_visible_bytes(c.gpu)) + " the GPU exposes");
  e.host_bytes = to_int64(
      stage_weights(mi, j, Loader::transformers, Stage{0, m.num_hidden_layers, true, true}).tensors);
  (void)device;

  Value x = Value::object({{"peak_allocated_bytes_sum_over_gpus", sum_allocated}});
  if (device_map_split) x.set("device_map_split_gpus", j.pp);
  x.set("cuda_total_memory_bytes", cuda_visible_bytes(c.gpu));
  if (stages.size() > 1) {
    Value sv = Value::array();
    for (const auto& r : stages)
      sv.push(Value::object({{"layers", r.stage.layers()},
                             {"weights_bytes", r.weights.total()},
                             {"kv_cache_bytes", r.kv_final},
                             {"peak_allocated_bytes", r.allocated()}}));
    x.set("gpus", sv);
  }
  if (j.backend == "fastchat")
    x.set("note", "FastChat controller: CPU only; this is one model_worker (limit_worker_concurrency " +
                      std::to_string(j.limit_worker_concurrency) +
                      " concurrent streams, batch_size used as concurrency)");
  e.extra = std::move(x);
  if (j.backend == "fastchat" && j.batch_size < j.limit_worker_concurrency)
    e.warnings.push_back("a FastChat model_worker serves up to limit_worker_concurrency (" +
                         std::to_string(j.limit_worker_concurrency) +
                         ") streams at once; set batch_size to that to size its worst case");
  return e;
}

}  // namespace llmsizer::infer
