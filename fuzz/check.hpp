// The invariants every answer must keep, whatever the request (docs/robustness.md):
//  - the text is one valid JSON object that starts with {"ok":
//  - an error answer has error.code, error.path and error.message, all strings;
//  - in an ok answer every member whose key names bytes ("bytes", "*_bytes", "bytes_*") is a
//    finite number >= 0 (never null: the core writes NaN and Inf as null), and so is every
//    number directly under per_gpu, range and kv_cache.
// A broken invariant prints the request and the answer and aborts: libFuzzer saves the input.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "llmsizer/json_io.hpp"
#include "llmsizer/value.hpp"

namespace fuzzcheck {

[[noreturn]] inline void fail(const char* what, std::string_view key, std::string_view request, const std::string& answer) {
  std::fprintf(stderr, "\n== invariant broken: %s (key \"%.*s\")\n== request (%zu bytes): %.*s\n== answer: %.2000s\n", what,
               static_cast<int>(key.size()), key.data(), request.size(), static_cast<int>(std::min<size_t>(request.size(), 2000)),
               request.data(), answer.c_str());
  std::abort();
}

inline bool names_bytes(std::string_view key) {
  return key == "bytes" || key.ends_with("_bytes") || key.starts_with("bytes_") || key.find("_bytes_") != std::string_view::npos;
}

// A value that must be a byte count: a finite number, not negative.
inline void check_bytes(const llmsizer::Value& v, std::string_view key, std::string_view request, const std::string& answer) {
  if (!v.is_number()) fail(v.is_null() ? "bytes field is null (NaN or Inf in the core)" : "bytes field is not a number", key, request, answer);
  if (!std::isfinite(v.as_double())) fail("bytes field is not finite", key, request, answer);
  if (v.as_double() < 0) fail("negative bytes", key, request, answer);
}

inline void walk(const llmsizer::Value& v, std::string_view request, const std::string& answer) {
  if (v.is_object()) {
    for (const auto& [k, x] : v.members()) {
      if (names_bytes(k) && !x.is_object() && !x.is_array()) check_bytes(x, k, request, answer);
      walk(x, request, answer);
    }
  } else if (v.is_array()) {
    for (const auto& x : v.items()) walk(x, request, answer);
  }
}

inline void check_answer(std::string_view request, const std::string& answer) {
  if (answer.rfind("{\"ok\":", 0) != 0) fail("answer does not start with {\"ok\":", "", request, answer);
  auto parsed = llmsizer::parse_json(answer);
  if (!parsed) fail("answer is not valid JSON", "", request, answer);
  const llmsizer::Value& r = *parsed;
  const llmsizer::Value* ok = r.find("ok");
  if (!ok || !ok->is_bool()) fail("ok is not a boolean", "ok", request, answer);
  if (!ok->as_bool()) {
    const llmsizer::Value* e = r.find("error");
    if (!e || !e->is_object()) fail("error answer without an error object", "error", request, answer);
    for (const char* k : {"code", "path", "message"}) {
      const llmsizer::Value* x = e->find(k);
      if (!x || !x->is_string()) fail("error member missing or not a string", k, request, answer);
    }
    return;
  }
  walk(r, request, answer);
  for (const char* block : {"per_gpu", "range", "kv_cache"}) {
    const llmsizer::Value* b = r.find(block);
    if (!b) continue;
    for (const auto& [k, x] : b->members())
      if (x.is_number() || x.is_null()) check_bytes(x, k, request, answer);
  }
}

}  // namespace fuzzcheck
