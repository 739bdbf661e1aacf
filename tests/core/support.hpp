// Test helpers: run a request through the real JSON API and read the answer back.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "llmsizer/accuracy.hpp"
#include "llmsizer/api.hpp"
#include "llmsizer/json_io.hpp"
#include "llmsizer/value.hpp"

namespace testing {

inline llmsizer::Value run(const std::string& request) {
  auto r = llmsizer::parse_json(llmsizer::estimate_json(request));
  return r ? r.value() : llmsizer::Value();
}

// Follows a dotted path with [id] selectors: "per_gpu.components[weights].bytes".
inline const llmsizer::Value* at(const llmsizer::Value& v, const std::string& path) {
  return llmsizer::metric_at(v, path);
}

inline std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(LLMSIZER_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace testing
