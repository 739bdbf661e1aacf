// The speed model (issue 7, docs/model/speed.md): its building blocks one formula at a time,
// then the mechanisms end to end through the JSON API — bandwidth-bound decode, quantized
// kernels, MoE expert touch, KV reads growing with context, tensor-parallel all-reduces,
// KV-limited batches and queueing, training FLOPs with recomputation, pipeline bubbles, ZeRO-3
// collectives, overrides, time and cost.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "llmsizer/catalog.hpp"
#include "llmsizer/performance.hpp"
#include "support.hpp"

using namespace llmsizer;
using testing::at;
using testing::has_warning;
using testing::run;

namespace {

double num(const Value& v, const std::string& path) {
  const Value* x = at(v, path);
  REQUIRE_MESSAGE((x && x->is_number()), "no number at " << path);
  return x->as_double();
}

const std::string kLlama8b = R"("model":"meta-llama/Llama-3.1-8B")";

std::string infer(const std::string& fields) { return R"({"task":"infer",)" + kLlama8b + "," + fields + "}"; }

}  // namespace

TEST_CASE("experts touched per MoE layer: E·(1 − (1 − k/E)^tokens)") {
  // formulas.md §7.4; NOTES-throughput §1: Mixtral top-2 of 8 at batch 8 touches 90 %.
  struct Row { double e, k, tokens, expected; };
  const Row rows[] = {
      {8, 2, 1, 2.0},                                  // one token reads exactly its k experts
      {8, 2, 8, 8 * (1 - std::pow(0.75, 8))},          // 7.199: not all 8, not only 2
      {8, 2, 0, 0.0},
      {64, 8, 1, 8.0},
      {256, 8, 1e6, 256.0},                            // a large batch reads every expert
      {4, 8, 3, 4.0},                                  // k ≥ E
  };
  for (const auto& r : rows) {
    CAPTURE(r.e);
    CAPTURE(r.k);
    CAPTURE(r.tokens);
    CHECK(speed::experts_touched(r.e, r.k, r.tokens) == doctest::Approx(r.expected).epsilon(1e-9));
  }
}

TEST_CASE("ring collectives: latency + 2(n−1)/n · bytes / bandwidth (all-reduce), (n−1)/n (all-gather)") {
  struct Row { double bytes; int ranks; double allreduce, allgather; };
  const double bw = 100e9, lat = 10e-6;
  const Row rows[] = {
      {1e9, 1, 0.0, 0.0},                        // nothing to exchange
      {1e9, 2, lat + 1e9 / bw, lat + 0.5e9 / bw},
      {1e9, 4, lat + 1.5e9 / bw, lat + 0.75e9 / bw},
      {1e9, 8, lat + 1.75e9 / bw, lat + 0.875e9 / bw},
      {0, 8, 0.0, 0.0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.ranks);
    CAPTURE(r.bytes);
    CHECK(speed::allreduce_s(r.bytes, r.ranks, bw, lat) == doctest::Approx(r.allreduce));
    CHECK(speed::allgather_s(r.bytes, r.ranks, bw, lat) == doctest::Approx(r.allgather));
  }
}

TEST_CASE("pipeline bubble: (p − 1) / (v · m), Narayanan et al. 2021 §2.2") {
  struct Row { int pp; int64_t m; int v; double expected; };
  const Row rows[] = {{1, 8, 1, 0.0}, {4, 8, 1, 3.0 / 8}, {8, 64, 5, 7.0 / 320}, {2, 1, 1, 1.0}};
  for (const auto& r : rows) {
    CAPTURE(r.pp);
    CAPTURE(r.m);
    CAPTURE(r.v);
    CHECK(speed::pipeline_bubble_fraction(r.pp, r.m, r.v) == doctest::Approx(r.expected));
  }
}

TEST_CASE("soft roofline: max() when one side dominates, √2·x at the ridge with p = 2") {
  struct Row { double c, m, p, expected; };
  const double inf = std::numeric_limits<double>::infinity();
  const Row rows[] = {
      {1.0, 0.0, 2, 1.0}, {0.0, 3.0, 2, 3.0}, {2.0, 2.0, 2, 2.0 * std::sqrt(2.0)},
      {3.0, 4.0, 2, 5.0}, {3.0, 4.0, inf, 4.0}, {1.0, 100.0, 2, std::sqrt(10001.0)},
  };
  for (const auto& r : rows) {
    CAPTURE(r.c);
    CAPTURE(r.m);
    CAPTURE(r.p);
    CHECK(speed::roofline_s(r.c, r.m, r.p) == doctest::Approx(r.expected));
  }
}

TEST_CASE("links: NVLink per direction inside a node, PCIe by generation, the NIC across nodes") {
  struct Row { const char* gpu; int ranks; double expected; };
  const Row rows[] = {
      {"h100-sxm-80gb", 2, 450e9},   // 900 GB/s bidirectional in the record
      {"h100-sxm-80gb", 8, 450e9},
      {"h100-sxm-80gb", 16, 50e9},   // internode argument
      {"l40s", 2, 31.5e9},           // no NVLink, PCIe 4.0 x16
  };
  for (const auto& r : rows) {
    CAPTURE(r.gpu);
    CAPTURE(r.ranks);
    const GpuSpec* g = find_gpu(r.gpu);
    REQUIRE(g);
    CHECK(speed::link_bytes_per_s(*g, r.ranks, 50e9) == doctest::Approx(r.expected));
  }
  CHECK(std::isinf(speed::link_bytes_per_s(*find_gpu("h100-sxm-80gb"), 1, 50e9)));  // nothing to send
  CHECK(speed::pcie_bytes_per_s(*find_gpu("h100-sxm-80gb")) == doctest::Approx(63e9));
}

TEST_CASE("latency mode: the identities between TTFT, TPOT, latency and tokens/s") {
  const Value r = run(infer(R"("gpu":"h100-sxm-80gb","backend":"vllm","batch_size":8,"input_len":512,"output_len":128)"));
  REQUIRE(at(r, "ok")->as_bool());
  const double ttft = num(r, "performance.ttft_s"), tpot = num(r, "performance.tpot_s");
  const double latency = num(r, "performance.latency_s");
  CHECK(latency == doctest::Approx(ttft + 127 * tpot).epsilon(1e-4));
  CHECK(num(r, "performance.tokens_per_s") == doctest::Approx(8 * 128 / latency).epsilon(1e-4));
  CHECK(num(r, "performance.total_tokens_per_s") == doctest::Approx(8 * 640 / latency).epsilon(1e-4));
  CHECK(num(r, "performance.batch_size_used") == 8);
  CHECK(at(r, "performance.decode_step.bound")->as_string() == "memory");
}

TEST_CASE("batch-1 decode is bandwidth-bound: time per token follows HBM bandwidth") {
  // Same model and engine on three GPUs: TPOT ≈ weights / (η · bandwidth) + fixed overhead.
  struct Row { const char* gpu; };
  const Row rows[] = {{"a100-sxm-80gb"}, {"h100-sxm-80gb"}, {"h200-sxm-141gb"}};
  double last_tpot = 1e9;
  for (const auto& row : rows) {
    CAPTURE(row.gpu);
    const Value r = run(infer(std::string(R"("backend":"vllm","input_len":16,"output_len":256,"gpu":")") + row.gpu + "\""));
    REQUIRE(at(r, "ok")->as_bool());
    const double tpot = num(r, "performance.tpot_s");
    const double bw = find_gpu(row.gpu)->memory_bandwidth_bytes_per_s;
    const double weights = num(r, "per_gpu.components[weights].bytes");
    const double eta = num(r, "performance.efficiency.decode_bandwidth");
    const double overhead = num(r, "performance.efficiency.step_overhead_s");
    // Lower bound: the whole model streamed at η·BW would be slower (the input embedding is not read).
    CHECK(tpot < weights / (eta * bw) + overhead + 1e-3);
    CHECK(tpot > 0.85 * weights / (eta * bw));
    CHECK(tpot < last_tpot);
    last_tpot = tpot;
  }
}

TEST_CASE("quantized kernels: 4-bit decode is faster than 16-bit, but not 4× faster") {
  // NOTES-throughput §1: int4 ~1.7–1.9× faster than FP16 at batch 1, not 4×.
  struct Row { const char* backend; const char* gpu; const char* q16; const char* q4; };
  const Row rows[] = {{"llama.cpp", "rtx-4090", "gguf-f16", "gguf-q4_0"},
                      {"pytorch", "a100-sxm-80gb", "none", "awq-int4"},
                      {"vllm", "a100-sxm-80gb", "none", "awq-int4"}};
  for (const auto& row : rows) {
    CAPTURE(row.backend);
    auto tps = [&](const char* q) {
      const Value r = run(infer(std::string(R"("input_len":1,"output_len":128,"torch_compile":true,"backend":")") + row.backend +
                                R"(","gpu":")" + row.gpu + R"(","quantization":")" + q + "\""));
      REQUIRE(at(r, "ok")->as_bool());
      return num(r, "performance.tokens_per_s");
    };
    const double ratio = tps(row.q4) / tps(row.q16);
    CAPTURE(ratio);
    CHECK(ratio > 1.3);
    CHECK(ratio < 3.2);
  }
}

TEST_CASE("eager HF decode: AWQ and 8-bit GPTQ linears add host time; exllama 4-bit and AWQ's fused modules do not") {
  // A 1.5B model at batch 1 is host-bound in transformers: per token, layers × (0.88 ms + 7
  // linears × 30 µs for the quantized layers that launch extra eager ops).
  auto step = [](const std::string& extra) {
    const Value r = run(R"({"task":"infer","model":"Qwen/Qwen2.5-1.5B-Instruct","gpu":"a100-sxm-80gb",)"
                        R"("backend":"transformers","input_len":1,"output_len":512,"dtype":"float16")" + extra + "}");
    REQUIRE(at(r, "ok")->as_bool());
    return r;
  };
  const Value fp16 = step(""), awq = step(R"(,"quantization":"awq-int4")"), gptq4 = step(R"(,"quantization":"gptq-int4")"),
              gptq8 = step(R"(,"quantization":"gptq-int8")"),
              fused = step(R"(,"quantization":"awq-int4","quant_library":"autoawq==0.2.6","fuse_layers":true)");
  const double layers = 28, per_layer = 0.88e-3, per_linear = 30e-6;
  CHECK(num(fp16, "performance.decode_step.host_s") == doctest::Approx(layers * per_layer).epsilon(1e-6));
  CHECK(num(gptq4, "performance.decode_step.host_s") == doctest::Approx(layers * per_layer).epsilon(1e-6));
  CHECK(num(awq, "performance.decode_step.host_s") == doctest::Approx(layers * (per_layer + 7 * per_linear)).epsilon(1e-6));
  CHECK(num(gptq8, "performance.decode_step.host_s") == doctest::Approx(num(awq, "performance.decode_step.host_s")));
  CHECK(num(fused, "performance.decode_step.host_s") == doctest::Approx(layers * per_layer).epsilon(1e-6));
  CHECK(num(awq, "performance.efficiency.host_overhead_per_quantized_linear_s") == doctest::Approx(per_linear));
  CHECK(at(fp16, "performance.efficiency.host_overhead_per_quantized_linear_s") == nullptr);
  // Qwen2.5 speed benchmark (A100, transformers 4.46, 1-token prompt, 2048 generated): 1.5B AWQ
  // 31.5 ms per token, BF16 25.2 ms.
  CHECK(1 / num(awq, "performance.tokens_per_s") == doctest::Approx(31.5e-3).epsilon(0.08));
  // Overridable like every constant.
  const Value off = step(R"(,"quantization":"awq-int4","efficiency":{"host_overhead_per_quantized_linear_s":0})");
  CHECK(num(off, "performance.decode_step.host_s") == doctest::Approx(layers * per_layer).epsilon(1e-6));
}

TEST_CASE("HF decode over a long cache: K/V read once per query head at a fixed rate per sequence") {
  auto run_hf = [](const std::string& model, const std::string& gpu, int input) {
    const Value r = run(R"({"task":"infer","model":")" + model + R"(","gpu":")" + gpu +
                        R"(","backend":"transformers","attention":"flash_attention_2","dtype":"bfloat16","input_len":)" +
                        std::to_string(input) + R"(,"output_len":2048})");
    REQUIRE(at(r, "ok")->as_bool());
    return r;
  };
  // Qwen2.5 speed benchmark (A100, transformers 4.46, FA2): 7B BF16 at a 30,720-token prompt
  // generates 2048 tokens at 18.83 tok/s overall; ≈ 52 ms per decoded token once the prefill is out.
  const Value q7 = run_hf("Qwen/Qwen2.5-7B-Instruct", "a100-sxm-80gb", 30720);
  CHECK(num(q7, "performance.tokens_per_s") == doctest::Approx(18.83).epsilon(0.08));
  CHECK(num(q7, "performance.efficiency.kv_read_bytes_per_s_per_sequence") == doctest::Approx(3.0e11));
  // The rate is per sequence, not a share of HBM bandwidth: the same model decodes its long-cache
  // attention no faster on an H100 (3.35 TB/s) than on an A100 (2.04 TB/s).
  const Value h100 = run_hf("Qwen/Qwen2.5-7B-Instruct", "h100-sxm-80gb", 30720);
  const double kv_a100 = num(q7, "performance.decode_step.memory_s");
  const double kv_h100 = num(h100, "performance.decode_step.memory_s");
  CHECK(kv_h100 > 0.75 * kv_a100);
  // Query heads, not KV heads, set the bytes: 14B (40 query, 8 KV heads, 48 layers) reads 40/28 ×
  // 48/28 of 7B's (28 query, 4 KV heads, 28 layers) expanded cache per token, not 2 × 48/28.
  const Value q14 = run_hf("Qwen/Qwen2.5-14B", "a100-sxm-80gb", 30720);
  const double attn7 = kv_a100 - 15.2e9 / (2.039e12 * 0.75), attn14 = num(q14, "performance.decode_step.memory_s") - 29.5e9 / (2.039e12 * 0.75);
  CHECK(attn14 / attn7 == doctest::Approx(40.0 / 28 * 48 / 28).epsilon(0.08));
}

TEST_CASE("an SXM record without an NVLink figure gets its architecture's, with a warning; PCIe parts keep PCIe") {
  GpuSpec g;
  g.vendor = "nvidia";
  g.architecture = "hopper";
  g.form_factor = "sxm";
  g.pcie_gen = 5;
  CHECK(speed::nvlink_assumed(g));
  CHECK(speed::link_bytes_per_s(g, 8, 50e9) == doctest::Approx(450e9));  // NVLink 4, per direction
  g.nvlink_bytes_per_s = 400e9;                                            // an export part's own figure wins
  CHECK_FALSE(speed::nvlink_assumed(g));
  CHECK(speed::link_bytes_per_s(g, 8, 50e9) == doctest::Approx(200e9));
  g.nvlink_bytes_per_s = 0;
  g.form_factor = "pcie";
  CHECK(speed::link_bytes_per_s(g, 8, 50e9) == doctest::Approx(63e9));
  // torchtitan's H100 96 GB HBM2e hosts are "fully connected with NVLink"; the record has no figure.
  const Value r = run(R"({"task":"train","model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-96gb","num_gpus":8,)"
                      R"("method":"full","parallel":{"tp":8},"seq_len":8192})");
  REQUIRE(at(r, "ok")->as_bool());
  CHECK(has_warning(r, "NVLink is assumed"));
}

TEST_CASE("MoE decode reads the experts a batch touches, not all and not only the active ones") {
  auto memory = [](int batch) {
    const Value r = run(std::string(R"({"task":"infer","model":"mistralai/Mixtral-8x7B-v0.1","gpu":"h100-sxm-80gb","num_gpus":2,)") +
                        R"("tensor_parallel_size":2,"backend":"vllm","input_len":32,"output_len":64,"batch_size":)" + std::to_string(batch) + "}");
    REQUIRE(at(r, "ok")->as_bool());
    return num(r, "performance.decode_step.memory_s");
  };
  const double one = memory(1), eight = memory(8), many = memory(256);
  // 2 of 8 experts (+ attention) at batch 1, 1 − 0.75⁸ = 90 % at batch 8, all at 256.
  CHECK(one < 0.45 * eight);
  CHECK(eight < many);
  CHECK(eight > 0.8 * many);
}

TEST_CASE("KV-cache reads grow with context; tensor parallelism adds all-reduces") {
  auto step = [](const std::string& extra) {
    const Value r = run(infer(R"("gpu":"h100-sxm-80gb","backend":"vllm","batch_size":16,"output_len":64,)" + extra));
    REQUIRE(at(r, "ok")->as_bool());
    return r;
  };
  const Value short_ctx = step(R"("input_len":512)");
  const Value long_ctx = step(R"("input_len":16384,"max_model_len":32768)");
  CHECK(num(long_ctx, "performance.tpot_s") > 1.3 * num(short_ctx, "performance.tpot_s"));
  CHECK(num(short_ctx, "performance.decode_step.communication_s") == 0);
  const Value tp2 = step(R"("input_len":512,"num_gpus":2,"tensor_parallel_size":2)");
  CHECK(num(tp2, "performance.decode_step.communication_s") > 0);
  CHECK(num(tp2, "performance.tpot_s") < num(short_ctx, "performance.tpot_s"));
}

TEST_CASE("offline mode runs the largest batch the engine limit and the KV cache allow") {
  struct Row { std::string fields; };
  const Row rows[] = {{R"("input_len":128,"output_len":128)"},       // the 256-sequence limit binds
                      {R"("input_len":8000,"output_len":2000)"},     // the KV cache binds
                      {R"("input_len":1000,"output_len":1000,"max_num_seqs":64)"}};
  for (const auto& row : rows) {
    CAPTURE(row.fields);
    const Value r = run(infer(R"("gpu":"a100-sxm-80gb","backend":"vllm","mode":"offline",)" + row.fields));
    REQUIRE(at(r, "ok")->as_bool());
    const double b = num(r, "performance.batch_size_used");
    const double cap = num(r, "kv_cache.capacity_tokens");
    const double in = num(r, "performance.total_tokens_per_s") / num(r, "performance.tokens_per_s");  // (in+out)/out
    CAPTURE(b);
    CHECK(b >= 1);
    CHECK(b <= 256);
    CHECK(b * 1.0 <= cap);
    CHECK(in > 1.0);
  }
  // "request_rate": "inf" is the offline benchmark.
  const Value inf = run(infer(R"("gpu":"a100-sxm-80gb","backend":"vllm","mode":"serving","request_rate":"inf")"));
  CHECK(at(inf, "performance.mode")->as_string() == "offline");
}

TEST_CASE("serving: beyond the largest batch, requests queue and TTFT grows (Little's law)") {
  auto serve = [](int concurrency) {
    const Value r = run(R"({"task":"infer","model":"meta-llama/Llama-3.1-70B","gpu":"h100-sxm-80gb","num_gpus":2,)"
                        R"("tensor_parallel_size":2,"backend":"vllm","quantization":"fp8","mode":"serving",)"
                        R"("input_len":5000,"output_len":500,"max_model_len":8192,"concurrency":)" + std::to_string(concurrency) + "}");
    REQUIRE(at(r, "ok")->as_bool());
    return r;
  };
  const Value low = serve(4), high = serve(400);
  const double limit = num(high, "performance.max_batch_size");
  REQUIRE(limit < 400);
  CHECK(at(low, "performance.queue_wait_s") == nullptr);
  CHECK(num(high, "performance.queue_wait_s") > 0);
  CHECK(num(high, "performance.ttft_s") > 5 * num(low, "performance.ttft_s"));
  CHECK(num(high, "performance.batch_size_used") == limit);
  // Little's law: sequences in service = completion rate × time in service.
  const double rps = num(high, "performance.requests_per_s");
  const double in_service = rps * (num(high, "performance.latency_s") - num(high, "performance.queue_wait_s"));
  CHECK(in_service == doctest::Approx(limit).epsilon(0.02));
}

namespace {
std::string train(const std::string& fields) {
  return R"({"task":"train","model":"meta-llama/Llama-3.1-8B","gpu":"a100-sxm-80gb","method":"full","precision":"amp-bf16",)" + fields + "}";
}
}  // namespace

TEST_CASE("training FLOPs: 6N per token, 8N with full recomputation (HFU = 4/3 MFU), 4N for LoRA") {
  const Value none = run(train(R"("num_gpus":8,"framework":"fsdp","zero_stage":3,"micro_batch_size":2,"seq_len":2048)"));
  const Value full = run(train(R"("num_gpus":8,"framework":"fsdp","zero_stage":3,"micro_batch_size":2,"seq_len":2048,"gradient_checkpointing":"full")"));
  REQUIRE(at(none, "ok")->as_bool());
  REQUIRE(at(full, "ok")->as_bool());
  const double n = num(none, "model.active_params_compute");
  CHECK(num(none, "performance.model_flops_per_token") > 6 * n);
  CHECK(num(none, "performance.model_flops_per_token") < 6.6 * n);  // + attention at 2k
  CHECK(num(none, "performance.hfu") / num(none, "performance.mfu") == doctest::Approx(1.0).epsilon(0.05));
  const double ratio = num(full, "performance.hfu") / num(full, "performance.mfu");
  CHECK(ratio > 1.28);
  CHECK(ratio < 1.36);
  CHECK(num(full, "performance.tokens_per_s") < num(none, "performance.tokens_per_s"));
  const Value lora = run(train(R"("method":"lora","micro_batch_size":2,"seq_len":2048)"));
  REQUIRE(at(lora, "ok")->as_bool());
  CHECK(num(lora, "performance.hardware_flops_per_token") < 4.7 * n);
  CHECK(num(lora, "performance.hardware_flops_per_token") > 4.0 * n);
}

TEST_CASE("training layouts: pipeline bubble, tensor-parallel all-reduces, MFU override") {
  const Value pp = run(train(R"("num_gpus":8,"framework":"megatron","micro_batch_size":1,"seq_len":4096,"gradient_accumulation_steps":16,)"
                             R"("parallel":{"tp":2,"pp":4,"dp":1})"));
  REQUIRE(at(pp, "ok")->as_bool());
  CHECK(num(pp, "performance.pipeline_bubble") == doctest::Approx(3.0 / 16));
  CHECK(num(pp, "performance.tokens_per_s") == doctest::Approx(16 * 4096 / num(pp, "performance.step_time_s")).epsilon(1e-4));
  const Value fixed = run(train(R"("num_gpus":8,"framework":"fsdp","zero_stage":3,"seq_len":2048,"efficiency":{"mfu":0.45})"));
  REQUIRE(at(fixed, "ok")->as_bool());
  CHECK(num(fixed, "performance.mfu") == doctest::Approx(0.45));
  CHECK(num(fixed, "performance.efficiency.mfu") == doctest::Approx(0.45));
}

TEST_CASE("ZeRO-3 / FSDP collectives cost more once they leave the NVLink node") {
  // Small micro-batches: the all-gathers no longer hide behind compute.
  auto per_gpu = [](int gpus) {
    const Value r = run(train(std::string(R"("framework":"fsdp","zero_stage":3,"micro_batch_size":1,"seq_len":512,"num_gpus":)") + std::to_string(gpus)));
    REQUIRE(at(r, "ok")->as_bool());
    return num(r, "performance.tokens_per_s_per_gpu");
  };
  CHECK(per_gpu(64) < 0.8 * per_gpu(8));
}

TEST_CASE("time and cost: total_time_s = train_tokens / tokens_per_s, usd from the catalog price") {
  const Value r = run(R"({"task":"train","model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","num_gpus":8,"framework":"fsdp",)"
                      R"("zero_stage":3,"precision":"amp-bf16","micro_batch_size":2,"seq_len":4096,"train_tokens":1e9})");
  REQUIRE(at(r, "ok")->as_bool());
  const double tps = num(r, "performance.tokens_per_s");
  CHECK(num(r, "performance.total_time_s") == doctest::Approx(1e9 / tps).epsilon(1e-4));
  const double price = find_gpu("h100-sxm-80gb")->usd_per_gpu_hour;
  REQUIRE(price > 0);
  CHECK(num(r, "performance.usd_per_hour") == doctest::Approx(8 * price));
  CHECK(num(r, "performance.usd_total") == doctest::Approx(8 * price * 1e9 / tps / 3600).epsilon(1e-4));
  CHECK(num(r, "performance.usd_per_million_tokens") == doctest::Approx(8 * price / (tps * 3600) * 1e6).epsilon(1e-4));
  // Epochs: num_epochs × dataset_tokens.
  const Value ep = run(R"({"task":"train","model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","num_epochs":3,"dataset_tokens":1e8})");
  REQUIRE(at(ep, "ok")->as_bool());
  CHECK(num(ep, "performance.total_time_s") == doctest::Approx(3e8 / num(ep, "performance.tokens_per_s")).epsilon(1e-4));
  // No token count: no total time.
  const Value none = run(R"({"task":"train","model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb"})");
  CHECK(at(none, "performance.total_time_s") == nullptr);
}

TEST_CASE("efficiency overrides replace the named constants and are echoed; unknown ones warn") {
  const Value base = run(infer(R"("gpu":"h100-sxm-80gb","backend":"vllm","input_len":16,"output_len":256)"));
  const Value slow = run(infer(R"("gpu":"h100-sxm-80gb","backend":"vllm","input_len":16,"output_len":256,)"
                               R"("efficiency":{"decode_bandwidth":0.4,"not_a_constant":1})"));
  REQUIRE(at(slow, "ok")->as_bool());
  CHECK(num(slow, "performance.efficiency.decode_bandwidth") == doctest::Approx(0.4));
  CHECK(num(slow, "performance.tpot_s") > 1.6 * num(base, "performance.tpot_s"));
  CHECK(has_warning(slow, "/efficiency/not_a_constant"));
  CHECK_FALSE(has_warning(base, "/efficiency"));
}

TEST_CASE("a GPU record without bandwidth or FLOP/s gets a warning instead of invented speeds") {
  const Value r = run(infer(R"("gpu":{"memory_bytes":85899345920},"backend":"vllm")"));
  REQUIRE(at(r, "ok")->as_bool());
  CHECK(at(r, "performance.tokens_per_s") == nullptr);
  CHECK(has_warning(r, "no memory bandwidth"));
  const Value t = run(R"({"task":"train","model":"meta-llama/Llama-3.1-8B","gpu":{"memory_bytes":85899345920,"memory_bandwidth_bytes_per_s":2e12}})");
  REQUIRE(at(t, "ok")->as_bool());
  CHECK(at(t, "performance.tokens_per_s") == nullptr);
  CHECK(has_warning(t, "no FLOP/s"));
}
