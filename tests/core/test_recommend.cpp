// Recommendations: what fits, under the targets, ranked by the objective.
#include <doctest/doctest.h>

#include <string>

#include "llmsizer/api.hpp"
#include "llmsizer/catalog.hpp"
#include "support.hpp"

using testing::at;

namespace {
llmsizer::Value recommend(const std::string& request) {
  auto r = llmsizer::parse_json(llmsizer::recommend_json(request));
  return r ? r.value() : llmsizer::Value();
}
}  // namespace

TEST_CASE("a job that fits one 24 GB card recommends no 8×H100") {
  auto r = recommend(R"({"task":"recommend","job":"infer","model":"Qwen/Qwen2.5-0.5B","backend":"transformers","batch_size":1,"input_len":1024,"output_len":256})");
  REQUIRE(at(r, "ok")->as_bool());
  const auto& opts = at(r, "options")->items();
  REQUIRE_FALSE(opts.empty());
  for (const auto& o : opts) {
    CAPTURE(o.find("gpu")->as_string());
    CHECK(o.find("num_gpus")->as_int() == 1);
  }
}

TEST_CASE("a 405B job never recommends a layout that does not fit") {
  for (const char* job : {R"("job":"infer","backend":"vllm","max_model_len":8192)",
                          R"("job":"train","method":"lora","micro_batch_size":1,"seq_len":2048,"gradient_checkpointing":"full")"}) {
    CAPTURE(job);
    auto r = recommend(std::string(R"({"task":"recommend","model":"meta-llama/Llama-3.1-405B","max_num_gpus":64,)") + job + "}");
    REQUIRE(at(r, "ok")->as_bool());
    const auto& opts = at(r, "options")->items();
    REQUIRE_FALSE(opts.empty());
    for (const auto& o : opts) {
      CAPTURE(o.find("gpu")->as_string());
      CHECK(o.find("fits")->as_bool());
      CHECK(o.find("per_gpu_total_bytes")->as_int() <= o.find("gpu_memory_bytes")->as_int());
      CHECK(o.find("num_gpus")->as_int() > 1);
    }
  }
}

TEST_CASE("cheapest ranks priced options by price, unpriced after them") {
  auto r = recommend(R"({"task":"recommend","job":"infer","model":"meta-llama/Llama-3.1-70B","backend":"vllm","max_model_len":8192,"objective":"cheapest","max_options":50})");
  REQUIRE(at(r, "ok")->as_bool());
  double last = 0;
  bool seen_unpriced = false;
  for (const auto& o : at(r, "options")->items()) {
    CAPTURE(o.find("gpu")->as_string());
    const auto* p = o.find("usd_per_hour");
    if (p->is_null()) { seen_unpriced = true; continue; }
    CHECK_FALSE(seen_unpriced);
    CHECK(p->as_double() >= last);
    last = p->as_double();
  }
}

TEST_CASE("the China market excludes GPUs that cannot be sold there") {
  auto r = recommend(R"({"task":"recommend","job":"infer","model":"meta-llama/Llama-3.1-8B","market":"china","max_options":200})");
  REQUIRE(at(r, "ok")->as_bool());
  for (const auto& o : at(r, "options")->items()) {
    const auto* g = llmsizer::find_gpu(o.find("gpu")->as_string());
    REQUIRE(g);
    CAPTURE(g->id);
    CHECK(g->china_market != 0);
  }
}

TEST_CASE("candidates, budgets and bad input") {
  auto r = recommend(R"({"task":"recommend","job":"infer","model":"meta-llama/Llama-3.1-8B","candidates":["rtx-4090","l40s"]})");
  REQUIRE(at(r, "ok")->as_bool());
  for (const auto& o : at(r, "options")->items()) {
    const std::string g = o.find("gpu")->as_string();
    CHECK((g == "rtx-4090" || g == "l40s"));
  }
  struct Row { const char* request; const char* code; const char* path; };
  const Row rows[] = {
      {R"({"task":"recommend","model":"meta-llama/Llama-3.1-8B","candidates":["rtx-9999"]})", "unknown_gpu", "/candidates/0"},
      {R"({"task":"recommend","model":"meta-llama/Llama-3.1-8B","objective":"cheap"})", "invalid_value", "/objective"},
      {R"({"task":"recommend","model":"meta-llama/Llama-3.1-8B","job":"train","micro_batch_size":0})", "out_of_range", "/micro_batch_size"},
      {R"({"task":"recommend","job":"infer"})", "missing_key", "/model"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.request);
    auto e = recommend(row.request);
    CHECK(at(e, "error.code")->as_string() == row.code);
    CHECK(at(e, "error.path")->as_string() == row.path);
  }
}

TEST_CASE("estimate_json routes task recommend to the recommender") {
  auto r = testing::run(R"({"task":"recommend","job":"infer","model":"meta-llama/Llama-3.1-8B","candidates":["l40s"]})");
  REQUIRE(at(r, "ok")->as_bool());
  CHECK(at(r, "task")->as_string() == "recommend");
}
