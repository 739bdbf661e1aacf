// Properties every valid request must keep, checked over random requests (docs/robustness.md):
// memory never shrinks as the work grows, sharding never costs memory, tensor parallelism halves
// the sharded weights, LoRA never needs more than full fine-tuning, and no answer holds a NaN,
// an infinity (written as null) or a negative number. Requests are drawn from the model presets
// of the catalog with a custom GPU, by a seeded PRNG: every run checks the same cases, natively
// and in wasm. A failure CAPTUREs both requests; paste them into `llm-sizer estimate -`.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "llmsizer/api.hpp"
#include "llmsizer/catalog.hpp"
#include "llmsizer/json_io.hpp"
#include "llmsizer/value.hpp"
#include "estimators.hpp"

using llmsizer::Value;

namespace {

constexpr uint64_t kSeed = 0x5eed2026;

// SplitMix64 (Steele, Lea, Flood 2014): the same sequence on every platform, unlike the
// standard distributions.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int64_t in(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  const char* pick(std::initializer_list<const char*> items) { return items.begin()[in(0, static_cast<int64_t>(items.size()) - 1)]; }
  bool coin() { return (next() & 1) != 0; }
};

// Not in the catalog: an 80 GiB card with round numbers.
Value custom_gpu() {
  return Value::object({{"id", "property-gpu"}, {"name", "Property test GPU"}, {"memory_bytes", int64_t{85899345920}},
                        {"memory_bandwidth_bytes_per_s", 2.0e12}, {"dense_bf16_flops", 3.0e14}});
}

const llmsizer::ModelPreset& any_model(Rng& rng) {
  const auto& models = llmsizer::catalog().models;
  return models[static_cast<size_t>(rng.in(0, static_cast<int64_t>(models.size()) - 1))];
}

int64_t context_of(const llmsizer::ModelPreset& m) {
  const int64_t c = m.spec.max_position_embeddings > 0 ? m.spec.max_position_embeddings : 4096;
  return std::min<int64_t>(c, 8192);
}

Value training_request(Rng& rng, const llmsizer::ModelPreset& m) {
  Value r = Value::object({{"task", "train"}, {"model", m.id}, {"gpu", custom_gpu()}});
  r.set("method", rng.pick({"full", "lora", "qlora", "freeze"}));
  r.set("precision", rng.pick({"bf16", "amp-bf16", "fp16", "amp-fp16", "fp32"}));
  r.set("optimizer", rng.pick({"adamw", "adam", "sgd", "sgd-momentum", "adamw-8bit", "paged-adamw-8bit", "adafactor", "lion"}));
  r.set("gradient_checkpointing", rng.pick({"none", "selective", "full", "offload"}));
  r.set("attention", rng.pick({"flash_attention_2", "sdpa", "eager"}));
  r.set("loss", rng.pick({"standard", "chunked"}));
  r.set("micro_batch_size", rng.in(1, 8));
  r.set("seq_len", rng.in(16, 4096));
  r.set("gradient_accumulation_steps", rng.in(1, 8));
  if (rng.coin()) {
    r.set("lora", Value::object({{"r", int64_t{8} << rng.in(0, 3)}, {"target_modules", "all-linear"}}));
  } else {
    Value targets = Value::array();
    targets.push("q_proj");
    targets.push("v_proj");
    if (rng.coin()) targets.push("down_proj");
    r.set("lora", Value::object({{"r", static_cast<int>(rng.in(1, 128))}, {"target_modules", targets}}));
  }
  return r;
}

Value inference_request(Rng& rng, const llmsizer::ModelPreset& m, const char* backend) {
  Value r = Value::object({{"task", "infer"}, {"model", m.id}, {"gpu", custom_gpu()}, {"backend", backend}});
  r.set("quantization", rng.pick({"none", "none", "fp8", "int8", "bnb-int8", "bnb-nf4", "awq-int4", "gptq-int4", "gguf-q4_k_m"}));
  r.set("kv_cache_dtype", rng.pick({"auto", "auto", "fp8"}));
  const int64_t ctx = context_of(m);
  r.set("batch_size", rng.in(1, 16));
  r.set("input_len", rng.in(1, ctx / 2));
  r.set("output_len", rng.in(0, ctx / 2 - 1));
  return r;
}

// The first null or negative number in the answer text, with some context ("" when clean).
// Outside strings a value that starts with '-' is a negative number, and the writer writes NaN
// and Inf as null: a scan of the compact text finds both without parsing it again.
std::string dirty_token(const std::string& text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if ((c == '-' && i > 0 && (text[i - 1] == ':' || text[i - 1] == ',' || text[i - 1] == '[')) ||
               text.compare(i, 4, "null") == 0) {  // a '-' after 'e' is an exponent's
      return text.substr(i > 80 ? i - 80 : 0, 100);
    }
  }
  return "";
}

struct Answer {
  std::string request;
  bool ok = false;
  int64_t total = 0, device = 0, weights = 0;
  double weight_tensors = 0;  // the weight tensors alone (no allocator rounding, no per-GPU caches)
};

int64_t g_cases = 0;  // property cases checked, all test cases together

// Runs one request through estimate_json and checks the text: ok, and no NaN, Inf or negative
// number anywhere. The figures compared come from run_estimate, the function estimate_json
// writes them from, so they need no second parse of the text.
Answer estimate(const Value& request) {
  Answer a;
  a.request = llmsizer::to_json(request);
  const std::string text = llmsizer::estimate_json(a.request);
  CAPTURE(a.request);
  a.ok = text.rfind("{\"ok\":true,", 0) == 0;
  const std::string error = a.ok ? "" : text.substr(0, 600);
  CAPTURE(error);
  CHECK(a.ok);
  if (!a.ok) return a;
  const std::string dirty = dirty_token(text);
  CAPTURE(dirty);
  CHECK_MESSAGE(dirty.empty(), "a NaN, Inf (written as null) or negative number in the answer");
  ++g_cases;
  auto r = llmsizer::run_estimate(request);
  REQUIRE(r);
  const llmsizer::Estimate& e = r->estimate;
  a.total = e.total_bytes();
  a.device = e.peak.device_bytes;
  for (const auto& c : e.components)
    if (c.id == "weights") {
      a.weights = c.bytes;
      const Value* t = c.values.find("tensor_bytes");
      a.weight_tensors = t && t->is_number() ? t->as_double() : static_cast<double>(c.bytes);
    }
  return a;
}

// `larger` is the same job with more work: it must not need less memory.
void check_not_less(const Answer& smaller, const Answer& larger) {
  if (!smaller.ok || !larger.ok) return;
  ++g_cases;
  CAPTURE(smaller.request);
  CAPTURE(larger.request);
  CHECK(larger.total >= smaller.total);
  CHECK(larger.device >= smaller.device);
}

}  // namespace

// Each case is a chain: a random base request, then the same job with more work, step by step;
// every answer in the chain is also checked for NaN, Inf and negative numbers.
TEST_CASE("training memory never shrinks as micro_batch_size or seq_len grows") {
  Rng rng{kSeed};
  for (int i = 0; i < 55; ++i) {
    const auto& m = any_model(rng);
    const Value base = training_request(rng, m);
    const Answer first = estimate(base);
    for (const char* key : {"micro_batch_size", "seq_len"}) {
      Value r = base;
      Answer prev = first;
      for (int step = 0; step < 3; ++step) {
        r.set(key, r.find(key)->as_int() + rng.in(1, std::string(key) == "seq_len" ? 4096 : 8));
        Answer next = estimate(r);
        check_not_less(prev, next);
        prev = std::move(next);
      }
    }
  }
}

TEST_CASE("inference memory (transformers) never shrinks as batch_size or input_len grows") {
  Rng rng{kSeed + 1};
  for (int i = 0; i < 55; ++i) {
    const auto& m = any_model(rng);
    const Value base = inference_request(rng, m, "transformers");
    const Answer first = estimate(base);
    const int64_t room = context_of(m) - base.find("input_len")->as_int() - base.find("output_len")->as_int();
    for (const char* key : {"batch_size", "input_len"}) {
      Value r = base;
      Answer prev = first;
      for (int step = 0; step < 3; ++step) {
        r.set(key, r.find(key)->as_int() + rng.in(1, std::string(key) == "batch_size" ? 16 : std::max<int64_t>(1, room / 2)));
        Answer next = estimate(r);
        check_not_less(prev, next);
        prev = std::move(next);
      }
    }
  }
}

// One job on 8 GPUs at ZeRO stages 0…3, fully fine-tuned and with LoRA: 8 answers, 10 properties.
TEST_CASE("a higher ZeRO stage never needs more per GPU; LoRA never needs more than full fine-tuning") {
  Rng rng{kSeed + 2};
  for (int i = 0; i < 25; ++i) {
    const auto& m = any_model(rng);
    Value r = training_request(rng, m);
    r.set("num_gpus", 8);
    Answer prev[2];
    for (int stage = 0; stage <= 3; ++stage) {
      r.set("zero_stage", stage);
      Answer by_method[2];
      for (int lora = 0; lora < 2; ++lora) {
        r.set("method", lora ? "lora" : "full");
        by_method[lora] = estimate(r);
        if (stage > 0) check_not_less(by_method[lora], prev[lora]);
      }
      check_not_less(by_method[1], by_method[0]);
      prev[0] = std::move(by_method[0]);
      prev[1] = std::move(by_method[1]);
    }
  }
}

TEST_CASE("tensor_parallel_size 2 halves the sharded weights") {
  Rng rng{kSeed + 3};
  int checked = 0;
  for (int i = 0; i < 200 && checked < 80; ++i) {
    const auto& m = any_model(rng);
    if (m.spec.num_attention_heads % 2 != 0 || m.spec.num_key_value_heads % 2 != 0) continue;
    Value r = inference_request(rng, m, "vllm");
    r.set("num_gpus", 2);
    r.set("tensor_parallel_size", 1);
    const Answer one = estimate(r);
    r.set("tensor_parallel_size", 2);
    const Answer two = estimate(r);
    if (!one.ok || !two.ok) continue;
    ++g_cases;
    ++checked;
    // The weight tensors themselves: what is loaded per GPU also carries allocator rounding and
    // a rotary cache that every rank keeps whole (docs/model/inference.md), which TP cannot halve.
    const double ratio = two.weight_tensors / one.weight_tensors;
    CAPTURE(two.request);
    CAPTURE(ratio);
    CHECK(ratio >= 0.5);
    CHECK(ratio <= 0.55);
  }
  CHECK(checked == 80);
  MESSAGE("property cases checked: " << g_cases << " (seed " << kSeed << ", " << llmsizer::catalog().models.size()
                                     << " presets)");
}
