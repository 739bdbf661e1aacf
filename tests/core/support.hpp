// Test helpers: run a request through the real JSON API and read the answer back.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

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
  const llmsizer::Value* cur = &v;
  size_t i = 0;
  while (cur && i < path.size()) {
    size_t j = path.find_first_of(".[", i);
    const std::string key = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (!key.empty()) cur = cur->find(key);
    if (j == std::string::npos) break;
    if (path[j] == '[') {
      const size_t k = path.find(']', j);
      const std::string id = path.substr(j + 1, k - j - 1);
      const llmsizer::Value* found = nullptr;
      if (cur && cur->is_array())
        for (const auto& x : cur->items())
          if (const auto* xid = x.find("id"); xid && xid->is_string() && xid->as_string() == id) found = &x;
      cur = found;
      i = k + 1;
      if (i < path.size() && path[i] == '.') ++i;
    } else {
      i = j + 1;
    }
  }
  return cur;
}

inline std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(LLMSIZER_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace testing
