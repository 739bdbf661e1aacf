// Inference memory (issue 6): KV-cache layouts, the serving engines' budgets, and the rules
// behind weights-as-loaded. Reference numbers cite shared/reference/formulas.md §5,
// calibration/NOTES-inference.md and the vLLM / llama.cpp sources quoted in docs/model/inference.md.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "infer_common.hpp"
#include "llmsizer/json_io.hpp"
#include "llmsizer/kv_cache.hpp"
#include "support.hpp"

using namespace llmsizer;
using testing::at;
using testing::has_warning;
using testing::run;

namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;

ModelSpec spec(const std::string& config) { return import_model_config(*parse_json(config), "/model").value(); }

const std::string kLlama31 =
    R"("model":{"_name_or_path":"meta-llama/Llama-3.1-8B-Instruct","model_type":"llama","num_hidden_layers":32,)"
    R"("hidden_size":4096,"num_attention_heads":32,"num_key_value_heads":8,"head_dim":128,)"
    R"("intermediate_size":14336,"vocab_size":128256,"tie_word_embeddings":false})";
// The v0.19 sweep's settings (NOTES-inference.md §1).
const std::string kSweep = R"("gpu":"h100-sxm-80gb","backend":"vllm","backend_version":"0.19.0","max_model_len":8192,)"
                           R"("max_num_seqs":1024,"max_num_batched_tokens":8192,"gpu_memory_utilization":0.95)";

std::string request(const std::string& body) { return "{\"task\":\"infer\"," + body + "}"; }
double num(const Value& r, const std::string& path) {
  const Value* v = at(r, path);
  REQUIRE(v);
  return v->is_bool() ? (v->as_bool() ? 1.0 : 0.0) : v->as_double();
}

}  // namespace

TEST_CASE("inference: KV bytes per token per GPU for GQA, MQA, MLA, TP replication and cache types") {
  // formulas.md §5.1–5.4; vLLM token counts confirm 131,072 (Llama-3.1-8B), 57,344 (Qwen2.5-7B)
  // and 31,104 B/token (DeepSeek-V2-Lite, 27 · 576 · 2) — NOTES-inference.md §3.
  const ModelSpec llama = spec(R"({"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,
    "num_attention_heads":32,"num_key_value_heads":8,"intermediate_size":14336,"vocab_size":128256})");
  const ModelSpec qwen = spec(R"({"model_type":"qwen2","num_hidden_layers":28,"hidden_size":3584,
    "num_attention_heads":28,"num_key_value_heads":4,"intermediate_size":18944,"vocab_size":152064})");
  const ModelSpec mla = spec(R"({"model_type":"deepseek_v2","num_hidden_layers":27,"hidden_size":2048,
    "num_attention_heads":16,"num_key_value_heads":16,"intermediate_size":10944,"vocab_size":102400,
    "moe_intermediate_size":1408,"n_routed_experts":64,"n_shared_experts":2,"num_experts_per_tok":6,
    "first_k_dense_replace":1,"kv_lora_rank":512,"q_lora_rank":null,"qk_rope_head_dim":64,
    "qk_nope_head_dim":128,"v_head_dim":128})");
  struct Row {
    std::string name;
    const ModelSpec* m;
    const char* dtype;
    int tp;
    double bytes;
  };
  const Row rows[] = {
      {"llama bf16", &llama, "auto", 1, 131072},
      {"llama fp8 halves it", &llama, "fp8", 1, 65536},
      {"llama tp4: 2 KV heads per GPU", &llama, "auto", 4, 32768},
      {"llama tp16: KV heads replicated, one per GPU", &llama, "auto", 16, 16384},
      {"llama q8_0: 34 B per 32 elements", &llama, "q8_0", 1, 131072 / 2.0 * 34 / 32},
      {"qwen2.5-7b", &qwen, "auto", 1, 57344},
      {"MLA: latent + rope key, no factor 2", &mla, "auto", 1, 31104},
      {"MLA is not split by TP", &mla, "auto", 4, 31104},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const KvLayers k = kv_layers(*row.m, kv_element_bytes(row.dtype, 2), row.tp, 0, row.m->num_hidden_layers, true);
    CHECK(k.bytes_per_token() == doctest::Approx(row.bytes));
  }
}

TEST_CASE("inference: vLLM hybrid KV groups and blocks per request") {
  // kv_cache_utils.py _get_kv_cache_groups_uniform_page_size and SlidingWindowSpec: the v0.19
  // logs give gpt-oss-20b 2,591,776 tokens = 323,972 blocks // 2 groups · 16 and concurrency
  // 316.07 = 323,972 / 1,025; Gemma-3-4b 57.05 = 204,817 / 3,590 (NOTES-inference.md §3).
  struct Row {
    std::string name;
    int64_t full, windowed, window;
    int64_t group_size, groups, per_request;
  };
  const Row rows[] = {
      {"gpt-oss-20b: 12 full + 12 sliding(128)", 12, 12, 128, 12, 2, 512 + 513},
      {"gemma-3-4b: 5 full + 29 sliding(1024)", 5, 29, 1024, 5, 7, 512 + 6 * 513},
      {"gemma-3-27b: 10 full + 52 sliding, padded to 60", 10, 52, 1024, 10, 7, 512 + 6 * 513},
      {"llama: all full", 32, 0, 0, 32, 1, 512},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    KvLayers k;
    k.full = row.full;
    k.windowed = row.windowed;
    k.window = row.window;
    k.bytes_per_token_layer = 1;
    const PagedKvGroups g = vllm_kv_groups(k, true);
    CHECK(g.group_size == row.group_size);
    CHECK(g.num_groups() == row.groups);
    CHECK(vllm_blocks_per_request(g, k, 8192, 16, 8192) == row.per_request);
  }
  // Llama 4's chunked local attention keeps chunk + batched tokens, with no extra block.
  KvLayers chunked;
  chunked.full = 12;
  chunked.windowed = 36;
  chunked.window = 8192;
  chunked.chunked = true;
  const PagedKvGroups g = vllm_kv_groups(chunked, true);
  CHECK(vllm_blocks_per_request(g, chunked, 8192, 16, 8192) == 4 * 512);  // Scout: 91,495 / 2,048 = 44.68
}

TEST_CASE("inference: vLLM's budget closes — KV = util · total − weights − activations − non-torch") {
  // gpu_worker.py determine_available_memory; NOTES-inference.md §1 example: Llama-3.1-8B on
  // H100 at 0.95 gives 476,016 tokens.
  const Value r = run(request(kLlama31 + "," + kSweep));
  REQUIRE(at(r, "ok")->as_bool());
  const double budget = num(r, "extra.vllm_requested_memory_bytes");
  const double parts = num(r, "per_gpu.components[weights].bytes") + num(r, "per_gpu.components[activations].bytes") +
                       num(r, "per_gpu.components[runtime_overhead].bytes") +
                       num(r, "per_gpu.components[kv_cache].bytes");
  CHECK(parts == doctest::Approx(budget).epsilon(1e-6));
  CHECK(num(r, "kv_cache.capacity_tokens") == doctest::Approx(476016).epsilon(0.01));
  CHECK(num(r, "kv_cache.max_concurrency") == doctest::Approx(476016.0 / 8192).epsilon(0.01));
  CHECK(num(r, "kv_cache.block_size") == 16);
  CHECK(std::fmod(num(r, "kv_cache.capacity_tokens"), 16) == 0);
  CHECK(num(r, "extra.starts") == 1);
}

TEST_CASE("inference: vLLM versions change what the budget subtracts") {
  struct Row {
    std::string name;
    std::string extra;
    const char* expect;
  };
  const Row rows[] = {
      // ≥ 0.21 subtracts its CUDA-graph estimate: less KV, the same device total.
      {"0.21 deducts CUDA graphs", R"("backend_version":"0.21.0")", "deducted"},
      {"0.19 captures them outside the budget", R"("backend_version":"0.19.0")", "outside"},
      {"enforce_eager: no graphs", R"("backend_version":"0.19.0","enforce_eager":true)", "none"},
  };
  const std::string base =
      kLlama31 + R"(,"gpu":"h100-sxm-80gb","backend":"vllm","max_model_len":8192,"gpu_memory_utilization":0.9,)";
  const Value ref = run(request(base + R"("backend_version":"0.19.0")"));
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const Value r = run(request(base + row.extra));
    REQUIRE(at(r, "ok")->as_bool());
    const double cg = num(r, "per_gpu.components[cuda_graphs].bytes");
    const double kv = num(r, "per_gpu.components[kv_cache].bytes");
    const double ref_kv = num(ref, "per_gpu.components[kv_cache].bytes");
    if (std::string(row.expect) == "deducted") {
      CHECK(cg > 0.3 * kGiB);
      CHECK(kv == doctest::Approx(ref_kv - cg).epsilon(1e-6));
    } else if (std::string(row.expect) == "outside") {
      CHECK(cg > 0.3 * kGiB);
      CHECK(kv == doctest::Approx(ref_kv));
    } else {
      CHECK(cg == 0);
      CHECK(kv == doctest::Approx(ref_kv));
    }
  }
  // The sort-based sampler of V0 and V1 < 0.17 needs 39 B per logit, the newer one 14 B.
  const Value old_v1 =
      run(request(kLlama31 + R"(,"gpu":"h100-sxm-80gb","backend":"vllm","backend_version":"0.11.0",)"
                             R"("max_num_seqs":1024,"max_num_batched_tokens":8192,"max_model_len":8192)"));
  const Value new_v1 = run(request(kLlama31 + "," + kSweep));
  CHECK(num(old_v1, "per_gpu.components[activations].bytes") >
        2.5 * num(new_v1, "per_gpu.components[activations].bytes"));
}

TEST_CASE("inference: vLLM start-up failures and warnings") {
  struct Row {
    std::string name;
    std::string body;
    int starts;
    const char* warning;
  };
  const Row rows[] = {
      {"max_model_len beyond the KV capacity (issue #10517)",
       kLlama31 + R"(,"gpu":"rtx-3090","backend":"vllm","backend_version":"0.6.4","max_model_len":29000,)"
                  R"("enable_chunked_prefill":false,"gpu_memory_utilization":0.9)",
       0, "refuse to start"},
      {"CUDA graphs past the device (gpt-oss-20b at 0.95 failed at start)",
       kLlama31 + R"(,"gpu":"h100-sxm-80gb","backend":"vllm","backend_version":"0.19.0","max_model_len":8192,)"
                  R"("gpu_memory_utilization":0.99)",
       0, "start-up will run out of memory: CUDA graphs need"},
      {"weights beyond the budget", R"("model":"meta-llama/Llama-3.1-70B","gpu":"rtx-4090","backend":"vllm")", 0,
       "no memory is left for the KV cache"},
      {"a normal start", kLlama31 + "," + kSweep, 1, "outside the gpu_memory_utilization budget"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const Value r = run(request(row.body));
    REQUIRE(at(r, "ok")->as_bool());
    CHECK(num(r, "extra.starts") == row.starts);
    CHECK(at(r, "fits")->as_bool() == (row.starts == 1));
    CHECK(has_warning(r, row.warning));
  }
}

TEST_CASE("inference: tensor and pipeline parallel splits") {
  // TP shards weights and KV heads; vLLM's pipeline stages give the remainder layers to the
  // stages before the last (get_pp_indices), and the first stage holds the embedding.
  struct Row {
    int64_t layers;
    int pp;
    std::vector<int64_t> sizes;
  };
  const Row rows[] = {{32, 4, {8, 8, 8, 8}}, {32, 3, {11, 11, 10}}, {80, 3, {27, 27, 26}}, {61, 4, {15, 15, 16, 15}}};
  for (const auto& row : rows) {
    CAPTURE(row.layers);
    CAPTURE(row.pp);
    const auto stages = infer::pipeline_stages(row.layers, row.pp);
    REQUIRE(stages.size() == row.sizes.size());
    int64_t next = 0;
    for (size_t i = 0; i < stages.size(); ++i) {
      CHECK(stages[i].layers() == row.sizes[i]);
      CHECK(stages[i].first_layer == next);
      next = stages[i].last_layer;
    }
    CHECK(stages.front().first);
    CHECK(stages.back().last);
  }
  // Llama-3.1-8B at PP=4: the first stage holds 8 layers + the embedding (4.26 GiB measured,
  // NOTES §1); the non-final stage profiles no sampler (1.10 GiB) and adds 0.07 GiB non-torch.
  const Value pp = run(request(
      kLlama31 + R"(,"gpu":"h100-sxm-80gb","backend":"vllm","backend_version":"0.19.0",)"
                 R"("max_model_len":8192,"gpu_memory_utilization":0.95,"num_gpus":4,"pipeline_parallel_size":4)"));
  REQUIRE(at(pp, "ok")->as_bool());
  CHECK(num(pp, "per_gpu.components[weights].bytes") / kGiB == doctest::Approx(4.26).epsilon(0.01));
  CHECK(num(pp, "per_gpu.components[activations].bytes") / kGiB == doctest::Approx(1.10).epsilon(0.03));
  CHECK(num(pp, "per_gpu.components[runtime_overhead].bytes") / kGiB == doctest::Approx(0.07).epsilon(0.01));
}

TEST_CASE("inference: PyTorch's caching allocator rounding counted with the weights") {
  // CUDACachingAllocator: > 10 MiB requests get 2 MiB-rounded segments; a remainder ≤ 1 MiB
  // (kSmallSize) is not split off and counts as allocated. Under max_split_size 20 MiB nothing
  // ≥ 20 MiB is split. Qwen2.5-7B's o_proj is 24.5 MiB, its fused gate_up 259 MiB.
  constexpr double MiB = 1 << 20;
  struct Row {
    double mib;
    bool max_split;
    double counted_mib;
  };
  const Row rows[] = {{9, false, 0},  {24.5, false, 0},  {25.5, false, 0.5},  {259, false, 1},
                      {32, false, 0}, {24.5, true, 1.5}, {15.75, true, 0.25}, {12.25, true, 0}};
  for (const auto& row : rows) {
    CAPTURE(row.mib);
    CAPTURE(row.max_split);
    CHECK(infer::allocator_rounding(row.mib * MiB, row.max_split) == doctest::Approx(row.counted_mib * MiB));
  }
}

TEST_CASE("inference: version strings") {
  struct Row {
    std::string text;
    int major, minor, patch;
  };
  const Row rows[] = {{"0.19.0", 0, 19, 0},
                      {"~0.6.5.dev", 0, 6, 5},
                      {"v0.8.5.post1", 0, 8, 5},
                      {"4.46.0", 4, 46, 0},
                      {"commit 1e0e873c (Oct 2023)", -1, 0, 0},
                      {"", -1, 0, 0}};
  for (const auto& row : rows) {
    CAPTURE(row.text);
    const infer::Version v = infer::parse_version(row.text);
    CHECK(v.major == row.major);
    if (v.known()) {
      CHECK(v.minor == row.minor);
      CHECK(v.patch == row.patch);
    }
  }
}

TEST_CASE("inference: Transformers peak = weights + dynamic KV + the larger of prefill and decode") {
  const std::string base = R"("model":"meta-llama/Llama-3.1-8B","gpu":"a100-sxm-80gb","backend":"transformers",)";
  struct Row {
    std::string name;
    std::string a, b;
  };  // b needs more memory than a
  const Row rows[] = {
      {"more output tokens grow the KV cache", R"("input_len":512,"output_len":128)",
       R"("input_len":512,"output_len":4096)"},
      {"eager attention materialises the scores", R"("input_len":8192,"attention":"sdpa")",
       R"("input_len":8192,"attention":"eager")"},
      {"a bigger batch", R"("batch_size":1)", R"("batch_size":8)"},
      {"bnb 4-bit prefill dequantizes the largest layer", R"("quantization":"bnb-nf4","input_len":1)",
       R"("quantization":"bnb-nf4","input_len":64)"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const Value a = run(request(base + row.a));
    const Value b = run(request(base + row.b));
    REQUIRE(at(a, "ok")->as_bool());
    REQUIRE(at(b, "ok")->as_bool());
    CHECK(num(b, "per_gpu.peak.allocated_bytes") > num(a, "per_gpu.peak.allocated_bytes"));
  }
  // Weights + KV + activations = torch's peak allocated; context and allocator slack above it.
  const Value r = run(request(base + R"("input_len":2048,"output_len":512,"batch_size":2)"));
  const double parts = num(r, "per_gpu.components[weights].bytes") + num(r, "per_gpu.components[kv_cache].bytes") +
                       num(r, "per_gpu.components[activations].bytes");
  CHECK(parts == doctest::Approx(num(r, "per_gpu.peak.allocated_bytes")).epsilon(1e-6));
  CHECK(num(r, "per_gpu.peak.device_bytes") > num(r, "per_gpu.peak.allocated_bytes"));
  // KV for 2 · 2560 tokens at 128 KiB (formulas.md §5.1).
  CHECK(num(r, "per_gpu.components[kv_cache].bytes") == doctest::Approx(2.0 * 2560 * 131072));
}

TEST_CASE("inference: llama.cpp buffers by device") {
  // Issue #3616 (Vicuna-7B, Q5_K_M, n_ctx 2048, no layer offloaded): KV self size 1024 MiB,
  // compute buffer 162.13 MiB, all in host memory.
  const std::string model =
      R"("model":{"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,"num_attention_heads":32,)"
      R"("num_key_value_heads":32,"intermediate_size":11008,"vocab_size":32000,"tie_word_embeddings":false},)";
  const Value host = run(request(
      model + R"("gpu":"rtx-3090","backend":"llama.cpp","quantization":"gguf-q5_k_m","n_ctx":2048,"n_gpu_layers":0)"));
  REQUIRE(at(host, "ok")->as_bool());
  CHECK(num(host, "per_gpu.components[weights].bytes") == 0);
  CHECK(num(host, "extra.host_components[kv_cache].bytes") == doctest::Approx(1024.0 * (1 << 20)));
  CHECK(num(host, "extra.host_components[activations].bytes") / (1 << 20) == doctest::Approx(162.13).epsilon(0.01));
  // Everything offloaded: the same buffers move to the GPU; a q8_0 cache is 34/64 of f16.
  const Value gpu = run(request(
      model + R"("gpu":"rtx-3090","backend":"llama.cpp","quantization":"gguf-q5_k_m","n_ctx":2048,"n_gpu_layers":-1)"));
  const Value q8 = run(request(
      model +
      R"("gpu":"rtx-3090","backend":"llama.cpp","quantization":"gguf-q5_k_m","n_ctx":2048,"cache_type_k":"q8_0","cache_type_v":"q8_0")"));
  CHECK(num(gpu, "per_gpu.components[kv_cache].bytes") == doctest::Approx(1024.0 * (1 << 20)));
  CHECK(num(q8, "per_gpu.components[kv_cache].bytes") == doctest::Approx(1024.0 * (1 << 20) * 34 / 64));
  CHECK(num(gpu, "per_gpu.components[weights].bytes") > 4.0 * kGiB);
}

TEST_CASE("inference: preallocating engines size their KV from their own budgets") {
  struct Row {
    std::string backend;
    std::string extra;
  };
  const Row rows[] = {{"sglang", R"("mem_fraction_static":0.85)"},
                      {"tgi", R"("backend_version":"2.4.0")"},
                      {"tensorrt-llm", R"("free_gpu_memory_fraction":0.9)"},
                      {"vllm", R"("backend_version":"0.19.0")"}};
  for (const auto& row : rows) {
    CAPTURE(row.backend);
    const Value r =
        run(request(R"("model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","max_model_len":8192,"backend":")" +
                    row.backend + "\"," + row.extra));
    REQUIRE(at(r, "ok")->as_bool());
    const double kv = num(r, "per_gpu.components[kv_cache].bytes");
    // Between 50 and 65 GiB of KV for an 8B bf16 model on an 80 GB GPU, whichever engine.
    CHECK(kv > 50 * kGiB);
    CHECK(kv < 65 * kGiB);
    CHECK(num(r, "kv_cache.capacity_tokens") == doctest::Approx(kv / 131072).epsilon(0.02));
    CHECK(at(r, "fits")->as_bool());
  }
  // SGLang: tokens = (mem_fraction_static · free at start − weights) / bytes per token.
  const Value s = run(request(
      R"("model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","backend":"sglang","mem_fraction_static":0.85)"));
  const double free_at_start = num(s, "per_gpu.components[kv_cache].values.free_at_start_bytes");
  CHECK(num(s, "kv_cache.capacity_tokens") ==
        doctest::Approx((0.85 * free_at_start - num(s, "per_gpu.components[weights].bytes")) / 131072).epsilon(1e-4));
  // TGI pages by 16 before 3.0 (flash-attn v2) and by 1 with flashinfer from 3.0.
  CHECK(
      num(run(request(
              R"("model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","backend":"tgi","backend_version":"2.4.0")")),
          "kv_cache.block_size") == 16);
  CHECK(
      num(run(request(
              R"("model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","backend":"tgi","backend_version":"3.2.0")")),
          "kv_cache.block_size") == 1);
}

TEST_CASE("inference: multi-LoRA slots and FastChat workers") {
  const std::string base =
      R"("model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","backend":"vllm","backend_version":"0.19.0","max_model_len":8192)";
  const Value plain = run(request(base));
  const Value lora = run(request(base + R"(,"max_loras":4,"max_lora_rank":64)"));
  // 4 slots · rank 64 · Σ(in + out) over qkv (3 slices), o, gate_up (2 slices), down · 32 layers · 2 B.
  const double per_layer = 3 * 4096 + (4096 + 2 * 1024) + 4096 + 4096 + 2 * 4096 + 2 * 14336 + 14336 + 4096;
  const double lora_bytes = 4.0 * 64 * per_layer * 2 * 32;
  CHECK(num(lora, "per_gpu.components[weights].bytes") - num(plain, "per_gpu.components[weights].bytes") ==
        doctest::Approx(lora_bytes).epsilon(1e-6));
  CHECK(num(lora, "per_gpu.components[kv_cache].bytes") < num(plain, "per_gpu.components[kv_cache].bytes"));
  // FastChat: model_worker runs Hugging Face code, vllm_worker runs vLLM.
  const Value hf = run(request(R"("model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","backend":"fastchat")"));
  const Value fv = run(request(
      R"("model":"meta-llama/Llama-3.1-8B","gpu":"h100-sxm-80gb","backend":"fastchat","worker":"vllm_worker")"));
  CHECK(num(hf, "per_gpu.components[kv_cache].bytes") < 1 * kGiB);
  CHECK(num(fv, "per_gpu.components[kv_cache].bytes") > 40 * kGiB);
}

TEST_CASE("inference: unknown backend settings are refused with their path") {
  struct Row {
    std::string name;
    std::string body;
    const char* path;
  };
  const Row rows[] = {
      {"bad cudagraph_mode", R"("model":"meta-llama/Llama-3.1-8B","backend":"vllm","cudagraph_mode":"ALL")",
       "/cudagraph_mode"},
      {"bad worker", R"("model":"meta-llama/Llama-3.1-8B","backend":"fastchat","worker":"gpu_worker")", "/worker"},
      {"bad cache type", R"("model":"meta-llama/Llama-3.1-8B","backend":"llama.cpp","cache_type_k":"q3_k")",
       "/cache_type_k"},
      {"utilization above 1", R"("model":"meta-llama/Llama-3.1-8B","backend":"vllm","gpu_memory_utilization":1.5)",
       "/gpu_memory_utilization"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const Value r = run(request(row.body));
    REQUIRE(at(r, "ok"));
    CHECK_FALSE(at(r, "ok")->as_bool());
    CHECK(at(r, "error.path")->as_string() == row.path);
  }
}

TEST_CASE("inference: an Mllama config without vision_config gets the class's default tower") {
  // transformers MllamaConfig fills a missing vision_config with MllamaVisionConfig(): 32 + 8
  // gated layers of h 1280 / I 5120, 448-px tiles of 14-px patches, 4 tiles × 9 aspect-ratio ids
  // of tile position embeddings, a 7680 → 4096 projector. vLLM PR #12126 measured 19.86 GiB of
  // weights for Llama-3.2-11B-Vision on its 560-px checkpoint.
  const std::string text = R"("model_type":"mllama","num_hidden_layers":40,"hidden_size":4096,)"
                           R"("num_attention_heads":32,"num_key_value_heads":8,"intermediate_size":14336,)"
                           R"("vocab_size":128256,"cross_attention_layers":[3,8,13,18,23,28,33,38])";
  const std::string rest = R"(,"gpu":"h100-sxm-80gb","backend":"vllm","max_model_len":4096)";
  const Value bare = run(request(R"("model":{)" + text + "}" + rest));
  REQUIRE(at(bare, "ok")->as_bool());
  const double layer = 4.0 * 1280 * 1280 + 4 * 1280 + 2.0 * 1280 * 5120 + 5120 + 1280 + 4 * 1280;
  const double tower = 40 * layer + 3.0 * 14 * 14 * 1280 + 1280 + 32.0 * 32 * 1280 +
                       9.0 * 4 * (32 * 32 + 1) * 1280 + 2 * 9.0 * 4 * 1280 + 2 * 1280 + 7680.0 * 4096;
  CHECK(num(bare, "per_gpu.components[weights].values.vision_tower_bytes") == doctest::Approx(2 * tower).epsilon(1e-5));
  CHECK(at(bare, "per_gpu.components[weights].values.vision_config"));
  // A pasted vision_config wins over the default: the released 560-px tiles add position rows.
  const Value full = run(request(R"("model":{)" + text +
                                 R"(,"vision_config":{"hidden_size":1280,"intermediate_size":5120,"num_hidden_layers":32,)"
                                 R"("num_global_layers":8,"image_size":560,"patch_size":14,"max_num_tiles":4,)"
                                 R"("vision_output_dim":7680}})" + rest));
  REQUIRE(at(full, "ok")->as_bool());
  CHECK(num(full, "per_gpu.components[weights].values.vision_tower_bytes") > num(bare, "per_gpu.components[weights].values.vision_tower_bytes"));
  CHECK_FALSE(at(full, "per_gpu.components[weights].values.vision_config"));
  CHECK(num(full, "per_gpu.components[weights].bytes") / kGiB == doctest::Approx(19.86).epsilon(0.01));
}

TEST_CASE("inference: Qwen-VL vision towers read embed_dim, mlp_ratio, gated MLPs and the patch merger") {
  // Hugging Face model pages: Qwen2-VL-7B-Instruct "8.29B params", Qwen2-VL-2B "2.21B params";
  // Qwen2.5-VL-7B-Instruct 8.29B. Qwen2-VL's vision `hidden_size` is the language model's width
  // (the tower's is embed_dim): reading it as the tower width once gave 4.9 B vision parameters.
  struct Row {
    const char* name;
    std::string model;
    double total_params;
  };
  const std::string q2vl_vision =
      R"("vision_config":{"depth":32,"embed_dim":1280,"mlp_ratio":4,"num_heads":16,"in_chans":3,)"
      R"("patch_size":14,"spatial_merge_size":2,"temporal_patch_size":2,"hidden_size":)";
  const Row rows[] = {
      {"Qwen2-VL-7B",
       R"({"model_type":"qwen2_vl","hidden_size":3584,"intermediate_size":18944,"num_attention_heads":28,)"
       R"("num_hidden_layers":28,"num_key_value_heads":4,"vocab_size":152064,"tie_word_embeddings":false,)" +
           q2vl_vision + "3584}}",
       8.29e9},
      {"Qwen2-VL-2B",
       R"({"model_type":"qwen2_vl","hidden_size":1536,"intermediate_size":8960,"num_attention_heads":12,)"
       R"("num_hidden_layers":28,"num_key_value_heads":2,"vocab_size":151936,"tie_word_embeddings":true,)" +
           q2vl_vision + "1536}}",
       2.21e9},
      {"Qwen2.5-VL-7B",
       R"({"model_type":"qwen2_5_vl","hidden_size":3584,"intermediate_size":18944,"num_attention_heads":28,)"
       R"("num_hidden_layers":28,"num_key_value_heads":4,"vocab_size":152064,"tie_word_embeddings":false,)"
       R"("vision_config":{"depth":32,"hidden_act":"silu","hidden_size":1280,"intermediate_size":3420,)"
       R"("num_heads":16,"in_chans":3,"out_hidden_size":3584,"patch_size":14,"spatial_merge_size":2,)"
       R"("temporal_patch_size":2,"window_size":112}})",
       8.29e9},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const Value r = run(request(R"("model":)" + row.model + R"(,"gpu":"h100-sxm-80gb","backend":"vllm","max_model_len":4096)"));
    REQUIRE(at(r, "ok")->as_bool());
    const double total = num(r, "model.params") + num(r, "per_gpu.components[weights].values.vision_tower_bytes") / 2;
    CHECK(total == doctest::Approx(row.total_params).epsilon(0.005));
  }
}

TEST_CASE("inference: a vision_config with hostile sizes is refused at its path, never a 9e18-parameter tower") {
  const char* configs[] = {
      R"({"hidden_size":1e300,"num_hidden_layers":1e300})",
      R"({"hidden_size":1280,"depth":32,"patch_size":0,"image_size":448})",
      R"({"hidden_size":1280,"num_hidden_layers":32,"intermediate_size":-5})",
      R"({"hidden_size":-1280,"num_hidden_layers":32})",
      R"({"hidden_size":1280,"num_hidden_layers":2,"max_num_tiles":1e9,"image_size":1e9})",
  };
  for (const char* vc : configs) {
    CAPTURE(vc);
    for (const char* task : {"infer", "train"}) {
      const Value r = run(std::string(R"({"task":")") + task +
                          R"(","model":{"model_type":"llama","num_hidden_layers":2,"hidden_size":256,"num_attention_heads":4,)"
                          R"("intermediate_size":512,"vocab_size":1000,"vision_config":)" + vc + "}}");
      CHECK_FALSE(at(r, "ok")->as_bool());
      CHECK(at(r, "error.path")->as_string() == "/model/vision_config");
      CHECK(at(r, "error.code")->as_string() == "out_of_range");
    }
  }
}

TEST_CASE("inference: the CUDA context grows with the GPU's resident threads (SMs × threads per SM × 1 KiB stack)") {
  // vLLM ~0.6.4 counts the context as non-torch memory; issue #10517 logged 0.35 GiB on an RTX
  // 3090 (82 SMs, compute capability 8.6: 1536 threads per SM). The model: 0.51 GiB on an H100
  // SXM (132 × 2048), less 1 KiB per resident thread fewer.
  auto overhead = [](const std::string& gpu) {
    const Value r = run(request(R"("model":"meta-llama/Llama-3.1-8B","backend":"vllm","backend_version":"0.6.4",)"
                                R"("engine":"v0","max_model_len":4096,"gpu":)" + gpu));
    REQUIRE(at(r, "ok")->as_bool());
    return num(r, "per_gpu.components[runtime_overhead].bytes");
  };
  const double rtx3090 = overhead(R"({"memory_bytes":25318832210,"sm_count":82,"compute_capability":"8.6"})");
  const double h100 = overhead(R"({"memory_bytes":85520809984,"sm_count":132,"compute_capability":"9.0"})");
  const double unknown = overhead(R"({"memory_bytes":25318832210})");
  CHECK(h100 / kGiB == doctest::Approx(0.51).epsilon(0.01));
  CHECK(unknown == doctest::Approx(h100));
  CHECK(h100 - rtx3090 == doctest::Approx((132.0 * 2048 - 82.0 * 1536) * 1024).epsilon(1e-6));
  CHECK(rtx3090 / kGiB == doctest::Approx(0.35).epsilon(0.07));
}

TEST_CASE("inference: backend aliases resolve and say so; AutoAWQ's fused layers attend explicitly") {
  auto est = [](const std::string& backend, const std::string& extra = "") {
    return run(request(R"("model":"mistralai/Mistral-7B-v0.1","gpu":"rtx-4090","backend":")" + backend +
                       R"(","quantization":"awq-int4","dtype":"float16","batch_size":8,"input_len":2048,"output_len":2048)" + extra));
  };
  const Value hf = est("HF"), transformers = est("transformers"), upper = est("vLLM"), trt = est("trt-llm");
  REQUIRE(at(hf, "ok")->as_bool());
  CHECK(num(hf, "per_gpu.peak.allocated_bytes") == num(transformers, "per_gpu.peak.allocated_bytes"));
  CHECK(has_warning(hf, "\"hf\" is estimated as transformers"));
  REQUIRE(at(upper, "ok")->as_bool());
  CHECK_FALSE(has_warning(upper, "is estimated as"));
  REQUIRE(at(trt, "ok")->as_bool());
  CHECK(has_warning(trt, "tensorrt-llm"));
  const Value bad = est("vlm");
  CHECK_FALSE(at(bad, "ok")->as_bool());
  CHECK(at(bad, "error.path")->as_string() == "/backend");
  // AutoAWQ README benchmark (AutoAWQ 0.1.6, RTX 4090, examples/benchmark.py): Mistral-7B GEMM,
  // batch 8, 2048 prefill + 2048 decode: 16.82 GiB of torch.cuda.max_memory_allocated. The fused
  // attention materialises fp16 scores and their fp32 softmax (awq/modules/fused/attn.py); SDPA
  // would not.
  const Value awq = est("autoawq"), lib = est("transformers", R"(,"quant_library":"autoawq==0.1.6","fuse_layers":true)");
  REQUIRE(at(awq, "ok")->as_bool());
  CHECK(num(awq, "per_gpu.peak.allocated_bytes") / kGiB == doctest::Approx(16.82).epsilon(0.10));
  CHECK(num(lib, "per_gpu.peak.allocated_bytes") == num(awq, "per_gpu.peak.allocated_bytes"));
  CHECK(num(transformers, "per_gpu.peak.allocated_bytes") < 0.6 * num(awq, "per_gpu.peak.allocated_bytes"));
}

TEST_CASE("inference: cache dtypes in any case and under torch's names") {
  auto bytes = [](const char* kv) {
    const Value r = run(request(std::string(R"("model":"meta-llama/Llama-3.1-8B","backend":"vllm","kv_cache_dtype":")") + kv + "\""));
    REQUIRE(at(r, "ok")->as_bool());
    return num(r, "kv_cache.bytes_per_token");
  };
  CHECK(bytes("FP8") == bytes("fp8"));
  CHECK(bytes("float16") == bytes("fp16"));
  CHECK(bytes("bfloat16") == bytes("auto"));
  CHECK(bytes("FP8") * 2 == bytes("auto"));
}

TEST_CASE("inference: a prompt-sized backend says when the prompt length was assumed") {
  auto warned = [](const Value& r) { return has_warning(r, "input_len not given"); };
  const std::string model = R"("model":"meta-llama/Llama-3.1-8B","gpu":"a100-sxm-80gb",)";
  const Value hf = run(request(model + R"("backend":"transformers")"));
  const Value given = run(request(model + R"("backend":"transformers","input_len":512)"));
  const Value vllm = run(request(model + R"("backend":"vllm","max_model_len":8192)"));
  REQUIRE(at(hf, "ok")->as_bool());
  CHECK(warned(hf));
  // The assumption is the documented default: the same answer as asking for 512 tokens.
  CHECK(num(hf, "per_gpu.peak.allocated_bytes") == num(given, "per_gpu.peak.allocated_bytes"));
  CHECK_FALSE(warned(given));
  // A preallocating engine's memory does not follow the prompt.
  REQUIRE(at(vllm, "ok")->as_bool());
  CHECK_FALSE(warned(vllm));
}

TEST_CASE("inference: TensorRT-LLM's C++ executor buffers follow max_batch_size, max_seq_len and the vocabulary") {
  // Issue #1188 (TensorRT-LLM, late 2024): qwen2.5-coder-0.5B-instruct int8 built with the
  // trtllm-build defaults (2048 sequences, max_seq_len = max_position_embeddings 32768) on a
  // 16 GB RTX A4000 logs "Allocated 2.66 GB GPU memory for runtime buffers." and "Allocated 5.76 GB
  // GPU memory for decoder." (MemoryCounters prints GiB as "GB").
  const std::string model =
      R"("model":{"model_type":"qwen2","num_hidden_layers":24,"hidden_size":896,"num_attention_heads":14,)"
      R"("num_key_value_heads":2,"intermediate_size":4864,"vocab_size":151936,"tie_word_embeddings":true,)"
      R"("max_position_embeddings":32768},)"
      R"("gpu":{"id":"a4000","name":"RTX A4000","memory_bytes":17171480576,"memory_bandwidth_bytes_per_s":4.48e11,)"
      R"("dense_bf16_flops":7.67e13,"compute_capability":"8.6","sm_count":48},)"
      R"("backend":"tensorrt-llm","quantization":"int8",)";
  const Value r = run(request(model + R"("backend_version":"0.14.0")"));
  REQUIRE(at(r, "ok")->as_bool());
  CHECK(num(r, "per_gpu.components[runtime_overhead].values.runtime_buffers_bytes") / kGiB ==
        doctest::Approx(2.66).epsilon(0.005));
  CHECK(num(r, "per_gpu.components[runtime_overhead].values.decoder_bytes") / kGiB == doctest::Approx(5.76).epsilon(0.005));
  // The answer points at the build limits when the buffers crowd out the KV cache.
  CHECK(has_warning(r, "max_batch_size 2048 × max_seq_len 32768"));
  // Smaller build limits free the buffers for the KV cache.
  const Value small = run(request(model + R"("backend_version":"0.14.0","max_batch_size":8,"max_seq_len":4096)"));
  REQUIRE(at(small, "ok")->as_bool());
  CHECK(num(small, "per_gpu.components[runtime_overhead].bytes") < 0.1 * num(r, "per_gpu.components[runtime_overhead].bytes"));
  CHECK(num(small, "kv_cache.capacity_tokens") > 2 * num(r, "kv_cache.capacity_tokens"));
  // The PyTorch executor (the default from 1.0) has no C++ decoder: its buffers are smaller.
  const Value torch = run(request(model + R"("backend_version":"1.0.0")"));
  REQUIRE(at(torch, "ok")->as_bool());
  CHECK(num(torch, "per_gpu.components[runtime_overhead].values.decoder_bytes") <
        0.6 * num(r, "per_gpu.components[runtime_overhead].values.decoder_bytes"));
  CHECK(num(run(request(model + R"("backend_version":"1.0.0","trtllm_backend":"tensorrt")")),
            "per_gpu.components[runtime_overhead].values.decoder_bytes") ==
        num(r, "per_gpu.components[runtime_overhead].values.decoder_bytes"));
  CHECK_FALSE(at(run(request(model + R"("trtllm_backend":"onnx")")), "ok")->as_bool());
}

TEST_CASE("inference: NIM's prebuilt engines assume 256 sequences and say so; a given limit wins") {
  const std::string base = R"("model":"meta-llama/Llama-3.3-70B-Instruct","gpu":"h100-sxm-80gb","num_gpus":2,)"
                           R"("tensor_parallel_size":2,"backend":"tensorrt-llm","quantization":"fp8",)";
  const Value nim = run(request(base + R"("serving_stack":"nvidia-nim")"));
  const Value given = run(request(base + R"("serving_stack":"nvidia-nim","max_batch_size":2048)"));
  const Value plain = run(request(base + R"("max_batch_size":2048)"));
  REQUIRE(at(nim, "ok")->as_bool());
  CHECK(num(nim, "per_gpu.components[runtime_overhead].values.max_batch_size") == 256);
  CHECK(has_warning(nim, "NIM does not publish"));
  CHECK_FALSE(has_warning(given, "NIM does not publish"));
  CHECK(num(given, "kv_cache.capacity_tokens") == num(plain, "kv_cache.capacity_tokens"));
  CHECK(num(nim, "kv_cache.capacity_tokens") > 1.3 * num(given, "kv_cache.capacity_tokens"));
  // Other stacks are named in a warning, not silently dropped.
  CHECK(has_warning(run(request(base + R"("serving_stack":"triton")")), "serving_stack \"triton\" is not modelled"));
}

TEST_CASE("inference: vLLM V1 falls back to TRITON_ATTN for fp32 and prefix-LM multimodal models; its graphs keep no attention buffers") {
  auto cg = [](const std::string& fields) {
    const Value r = run(request(R"("gpu":"h100-sxm-80gb","backend":"vllm","backend_version":"0.19.0","max_model_len":8192,)" + fields));
    REQUIRE(at(r, "ok")->as_bool());
    return r;
  };
  const Value bf16 = cg(R"("model":"meta-llama/Llama-3.1-8B","dtype":"bfloat16")");
  const Value fp32 = cg(R"("model":"meta-llama/Llama-3.1-8B","dtype":"float32")");
  CHECK(at(bf16, "per_gpu.components[cuda_graphs].values.attention_backend")->as_string() == "FLASH_ATTN");
  CHECK(at(fp32, "per_gpu.components[cuda_graphs].values.attention_backend")->as_string() == "TRITON_ATTN");
  // vLLM 0.19 (llm-d planner logs, H100): 0.91 GiB of graphs in bf16, 0.79 GiB in fp32 — smaller
  // despite 4-byte activations, because FA3's split-KV buffers are gone.
  CHECK(num(fp32, "per_gpu.components[cuda_graphs].bytes") < 1.0 * num(bf16, "per_gpu.components[cuda_graphs].bytes"));
  CHECK(num(fp32, "per_gpu.components[cuda_graphs].bytes") / kGiB == doctest::Approx(0.79).epsilon(0.12));
  // Gemma 3's multimodal wrapper (model_type gemma3) attends bidirectionally over image tokens.
  const std::string gemma = R"("num_hidden_layers":34,"hidden_size":2560,"num_attention_heads":8,"num_key_value_heads":4,)"
                            R"("head_dim":256,"intermediate_size":10240,"vocab_size":262208,"sliding_window":1024})";
  const Value mm = cg(R"("model":{"model_type":"gemma3",)" + gemma);
  const Value text = cg(R"("model":{"model_type":"gemma3_text",)" + gemma);
  const Value nested = cg(R"("model":{"model_type":"gemma3","text_config":{"model_type":"gemma3_text",)" + gemma + "}");
  CHECK(at(mm, "per_gpu.components[cuda_graphs].values.attention_backend")->as_string() == "TRITON_ATTN");
  CHECK(at(nested, "per_gpu.components[cuda_graphs].values.attention_backend")->as_string() == "TRITON_ATTN");
  CHECK(at(text, "per_gpu.components[cuda_graphs].values.attention_backend")->as_string() == "FLASH_ATTN");
  CHECK(num(mm, "per_gpu.components[cuda_graphs].bytes") < num(text, "per_gpu.components[cuda_graphs].bytes"));
  // Before Ampere there is no FlashAttention and other vendors have their own backends: the
  // fitted default stands.
  const Value v100 = run(request(R"("gpu":"v100-sxm-32gb","backend":"vllm","backend_version":"0.19.0","max_model_len":8192,)"
                                 R"("model":"meta-llama/Llama-3.2-1B","dtype":"float16")"));
  REQUIRE(at(v100, "ok")->as_bool());
  CHECK(at(v100, "per_gpu.components[cuda_graphs].values.attention_backend")->as_string() == "default");
  // FlashAttention 3's split buffers: 32 splits × the largest FULL batch × heads × (head_dim + 1) × 4 B,
  // on top of the FULL graphs' per-layer cost (vLLM 0.19 logs: 260 MiB "first capture").
  {
    const std::string l8 = R"("model":"meta-llama/Llama-3.1-8B","max_num_seqs":1024,)";
    const double both = num(cg(l8 + R"("cudagraph_mode":"FULL_AND_PIECEWISE")"), "per_gpu.components[cuda_graphs].bytes");
    const double piece = num(cg(l8 + R"("cudagraph_mode":"PIECEWISE")"), "per_gpu.components[cuda_graphs].bytes");
    CHECK(both - piece == doctest::Approx(51 * 32 * 143.5e3 + 32.0 * 512 * 32 * 129 * 4).epsilon(1e-6));
  }
  // PIECEWISE graphs run attention outside the graphs.
  const Value piecewise = cg(R"("model":"meta-llama/Llama-3.1-8B","cudagraph_mode":"PIECEWISE")");
  const Value piecewise_fp32 = cg(R"("model":"meta-llama/Llama-3.1-8B","cudagraph_mode":"PIECEWISE","dtype":"float32")");
  CHECK(num(piecewise_fp32, "per_gpu.components[cuda_graphs].bytes") ==
        doctest::Approx(2 * num(piecewise, "per_gpu.components[cuda_graphs].bytes") -
                        51 * 32 * 143.5e3)
            .epsilon(0.01));
}
