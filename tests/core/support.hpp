// Test helpers: run a request through the real JSON API and read the answer back.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <initializer_list>
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

// One metric's thresholds in an accuracy suite; a bound above 1 means "not asserted" (the
// target is not reached and the suite's header comment says why; never a loosened bound).
struct Threshold {
  std::string metric;
  double median, p90;
};

inline void check_thresholds(const llmsizer::SuiteSummary& s, std::initializer_list<Threshold> rows) {
  for (const auto& row : rows) {
    CAPTURE(row.metric);
    const llmsizer::Value* m = s.by_metric.find(row.metric);
    REQUIRE_MESSAGE(m, "no case measures " << row.metric);
    const double median = m->find("median_error")->as_double(), p90 = m->find("p90_error")->as_double();
    CAPTURE(median);
    CAPTURE(p90);
    CHECK(m->find("answered")->as_int() > 0);
    if (row.median <= 1) CHECK(median <= row.median);
    if (row.p90 <= 1) CHECK(p90 <= row.p90);
  }
}

// Whether any of the answer's warnings contains `needle`.
inline bool has_warning(const llmsizer::Value& v, const std::string& needle) {
  if (const llmsizer::Value* w = at(v, "warnings"))
    for (const auto& x : w->items())
      if (x.is_string() && x.as_string().find(needle) != std::string::npos) return true;
  return false;
}

inline std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(LLMSIZER_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace testing
