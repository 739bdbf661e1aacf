// The JSON boundary: valid requests answer ok, bad ones name their path; nothing crashes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "llmsizer/json_io.hpp"
#include "llmsizer/value.hpp"
#include "support.hpp"

using testing::at;
using testing::run;

namespace {
const std::string kGpu = R"("gpu":{"id":"test-80g","memory_bytes":85520809984,"memory_bandwidth_bytes_per_s":3.35e12,"dense_bf16_flops":9.89e14})";
const std::string kModel = R"("model":{"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,"num_attention_heads":32,"num_key_value_heads":8,"intermediate_size":14336,"vocab_size":128256,"tie_word_embeddings":false})";
}  // namespace

TEST_CASE("a valid inference request answers ok with its components") {
  auto r = run(R"({"task":"infer",)" + kModel + "," + kGpu + R"(,"backend":"transformers","batch_size":1,"input_len":1024,"output_len":256})");
  REQUIRE(at(r, "ok"));
  CHECK(at(r, "ok")->as_bool());
  CHECK(at(r, "model.params")->as_int() == 8030261248);  // Llama-3-8B published 8.03 B (formulas.md §1.2)
  CHECK(at(r, "per_gpu.components[weights].bytes")->as_int() == 2 * 8030261248);
  CHECK(at(r, "kv_cache.bytes_per_token")->as_int() == 131072);  // 2·32·8·128·2 (formulas.md §5.1)
  CHECK(at(r, "per_gpu.total_bytes")->as_int() > at(r, "per_gpu.components[weights].bytes")->as_int());
}

TEST_CASE("a valid training request answers ok") {
  auto r = run(R"({"task":"train",)" + kModel + "," + kGpu + R"(,"method":"lora","micro_batch_size":2,"seq_len":1024})");
  REQUIRE(at(r, "ok"));
  CHECK(at(r, "ok")->as_bool());
  CHECK(at(r, "per_gpu.components[gradients].bytes")->as_int() > 0);
}

TEST_CASE("bad requests are refused with the field's JSON pointer") {
  struct Row { const char* name; std::string request; const char* code; const char* path; };
  const Row rows[] = {
      {"negative batch", R"({"task":"train",)" + kModel + "," + kGpu + R"(,"micro_batch_size":-3})", "out_of_range", "/micro_batch_size"},
      {"fractional batch", R"({"task":"train",)" + kModel + "," + kGpu + R"(,"micro_batch_size":1.5})", "invalid_type", "/micro_batch_size"},
      {"unknown optimizer", R"({"task":"train",)" + kModel + "," + kGpu + R"(,"optimizer":"adamx"})", "invalid_value", "/optimizer"},
      {"bad lora rank", R"({"task":"train",)" + kModel + "," + kGpu + R"(,"method":"lora","lora":{"r":0}})", "out_of_range", "/lora/r"},
      {"unknown task", R"({"task":"fly",)" + kModel + "}", "invalid_value", "/task"},
      {"no model", R"({"task":"infer"})", "missing_key", "/model"},
      {"unknown preset", R"({"task":"infer","model":"no-such/model"})", "unknown_model", "/model"},
      {"unknown gpu", R"({"task":"infer",)" + kModel + R"(,"gpu":"h1000"})", "unknown_gpu", "/gpu"},
      {"gpu without memory", R"({"task":"infer",)" + kModel + R"(,"gpu":{"name":"x"}})", "missing_key", "/gpu/memory_bytes"},
      {"heads not divisible", R"({"task":"infer","model":{"num_hidden_layers":2,"hidden_size":64,"num_attention_heads":8,"num_key_value_heads":3,"vocab_size":10,"intermediate_size":128}})", "inconsistent_config", "/model/num_key_value_heads"},
      {"absurd layers", R"({"task":"infer","model":{"num_hidden_layers":1e300,"hidden_size":64,"num_attention_heads":8,"vocab_size":10}})", "out_of_range", "/model/num_hidden_layers"},
      {"missing hidden size", R"({"task":"infer","model":{"num_hidden_layers":2,"num_attention_heads":8,"vocab_size":10}})", "missing_key", "/model/hidden_size"},
      {"tp not dividing heads", R"({"task":"infer",)" + kModel + "," + kGpu + R"(,"tensor_parallel_size":3,"num_gpus":3})", "inconsistent_request", "/tensor_parallel_size"},
      {"not json", "{task:", "invalid_json", ""},
      {"not an object", "[1,2]", "invalid_type", ""},
      {"too deep", std::string(100, '[') + std::string(100, ']'), "invalid_json", ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto r = run(row.request);
    REQUIRE(at(r, "ok"));
    CHECK_FALSE(at(r, "ok")->as_bool());
    CHECK(at(r, "error.code")->as_string() == row.code);
    CHECK(at(r, "error.path")->as_string() == row.path);
    CHECK_FALSE(at(r, "error.message")->as_string().empty());
  }
}

TEST_CASE("error messages list the allowed values and suggest the nearest") {
  auto r = run(R"({"task":"train",)" + kModel + "," + kGpu + R"(,"optimizer":"adamw8bit"})");
  const std::string msg = at(r, "error.message")->as_string();
  CHECK(msg.find("\"sgd-momentum\"") != std::string::npos);
  CHECK(msg.find("did you mean \"adamw-8bit\"") != std::string::npos);
}

TEST_CASE("unknown keys are warnings with a did-you-mean, never errors") {
  auto r = run(R"({"task":"train",)" + kModel + "," + kGpu + R"(,"micro_batch_sise":4,"deepspeed_extra":{"a":1}})");
  REQUIRE(at(r, "ok")->as_bool());
  // The two unknown keys, in request order (other warnings, e.g. about headroom, may follow).
  std::vector<llmsizer::Value> w;
  for (const auto& x : at(r, "warnings")->items())
    if (x.as_string().rfind("unknown key", 0) == 0) w.push_back(x);
  REQUIRE(w.size() == 2);
  CHECK(w[0].as_string().find("/micro_batch_sise") != std::string::npos);
  CHECK(w[0].as_string().find("did you mean \"micro_batch_size\"") != std::string::npos);
  CHECK(w[1].as_string().find("/deepspeed_extra") != std::string::npos);
}

TEST_CASE("no NaN, Inf or negative bytes for absurd-but-valid inputs") {
  const std::string huge = R"({"task":"train",)" + kModel + "," + kGpu + R"(,"micro_batch_size":65536,"seq_len":16777216})";
  auto r = run(huge);
  REQUIRE(at(r, "ok")->as_bool());
  for (const auto& c : at(r, "per_gpu.components")->items()) {
    CAPTURE(c.find("id")->as_string());
    CHECK(c.find("bytes")->is_integer());
    CHECK(c.find("bytes")->as_int() >= 0);
  }
}

TEST_CASE("numbers are written as printf's %.6g on every platform") {
  // Natively the writer uses std::to_chars (general, 6), under Emscripten snprintf: both must
  // give C's "%.6g" text, ties and exponent boundaries included, or goldens would differ.
  std::vector<double> xs = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-5, 1e-4, 0.0001234565, 123456.0, 999999.0, 999999.5,
                            1e6, 1234567.0, 9999995.0, 2.5e-7, 1.5, 2.5, 1234565.0, 0.1 + 0.2, 1e300, -1e-300,
                            4.9406564584124654e-324, 1.7976931348623157e308, 16381500000.0, 0.012345649999};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) xs.push_back(std::ldexp(static_cast<double>(rng() % 10000000), static_cast<int>(rng() % 80) - 40));
  for (int i = 0; i < 20000; ++i) xs.push_back(static_cast<double>(rng() % 4000000) * 0.5);
  size_t differ = 0;
  std::string first;
  for (double x : xs) {
    char want[64];
    std::snprintf(want, sizeof want, "%.6g", x);
    const std::string got = llmsizer::to_json(llmsizer::Value(x));
    if (got != want && differ++ == 0) first = got + " instead of " + want;
  }
  CHECK_MESSAGE(differ == 0, first);
  CHECK(xs.size() > 40000);
}
