// Harness (b): the config importer. The input is the "model" member (a config.json object,
// or anything else) of three fixed requests — inference through vLLM's preallocating policy,
// inference through transformers (KV cache grows with the batch) and LoRA training — so every
// architecture the importer accepts is also pushed through weights, KV cache and activations.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "llmsizer/api.hpp"

namespace {
constexpr std::string_view kRequests[][2] = {
    {R"({"task":"infer","gpu":"h100-sxm-80gb","backend":"vllm","max_model_len":8192,"model":)", "}"},
    {R"({"task":"infer","gpu":"a10g","backend":"transformers","batch_size":4,"input_len":1024,"output_len":256,"quantization":"bnb-nf4","model":)", "}"},
    {R"({"task":"train","gpu":{"memory_bytes":25769803776},"method":"lora","lora":{"r":8,"target_modules":"all-linear"},"micro_batch_size":2,"seq_len":1024,"gradient_checkpointing":"full","model":)", "}"},
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view config(reinterpret_cast<const char*>(data), size);
  std::string request;
  for (const auto& [head, tail] : kRequests) {
    request.assign(head).append(config).append(tail);
    fuzzcheck::check_answer(request, llmsizer::estimate_json(request));
  }
  return 0;
}
