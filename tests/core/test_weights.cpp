// Weight bytes per storage format (formulas.md §2).
#include <doctest/doctest.h>

#include <cmath>

#include "llmsizer/catalog.hpp"
#include "llmsizer/json_io.hpp"
#include "llmsizer/weights.hpp"

using namespace llmsizer;

namespace {
ModelSpec llama3_8b() {
  auto v = parse_json(R"({"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,"num_attention_heads":32,
    "num_key_value_heads":8,"intermediate_size":14336,"vocab_size":128256,"tie_word_embeddings":false})");
  return import_model_config(*v, "/model").value();
}
constexpr double kGiB = 1024.0 * 1024 * 1024;
}  // namespace

TEST_CASE("GGUF file sizes of Llama-3-8B match llama.cpp's own table within 1%") {
  // examples/quantize/quantize.cpp "@ Llama-3-8B" (formulas.md §2.5): G = GiB.
  struct Row { const char* type; double gib; };
  const Row rows[] = {{"gguf-q4_0", 4.34}, {"gguf-q4_k_m", 4.58}, {"gguf-q5_k_m", 5.33}, {"gguf-q8_0", 7.96}};
  const ModelSpec m = llama3_8b();
  for (const auto& row : rows) {
    CAPTURE(row.type);
    WeightFormat f;
    REQUIRE(parse_weight_format(row.type, f));
    const double got = weight_bytes(m, f, 2, 1, 1).total / kGiB;
    CAPTURE(got);
    CHECK(std::fabs(got - row.gib) / row.gib <= 0.01);
  }
}

TEST_CASE("bits per weight of quantized linear layers follow the storage layouts") {
  // One 4096x4096 linear: bnb NF4 blocksize 64 (+ double quant 256), GPTQ/AWQ g128 int4
  // (fp16 scale + packed zero per group; GPTQ adds an int32 g_idx per input row).
  const Tensor t{Role::attn_q, 4096, 4096, 1, 0, 1, false};
  struct Row { const char* fmt; double bpw; };
  const Row rows[] = {
      {"bnb-nf4", 4.5},
      {"bnb-nf4-dq", 4.0 + 8.0 / 64 + 32.0 / (64 * 256)},  // 4.127 (QLoRA §3)
      {"bnb-int8", 8.0 + 32.0 / 4096},
      {"gptq-int4", 4.0 + 16.0 / 128 + 4.0 / 128 + 32.0 / 4096},
      {"awq-int4", 4.0 + 16.0 / 128 + 4.0 / 128},
      {"gptq-int8", 8.0 + 16.0 / 128 + 8.0 / 128 + 32.0 / 4096},
      {"nvfp4", 4.0 + 8.0 / 16},   // E2M1 + an E4M3 scale per 16 elements
      {"int4", 4.0 + 32.0 / 128},  // torchao int4_weight_only: bf16 scale + zero per 128
  };
  for (const auto& row : rows) {
    CAPTURE(row.fmt);
    WeightFormat f;
    REQUIRE(parse_weight_format(row.fmt, f));
    const double bpw = tensor_bytes(t, f, 2, 1) * 8 / (4096.0 * 4096.0);
    CHECK(bpw == doctest::Approx(row.bpw).epsilon(1e-9));
  }
}

TEST_CASE("4-bit formats leave embeddings, LM head and norms in 16 bits") {
  const ModelSpec m = llama3_8b();
  WeightFormat f;
  REQUIRE(parse_weight_format("bnb-nf4-dq", f));
  const WeightBytes w = weight_bytes(m, f, 2, 1, 1);
  // 2 · 128256 · 4096 (embed + lm_head) + norms (65 · 4096) in bf16.
  CHECK(w.unquantized == doctest::Approx(2.0 * (2 * 128256.0 * 4096 + 65 * 4096)));
  // formulas.md §2.3 example: ≈ 5.70 GB for Llama-3-8B NF4 + DQ.
  CHECK(w.total / 1e9 == doctest::Approx(5.70).epsilon(0.01));
}

TEST_CASE("tensor parallel shards linear layers and replicates norms") {
  const ModelSpec m = llama3_8b();
  WeightFormat f;
  REQUIRE(parse_weight_format("none", f));
  const double one = weight_bytes(m, f, 2, 1, 1).per_gpu;
  const double two = weight_bytes(m, f, 2, 2, 1).per_gpu;
  const double norms = 2.0 * 65 * 4096;
  CHECK(two == doctest::Approx((one - norms) / 2 + norms));
}

TEST_CASE("unknown quantization names are refused") {
  WeightFormat f;
  CHECK_FALSE(parse_weight_format("gptq-int9", f));
  CHECK_FALSE(parse_weight_format("gguf-q4_k_x", f));
  CHECK_FALSE(parse_weight_format("bnb-nf4-xx", f));
}

TEST_CASE("the ecosystem's names for a layout resolve to it (any case)") {
  const ModelSpec m = llama3_8b();
  const std::pair<const char*, const char*> aliases[] = {
      {"W4A16", "gptq-int4"},    {"awq", "awq-int4"},     {"gptq", "gptq-int4"},       {"w8a8-int8", "int8"},
      {"SmoothQuant", "int8"},   {"fp8-dynamic", "fp8"},  {"FP8-block", "fp8"},        {"nf4", "bnb-nf4"},
      {"LLM.int8", "bnb-int8"},  {"gguf-q4_k", "gguf-q4_k_m"}, {"GGUF-Q5_K", "gguf-q5_k_m"}, {"bf16", "none"},
  };
  for (const auto& names : aliases) {
    const char* alias = names.first;  // not a structured binding: CAPTURE's lambda cannot take one (clang 14)
    const char* canonical = names.second;
    CAPTURE(alias);
    WeightFormat a, c;
    REQUIRE(parse_weight_format(alias, a));
    REQUIRE(parse_weight_format(canonical, c));
    CHECK(a.name == canonical);
    CHECK(weight_bytes(m, a, 2, 1, 1).total == weight_bytes(m, c, 2, 1, 1).total);
  }
  WeightFormat f;
  CHECK_FALSE(parse_weight_format("compressed-tensors", f));  // a container, not a layout
}
