// The training memory estimator (issue 5; docs/model/training.md): model states per precision
// recipe, optimizer and sharding engine (shared formulas.md §3), LoRA parameter counts, the
// activations autograd keeps (§4), the phases of a step, paged optimizer state, the reverse
// solvers, warnings and errors. Reference numbers cite where they come from.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "support.hpp"

using testing::at;
using testing::has_warning;
using testing::run;

namespace {

// A synthetic Llama-style model whose tensors are all ≥ 4096 elements except the norms, so
// bytes per parameter come out exactly (norms are 0.02 % of it).
const std::string kModel =
    R"("model":{"model_type":"llama","num_hidden_layers":8,"hidden_size":2048,"num_attention_heads":16,)"
    R"("num_key_value_heads":4,"intermediate_size":8192,"vocab_size":32000,"tie_word_embeddings":false})";
const std::string kGpu = R"("gpu":{"id":"test-80g","memory_bytes":85899345920,"dense_bf16_flops":9.89e14})";

std::string train(const std::string& extra) { return R"({"task":"train",)" + kModel + "," + kGpu + "," + extra + "}"; }

double bytes(const llmsizer::Value& r, const std::string& id) {
  const llmsizer::Value* v = at(r, "per_gpu.components[" + id + "].bytes");
  return v ? v->as_double() : 0.0;
}

double params(const llmsizer::Value& r) { return at(r, "model.params")->as_double(); }

}  // namespace

TEST_CASE("model states follow the precision recipe and the optimizer (formulas.md §3.2, §3.3)") {
  // Full fine-tuning on one GPU: bytes per parameter of weights, gradients and optimizer states.
  struct Row { const char* name; std::string extra; double w, g, opt; };
  const Row rows[] = {
      {"pure bf16 AdamW: states in the param dtype (zeros_like)", R"("precision":"bf16","optimizer":"adamw")", 2, 2, 4},
      {"fp32 AdamW", R"("precision":"fp32","optimizer":"adamw")", 4, 4, 8},
      {"HF AMP: fp32 weights + autocast", R"("precision":"amp-bf16","optimizer":"adamw")", 4, 4, 8},
      {"SGD without momentum keeps nothing", R"("precision":"bf16","optimizer":"sgd")", 2, 2, 0},
      {"SGD momentum: one buffer", R"("precision":"bf16","optimizer":"sgd-momentum")", 2, 2, 2},
      {"Lion: one momentum", R"("precision":"bf16","optimizer":"lion")", 2, 2, 2},
      // bitsandbytes blockwise 8-bit: 2 uint8 states + one fp32 absmax per 256 per state.
      {"8-bit AdamW", R"("precision":"bf16","optimizer":"adamw-8bit")", 2, 2, 2 + 8.0 / 256},
      // bitsandbytes 32-bit optimizers keep fp32 states even for bf16 params.
      {"paged 32-bit AdamW", R"("precision":"bf16","optimizer":"paged-adamw")", 2, 2, 8},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto r = run(train(R"("method":"full","micro_batch_size":1,"seq_len":256,)" + row.extra));
    REQUIRE(at(r, "ok")->as_bool());
    const double P = params(r);
    CHECK(bytes(r, "weights") / P == doctest::Approx(row.w).epsilon(0.002));
    CHECK(bytes(r, "gradients") / P == doctest::Approx(row.g).epsilon(0.002));
    CHECK(bytes(r, "optimizer_states") / P == doctest::Approx(row.opt).epsilon(0.003));
  }
}

TEST_CASE("DeepSpeed ZeRO shards what the ZeRO paper says (formulas.md §3.1, §3.4)") {
  // 8 ranks, bf16: 16-bit params 2, 16-bit grads 2, fp32 grad partition 4, fp32 master 4, Adam 8.
  struct Row { int stage; double w, g, master, opt; };
  const Row rows[] = {
      {1, 2, 2 + 4.0 / 8, 4.0 / 8, 8.0 / 8},
      {2, 2, (2 + 4.0) / 8, 4.0 / 8, 8.0 / 8},
      {3, 2.0 / 8, (2 + 4.0) / 8, 4.0 / 8, 8.0 / 8},
  };
  for (const auto& row : rows) {
    CAPTURE(row.stage);
    auto r = run(train(R"("method":"full","precision":"bf16","num_gpus":8,"micro_batch_size":1,"seq_len":256,"zero_stage":)" +
                       std::to_string(row.stage)));
    REQUIRE(at(r, "ok")->as_bool());
    const double P = params(r);
    CHECK(bytes(r, "weights") / P == doctest::Approx(row.w).epsilon(0.003));
    CHECK(bytes(r, "gradients") / P == doctest::Approx(row.g).epsilon(0.003));
    CHECK(bytes(r, "master_weights") / P == doctest::Approx(row.master).epsilon(0.003));
    CHECK(bytes(r, "optimizer_states") / P == doctest::Approx(row.opt).epsilon(0.003));
  }
}

TEST_CASE("offloading moves states to host RAM") {
  auto on = run(train(R"("method":"full","num_gpus":8,"zero_stage":3,"offload_optimizer":"cpu","offload_param":"cpu")"));
  auto off = run(train(R"("method":"full","num_gpus":8,"zero_stage":3)"));
  REQUIRE(at(on, "ok")->as_bool());
  CHECK(bytes(on, "optimizer_states") == 0);
  CHECK(bytes(on, "weights") == 0);
  CHECK(at(on, "host_bytes")->as_double() > at(off, "host_bytes")->as_double() + 8 * 12.0 * params(on) / 8 * 0.9);
  CHECK(at(on, "per_gpu.peak.allocated_bytes")->as_double() < at(off, "per_gpu.peak.allocated_bytes")->as_double());
}

TEST_CASE("LoRA, DoRA and freeze-tuning count the trainable parameters PEFT reports") {
  // PEFT MetaMathQA benchmark and ms-swift Benchmark.md (calibration/measured-training.json).
  struct Row { const char* name; std::string request; double expected; };
  const Row rows[] = {
      {"Llama-3.2-3B LoRA r32 q,v", R"("model":"meta-llama/Llama-3.2-3B","method":"lora","lora":{"r":32,"target_modules":["q_proj","v_proj"]})", 9175040},
      {"Llama-3.2-3B LoRA r10 MLP", R"("model":"meta-llama/Llama-3.2-3B","method":"lora","lora":{"r":10,"target_modules":["up_proj","gate_proj","down_proj"]})", 9461760},
      {"Llama-3.2-3B LN tuning", R"("model":"meta-llama/Llama-3.2-3B","method":"freeze","trainable_modules":["input_layernorm","post_attention_layernorm","norm"])", 175104},
      {"Qwen-1.8B r8 on the fused c_attn (one lora_A)", R"("model":"Qwen/Qwen-1_8B-Chat","method":"lora","lora":{"r":8,"target_modules":["c_attn"]})", 24 * 8.0 * (2048 + 3 * 2048)},
      // DoRA adds one magnitude per output feature: q (3072) + v (1024) per layer.
      {"Llama-3.2-3B DoRA r32 q,v", R"("model":"meta-llama/Llama-3.2-3B","method":"lora","lora":{"r":32,"use_dora":true,"target_modules":["q_proj","v_proj"]})", 9175040 + 28 * (3072 + 1024)},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto r = run(R"({"task":"train",)" + kGpu + "," + row.request + "}");
    REQUIRE(at(r, "ok")->as_bool());
    CHECK(at(r, "extra.num_trainable_params")->as_double() == doctest::Approx(row.expected));
  }
}

TEST_CASE("LoRA targets matter more than rank: a frozen linear keeps no input (formulas.md §4.7)") {
  const std::string base = R"("method":"lora","precision":"bf16","micro_batch_size":4,"seq_len":1024,"adapter_dtype":"bf16",)";
  auto qv8 = run(train(base + R"("lora":{"r":8,"target_modules":["q_proj","v_proj"]})"));
  auto qv64 = run(train(base + R"("lora":{"r":64,"target_modules":["q_proj","v_proj"]})"));
  auto mlp8 = run(train(base + R"("lora":{"r":8,"target_modules":["gate_proj","up_proj","down_proj"]})"));
  const double a8 = bytes(qv8, "activations"), a64 = bytes(qv64, "activations"), am = bytes(mlp8, "activations");
  CAPTURE(a8);
  CAPTURE(a64);
  CAPTURE(am);
  CHECK(a64 / a8 < 1.02);  // rank: only the r-wide lora_A outputs
  // MLP targets keep the MLP input (2h) and down_proj's input (2·I) per token and layer.
  CHECK(am - a8 == doctest::Approx(8 * 4096.0 * (2 * 2048 + 2 * 8192) - 8 * 4096.0 * 2 * 2048).epsilon(0.02));
}

TEST_CASE("eager attention keeps the fp32 softmax and its 16-bit copy: 6·a·s² bytes per layer") {
  const std::string base = R"("method":"lora","micro_batch_size":1,"seq_len":2048,"gradient_checkpointing":"none",)";
  auto eager = run(train(base + R"("attention":"eager")"));
  auto flash = run(train(base + R"("attention":"flash_attention_2")"));
  const double s = 2048, a = 16, L = 8;
  const double diff = bytes(eager, "activations") - bytes(flash, "activations");
  CAPTURE(diff);
  // Eager also expands K/V to all heads (repeat_kv) and drops the kernel's output and LSE.
  CHECK(diff == doctest::Approx(L * 6 * a * s * s).epsilon(0.05));
}

TEST_CASE("checkpointing keeps one input per layer; offloading moves it to host RAM") {
  const std::string base = R"("method":"full","micro_batch_size":2,"seq_len":4096,)";
  auto none = run(train(base + R"("gradient_checkpointing":"none")"));
  auto full = run(train(base + R"("gradient_checkpointing":"full")"));
  auto offl = run(train(base + R"("gradient_checkpointing":"offload")"));
  const double tokens = 2 * 4096;
  CHECK(bytes(full, "activations") < bytes(none, "activations") / 3);
  const double ckpt = at(full, "per_gpu.components[activations].values.details.checkpoint_bytes_per_token")->as_double();
  CHECK(ckpt == 2 * 2048);  // bf16 hidden state
  CHECK(bytes(full, "activations") - bytes(offl, "activations") == doctest::Approx((8 - 2) * ckpt * tokens).epsilon(0.01));
  CHECK(at(offl, "host_bytes")->as_double() > at(full, "host_bytes")->as_double());
}

TEST_CASE("the loss path: fp32 upcast, chunked and fused cross-entropy (formulas.md §4.5)") {
  struct Row { const char* name; std::string extra; double bytes_per_token; };
  const double V = 32000, h = 2048;
  const Row rows[] = {
      // transformers ForCausalLMLoss: log-softmax saved + NLL grad + log-softmax grad, fp32.
      {"transformers standard", R"("framework":"transformers","loss":"standard")", 12 * V},
      {"torchtune chunked, compiled", R"("framework":"torchtune","loss":"chunked","torch_compile":true)", 2 * V * (1 + 1.0 / 8)},
      {"lit-gpt chunked lm_head", R"("framework":"litgpt","loss":"chunked")", 4 * V},
      {"Unsloth fused CE", R"("framework":"unsloth","loss":"standard")", 2 * V},
      {"cut cross-entropy", R"("framework":"unsloth","cut_cross_entropy":true)", 8 * h},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto r = run(train(R"("method":"lora","micro_batch_size":2,"seq_len":1000,)" + row.extra));
    REQUIRE(at(r, "ok")->as_bool());
    CHECK(bytes(r, "logits") / 2000 == doctest::Approx(row.bytes_per_token).epsilon(0.001));
  }
}

TEST_CASE("paged optimizer state lives outside torch's counters") {
  auto paged = run(train(R"("method":"full","optimizer":"paged-adamw-8bit")"));
  auto plain = run(train(R"("method":"full","optimizer":"adamw-8bit")"));
  const double P = params(paged);
  CHECK(at(paged, "per_gpu.components[optimizer_states].values.paged_bytes")->as_double() > 1.9 * P);
  CHECK(at(plain, "per_gpu.peak.allocated_bytes")->as_double() - at(paged, "per_gpu.peak.allocated_bytes")->as_double() > 1.9 * P);
  // It still occupies the device while there is room.
  CHECK(at(paged, "per_gpu.peak.device_bytes")->as_double() ==
        doctest::Approx(at(plain, "per_gpu.peak.device_bytes")->as_double()).epsilon(0.05));
}

TEST_CASE("optimizer in backward frees each gradient after its step") {
  auto inbwd = run(train(R"("method":"full","optimizer_in_backward":true)"));
  auto plain = run(train(R"("method":"full")"));
  CHECK(bytes(inbwd, "gradients") == doctest::Approx(32000.0 * 2048 * 2));  // the largest tensor: the embedding
  CHECK(at(inbwd, "per_gpu.peak.allocated_bytes")->as_double() < at(plain, "per_gpu.peak.allocated_bytes")->as_double());
}

TEST_CASE("sharding and parallelism divide what they should") {
  struct Row { const char* name; std::string extra; const char* component; double ratio; };
  const Row rows[] = {
      // FSDP full shard over 4: params, grads, states / 4 (bf16 pure recipe).
      {"FSDP full shard / 4 (optimizer)", R"("num_gpus":4,"fsdp":{"sharding":"full_shard"})", "optimizer_states", 0.25},
      {"FSDP no shard keeps everything", R"("num_gpus":4,"fsdp":{"sharding":"NO_SHARD"})", "optimizer_states", 1.0},
      // Context parallelism splits the sequence: activations / cp.
      {"context parallel 4", R"("num_gpus":4,"parallel":{"cp":4,"dp":1})", "activations", 0.25},
      // Tensor parallel with sequence parallelism: every activation / tp.
      {"tensor parallel 2 + SP", R"("num_gpus":2,"parallel":{"tp":2,"dp":1,"sequence_parallel":true})", "activations", 0.5},
  };
  auto one = run(train(R"("method":"full","micro_batch_size":2,"seq_len":2048)"));
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto r = run(train(R"("method":"full","micro_batch_size":2,"seq_len":2048,)" + row.extra));
    REQUIRE(at(r, "ok")->as_bool());
    CHECK(bytes(r, row.component) / bytes(one, row.component) == doctest::Approx(row.ratio).epsilon(0.03));
  }
}

TEST_CASE("1F1B keeps p micro-batches in flight on the first stage, interleaving adds (p−1)/(p·v)") {
  const std::string base = R"("method":"full","micro_batch_size":1,"seq_len":2048,"gradient_accumulation_steps":16,"num_gpus":4,)";
  auto one = run(train(base + R"("parallel":{"pp":4,"dp":1,"pp_schedule":"1F1B"})"));
  auto inter = run(train(base + R"("parallel":{"pp":4,"dp":1,"pp_schedule":"Interleaved1F1B","virtual_stages":2})"));
  const double l1 = at(one, "per_gpu.components[activations].values.details.layers_on_this_gpu_in_flight")->as_double();
  const double l2 = at(inter, "per_gpu.components[activations].values.details.layers_on_this_gpu_in_flight")->as_double();
  CHECK(l1 == doctest::Approx(8));  // L/p layers × p micro-batches = L
  CHECK(l2 == doctest::Approx(8 * (1 + 3.0 / 8)));
}

TEST_CASE("reverse solvers: the largest micro-batch and sequence that fit, the fewest GPUs") {
  const std::string base = R"("method":"full","precision":"bf16","gradient_checkpointing":"none",)";
  auto r = run(train(base + R"("micro_batch_size":1,"seq_len":2048)"));
  const int64_t max_s = at(r, "extra.max_seq_len_fit")->as_int();
  const int64_t max_b = at(r, "extra.max_micro_batch_size_fit")->as_int();
  REQUIRE(max_s > 2048);
  CHECK(at(run(train(base + R"("micro_batch_size":1,"seq_len":)" + std::to_string(max_s))), "extra.fits")->as_bool());
  CHECK_FALSE(at(run(train(base + R"("micro_batch_size":1,"seq_len":)" + std::to_string(max_s + 64))), "extra.fits")->as_bool());
  CHECK(at(run(train(base + R"("seq_len":2048,"micro_batch_size":)" + std::to_string(max_b))), "extra.fits")->as_bool());
  CHECK_FALSE(at(run(train(base + R"("seq_len":2048,"micro_batch_size":)" + std::to_string(max_b + 1))), "extra.fits")->as_bool());
  // A 70B full fine-tune does not fit one GPU; ZeRO-3 over enough GPUs does.
  auto big = run(R"({"task":"train","model":"meta-llama/Llama-3.1-70B",)" + kGpu +
                 R"(,"method":"full","num_gpus":8,"zero_stage":3,"gradient_checkpointing":"full","seq_len":2048})");
  REQUIRE(at(big, "ok")->as_bool());
  const int64_t need = at(big, "num_gpus_needed")->as_int();
  CHECK(need >= 16);  // 70.6 B × 18 B/param ≈ 1.27 TB of states
  CHECK(need <= 64);
}

TEST_CASE("warnings name the GPU's missing features; unknown frameworks answer with a warning") {
  struct Row { const char* name; std::string request; const char* fragment; };
  const Row rows[] = {
      {"FlashAttention-2 on a V100", R"({"task":"train",)" + kModel + R"(,"gpu":"v100-sxm-16gb","attention":"flash_attention_2"})", "FlashAttention-2"},
      {"bf16 on a T4", R"({"task":"train",)" + kModel + R"(,"gpu":"t4","precision":"bf16"})", "no bf16"},
      {"unknown framework", train(R"("framework":"torchtunez")"), "did you mean \"torchtune\""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto r = run(row.request);
    REQUIRE(at(r, "ok")->as_bool());
    CHECK(has_warning(r, row.fragment));
  }
}

TEST_CASE("training errors name the JSON path and the allowed values") {
  struct Row { const char* name; std::string request; const char* path; const char* fragment; };
  const Row rows[] = {
      {"unknown optimizer", train(R"("optimizer":"adamx")"), "/optimizer", "\"adamw-8bit\""},
      {"target_modules of the wrong type", train(R"("method":"lora","lora":{"target_modules":5})"), "/lora/target_modules", "all-linear"},
      {"tp not dividing the heads", train(R"("num_gpus":3,"parallel":{"tp":3})"), "/parallel", "num_attention_heads"},
      {"unknown FSDP sharding", train(R"("num_gpus":2,"fsdp":{"sharding":"sideways"})"), "/fsdp/sharding", "\"full_shard\""},
      {"unknown qlora quant type", train(R"("method":"qlora","qlora":{"quant_type":"int3"})"), "/qlora/quant_type", "\"nf4\""},
      {"layout larger than the GPUs", train(R"("num_gpus":2,"parallel":{"tp":2,"dp":2})"), "/parallel", "num_gpus"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto r = run(row.request);
    REQUIRE(at(r, "ok"));
    CHECK_FALSE(at(r, "ok")->as_bool());
    CHECK(at(r, "error.path")->as_string() == row.path);
    CHECK(at(r, "error.message")->as_string().find(row.fragment) != std::string::npos);
  }
}

TEST_CASE("the seed example's breakdown is the formulas of docs/model/training.md") {
  // Llama-2-7B, LoRA r16 (q,v), micro-batch 4 × 2048, fp16, full checkpointing, FlashAttention-2.
  auto r = run(R"({"task":"train","model":"meta-llama/Llama-2-7b-hf",)" + kGpu +
               R"(,"method":"lora","lora":{"r":16},"micro_batch_size":4,"seq_len":2048,"precision":"fp16",)"
               R"("gradient_checkpointing":"full","attention":"flash_attention_2"})");
  REQUIRE(at(r, "ok")->as_bool());
  const double P = 6738415616, tokens = 4 * 2048, h = 4096, I = 11008, V = 32000, L = 32;
  const double adapters = L * 16 * ((h + h) + (h + h));  // q and v: r·(in + out)
  CHECK(bytes(r, "weights") == doctest::Approx(2 * P));
  CHECK(bytes(r, "trainable_weights") == doctest::Approx(4 * adapters));  // PEFT fp32 adapters
  CHECK(bytes(r, "gradients") == doctest::Approx(4 * adapters));
  CHECK(bytes(r, "optimizer_states") == doctest::Approx(8 * adapters));
  // Per token and layer: LlamaRMSNorm keeps an fp32 copy of each norm's input (2·4h); the frozen
  // q/v base keeps nothing, each fp32 adapter keeps its fp32 cast of the input (2·4h) and its
  // lora_A output (2·4r); FlashAttention keeps q, k, v (MHA: 3·2h), the output (2h) and the fp32
  // LSE (4a); SwiGLU keeps gate, up and SiLU(gate) (3·2I).
  const double layer = 2 * 4 * h + 2 * 4 * h + 2 * 4 * 16 + 3 * 2 * h + 2 * h + 4 * 32 + 6 * I;
  const double saved = L * 2 * h * tokens + 4 * h * tokens;              // checkpoints + final norm (fp32)
  const double work = layer * tokens + (2 * 2 * h + 2 * 2 * I) * tokens;  // one layer recomputed + grad temporaries
  CHECK(bytes(r, "activations") == doctest::Approx(saved + work).epsilon(0.001));
  CHECK(bytes(r, "logits") == doctest::Approx(12 * V * tokens));
}

TEST_CASE("a multimodal config's vision tower is trained frozen: 16-bit with LoRA, quantized with QLoRA, sharded by ZeRO-3") {
  // Qwen2-VL-7B (HF model page: 8.29B parameters, of which the tower + merger ≈ 0.676B).
  const std::string model =
      R"("model":{"model_type":"qwen2_vl","hidden_size":3584,"intermediate_size":18944,"num_attention_heads":28,)"
      R"("num_hidden_layers":28,"num_key_value_heads":4,"vocab_size":152064,"tie_word_embeddings":false,)"
      R"("vision_config":{"depth":32,"embed_dim":1280,"mlp_ratio":4,"num_heads":16,"in_chans":3,"hidden_size":3584,)"
      R"("patch_size":14,"spatial_merge_size":2,"temporal_patch_size":2}})";
  const std::string text_only =
      R"("model":{"model_type":"qwen2","hidden_size":3584,"intermediate_size":18944,"num_attention_heads":28,)"
      R"("num_hidden_layers":28,"num_key_value_heads":4,"vocab_size":152064,"tie_word_embeddings":false})";
  auto job = [&](const std::string& m, const std::string& extra) {
    return run(R"({"task":"train",)" + m + "," + kGpu + R"(,"method":"lora","precision":"bf16","seq_len":1024,)" + extra + "}");
  };
  auto tower = [](const llmsizer::Value& r) {
    const llmsizer::Value* v = at(r, "per_gpu.components[weights].values.frozen_vision_tower_bytes");
    return v ? v->as_double() : 0.0;
  };
  const auto lora = job(model, R"("num_gpus":1)"), plain = job(text_only, R"("num_gpus":1)");
  REQUIRE(at(lora, "ok")->as_bool());
  CHECK(tower(lora) / 2 == doctest::Approx(0.676e9).epsilon(0.01));
  CHECK(bytes(lora, "weights") - bytes(plain, "weights") == doctest::Approx(tower(lora)).epsilon(1e-6));
  CHECK(tower(plain) == 0);
  // QLoRA: bitsandbytes quantizes the tower's linears with the language model's (~0.5 B/param + stats).
  const auto q = job(model, R"("method":"qlora","num_gpus":1)");
  REQUIRE(at(q, "ok")->as_bool());
  CHECK(tower(q) / 0.676e9 > 0.5);
  CHECK(tower(q) / 0.676e9 < 0.6);
  // ZeRO-3 over 4 GPUs shards it with the other frozen weights.
  const auto z3 = job(model, R"("num_gpus":4,"framework":"deepspeed","zero_stage":3)");
  const auto z3_plain = job(text_only, R"("num_gpus":4,"framework":"deepspeed","zero_stage":3)");
  REQUIRE(at(z3, "ok")->as_bool());
  CHECK(bytes(z3, "weights") - bytes(z3_plain, "weights") == doctest::Approx(tower(z3) / 4).epsilon(1e-3));
}

TEST_CASE("mean_seq_len speeds up a variable-length dataset without changing the memory sized for seq_len") {
  auto est = [](const std::string& extra) {
    // An 8B model: the synthetic test model is host-bound (fixed per-layer launch time), where
    // shorter samples cannot be faster.
    return run(R"({"task":"train","model":"meta-llama/Llama-3.1-8B",)" + kGpu +
               R"(,"method":"lora","seq_len":2048,"micro_batch_size":2)" + extra + "}");
  };
  const auto full = est(""), same = est(R"(,"mean_seq_len":2048)"), shorter = est(R"(,"mean_seq_len":512)");
  REQUIRE(at(shorter, "ok")->as_bool());
  auto perf = [](const llmsizer::Value& r, const char* key) { return at(r, std::string("performance.") + key)->as_double(); };
  CHECK(perf(same, "step_time_s") == doctest::Approx(perf(full, "step_time_s")));
  CHECK(at(shorter, "per_gpu.peak.allocated_bytes")->as_double() == at(full, "per_gpu.peak.allocated_bytes")->as_double());
  // A quarter of the tokens per sample: at least 2.5× the samples per second (fixed host and
  // optimizer costs keep it under 4×), and tokens/s counts the real tokens.
  CHECK(perf(shorter, "samples_per_s") > 2.5 * perf(full, "samples_per_s"));
  CHECK(perf(shorter, "samples_per_s") < 4.0 * perf(full, "samples_per_s"));
  CHECK(perf(shorter, "tokens_per_s") == doctest::Approx(perf(shorter, "samples_per_s") * 512).epsilon(1e-4));
  const auto bad = est(R"(,"mean_seq_len":4096)");
  CHECK_FALSE(at(bad, "ok")->as_bool());
  CHECK(at(bad, "error.path")->as_string() == "/mean_seq_len");
}

TEST_CASE("optimizer names as TrainingArguments spells them (optim=) resolve to ours") {
  auto states = [](const std::string& optimizer) {
    const auto r = run(train(R"("method":"full","optimizer":")" + optimizer + "\""));
    REQUIRE(at(r, "ok")->as_bool());
    return std::pair{bytes(r, "optimizer_states"), bytes(r, "optimizer_transient")};
  };
  CHECK(states("adamw_torch") == states("adamw"));
  CHECK(states("AdamW") == states("adamw"));
  CHECK(states("adamw_bnb_8bit") == states("adamw-8bit"));
  CHECK(states("paged_adamw_8bit") == states("paged-adamw-8bit"));
  CHECK(states("lion_32bit") == states("lion"));
  // adamw_torch_fused is the fused kernel: no foreach temporaries at the step.
  CHECK(states("adamw_torch_fused").first == states("adamw").first);
  CHECK(states("adamw_torch_fused").second == 0);
  CHECK(states("adamw").second > 0);
  const auto bad = run(train(R"("optimizer":"adagrad")"));
  CHECK_FALSE(at(bad, "ok")->as_bool());
  CHECK(at(bad, "error.path")->as_string() == "/optimizer");
}

TEST_CASE("values in another case or under the libraries' names mean ours") {
  auto answer = [](const std::string& extra) {
    const auto r = run(train(R"("micro_batch_size":2)" + extra));
    REQUIRE(at(r, "ok")->as_bool());
    return std::pair{at(r, "per_gpu.peak.allocated_bytes")->as_double(), at(r, "performance.step_time_s")->as_double()};
  };
  CHECK(answer(R"(,"method":"LoRA")") == answer(R"(,"method":"lora")"));
  CHECK(answer(R"(,"method":"QLoRA")") == answer(R"(,"method":"qlora")"));
  CHECK(answer(R"(,"precision":"BF16")") == answer(R"(,"precision":"bf16")"));
  CHECK(answer(R"(,"precision":"bfloat16")") == answer(R"(,"precision":"bf16")"));
  CHECK(answer(R"(,"precision":"bf16-mixed")") == answer(R"(,"precision":"amp-bf16")"));
  // Unsloth's use_gradient_checkpointing="unsloth" offloads the checkpoints.
  CHECK(answer(R"(,"gradient_checkpointing":"unsloth")") == answer(R"(,"gradient_checkpointing":"offload")"));
  CHECK(answer(R"(,"gradient_checkpointing":"true")") == answer(R"(,"gradient_checkpointing":"full")"));
  const auto bad = run(train(R"("precision":"mixed")"));
  CHECK_FALSE(at(bad, "ok")->as_bool());
  CHECK(at(bad, "error.path")->as_string() == "/precision");
}

TEST_CASE("training: FSDP2 under torchtitan's pipeline keeps the whole stage unsharded, with fp32 accumulated grads") {
  // torchtitan Llama-3.1 405B on 512 H100 96 GB (FSDP 8 × TP 8 × PP 8, 1F1B, 8 micro-batches of
  // 4 × 8192 tokens, compile + Float8, full AC): max_reserved 82.5 GiB per GPU. apply_fsdp turns
  // reshard_after_forward off under PP and torch.distributed.pipelining skips reshard and gradient
  // sync until the last micro-batch, so each GPU holds its stage's 16-bit parameters and their fp32
  // gradients unsharded (≈ 6.3 B parameters × 6 B), not two gathered layers.
  const std::string req =
      R"({"task":"train","model":{"model_type":"llama","num_hidden_layers":126,"hidden_size":16384,)"
      R"("num_attention_heads":128,"num_key_value_heads":8,"intermediate_size":53248,"vocab_size":128256,)"
      R"("tie_word_embeddings":false},"gpu":"h100-sxm-96gb","num_gpus":512,"micro_batch_size":4,"seq_len":8192,)"
      R"("gradient_checkpointing":"full","fsdp":{"sharding":"full_shard"},"parallel":{"dp":8,"tp":8,"pp":8,)"
      R"("pp_schedule":"1F1B","microbatches":8},"torch_compile":true,"float8":true,"method":"full",)"
      R"("pretraining":true,"framework":"torchtitan","precision":"amp-bf16","optimizer":"adamw",)"
      R"("gradient_accumulation_steps":8,"attention":"sdpa")";
  const llmsizer::Value pp = run(req + "}");
  REQUIRE(at(pp, "ok")->as_bool());
  const double stage_params = 405.8e9 / 64;
  const double root = 2.0 * 128256 * 16384 * 2 / 8;  // embedding + output in 16 bits, TP-sharded
  CHECK(bytes(pp, "sharding_buffers") == doctest::Approx(stage_params * 6 + root).epsilon(0.05));
  CHECK(at(pp, "per_gpu.peak.reserved_bytes")->as_double() / (1024.0 * 1024 * 1024) == doctest::Approx(82.5).epsilon(0.10));
  // Another framework on the same layout keeps FSDP's usual two gathered layers.
  const llmsizer::Value other = run(req + R"(,"framework":"transformers"})");
  REQUIRE(at(other, "ok")->as_bool());
  CHECK(bytes(other, "sharding_buffers") < 0.2 * bytes(pp, "sharding_buffers"));
}

TEST_CASE("training: a fit near the GPU's capacity says the headroom is thin") {
  auto warned = [](const llmsizer::Value& r) { return has_warning(r, "little headroom"); };
  // lit-gpt 2023 resource table: Llama-2-7B LoRA (q, v, r 8) on an A100 40 GB, micro-batch 4 ×
  // 1304-token Alpaca samples, bf16-true, no checkpointing: out of memory. Estimated just under
  // the card, so the answer fits but must say how little is left.
  const std::string base =
      R"({"task":"train","model":{"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,)"
      R"("num_attention_heads":32,"num_key_value_heads":32,"intermediate_size":11008,"vocab_size":32000,)"
      R"("tie_word_embeddings":false},"gpu":"a100-sxm-40gb","num_gpus":1,"method":"lora",)"
      R"("lora":{"r":8,"alpha":16,"target_modules":["q_proj","v_proj"]},"base_weights_dtype":"bf16",)"
      R"("optimizer":"adamw","seq_len":1304,"gradient_checkpointing":"none","framework":"litgpt",)"
      R"("precision":"bf16","attention":"sdpa","loss":"chunked","micro_batch_size":)";
  const llmsizer::Value mb4 = run(base + "4}");
  const llmsizer::Value mb1 = run(base + "1}");
  REQUIRE(at(mb4, "ok")->as_bool());
  REQUIRE(at(mb1, "ok")->as_bool());
  CHECK(warned(mb4));
  CHECK_FALSE(warned(mb1));
}
