// The bundled catalogs load through the real parsers, with sane units and sources.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "llmsizer/catalog.hpp"
#include "support.hpp"

using namespace llmsizer;

TEST_CASE("every GPU record and model preset loads") {
  const Catalog& c = catalog();
  for (const auto& e : c.errors) MESSAGE(e);
  CHECK(c.errors.empty());
  CHECK(c.gpus.size() >= 40);
  CHECK(c.models.size() >= 50);
}

TEST_CASE("GPU records: units, ranges, dense figures and sources") {
  std::set<std::string> ids;
  for (size_t i = 0; i < catalog().gpus.size(); ++i) {
    const GpuSpec& g = catalog().gpus[i];
    const Value& rec = catalog().gpu_records[i];
    CAPTURE(g.id);
    CHECK(ids.insert(g.id).second);
    CHECK(g.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
    CHECK(g.memory_bytes >= 8e9);    // bytes, not GB or MiB
    CHECK(g.memory_bytes <= 6e11);
    if (g.memory_bandwidth_bytes_per_s > 0) {
      CHECK(g.memory_bandwidth_bytes_per_s >= 1e11);  // bytes/s, not GB/s
      CHECK(g.memory_bandwidth_bytes_per_s <= 1e13);
    }
    // Dense, never 2:4-sparse: no accelerator here exceeds 3 PFLOP/s dense bf16.
    CHECK(g.dense_bf16_flops < 3e15);
    if (g.dense_bf16_flops > 0) CHECK(g.dense_bf16_flops > 1e12);  // FLOP/s, not TFLOPS
    // fp8 runs at most twice the 16-bit rate (datasheet rounding: L40S 733 vs 2 × 362.05).
    CHECK(g.dense_fp8_flops <= 2.05 * std::max(g.dense_bf16_flops, g.dense_fp16_flops) + 1);
    CHECK(g.dense_fp4_flops <= 2.05 * g.dense_fp8_flops + 1);
    const Value* sources = rec.find("sources");
    REQUIRE(sources);
    CHECK(sources->is_array());
    CHECK_FALSE(sources->items().empty());
  }
}

TEST_CASE("the memory figure is what the driver reports, not the marketing number") {
  const GpuSpec* h100 = find_gpu("h100-sxm-80gb");
  REQUIRE(h100);
  CHECK(h100->memory_bytes == 81559LL * 1024 * 1024);  // nvidia-smi "81559MiB"
  const GpuSpec* rtx4090 = find_gpu("rtx-4090");
  REQUIRE(rtx4090);
  CHECK(rtx4090->memory_bytes > 24e9);  // not the 16 GB one calculator lists (anchors.md)
}

TEST_CASE("unknown GPU ids get the nearest catalog ids") {
  auto r = testing::run(R"({"task":"infer","model":"Qwen/Qwen2.5-7B","gpu":"h100"})");
  REQUIRE(testing::at(r, "error.code"));
  CHECK(testing::at(r, "error.code")->as_string() == "unknown_gpu");
  const std::string msg = testing::at(r, "error.message")->as_string();
  CHECK(msg.find("h100-sxm-80gb") != std::string::npos);
  auto near = nearest_gpu_ids("rtx4090", 3);
  REQUIRE_FALSE(near.empty());
  CHECK(near[0] == "rtx-4090");
}

TEST_CASE("model presets: ids, aliases and listing") {
  REQUIRE(find_model("meta-llama/Llama-3.1-8B"));
  CHECK(find_model("META-LLAMA/llama-3.1-8b"));  // case-insensitive
  CHECK(find_model("Llama-3.1-8B"));             // without the org
  auto r = testing::run(R"({"task":"infer","model":"llama-3.1-8x"})");
  CHECK(testing::at(r, "error.code")->as_string() == "unknown_model");
}
