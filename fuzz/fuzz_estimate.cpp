// Harness (a): arbitrary bytes as a whole request through the public API — the request parser,
// validation, model and GPU resolution, both estimators, the recommendation sweep (estimate_json
// hands task "recommend" to it) and the response writer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "llmsizer/api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view request(reinterpret_cast<const char*>(data), size);
  fuzzcheck::check_answer(request, llmsizer::estimate_json(request));
  return 0;
}
