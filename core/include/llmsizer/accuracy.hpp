// The accuracy report: runs a file of measured {request, expect} cases (the format of
// shared/reference/calibration/cases-*.json) through the estimator and scores each figure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llmsizer/value.hpp"

namespace llmsizer {

struct CaseScore {
  std::string case_id;
  std::string metric;
  double expected = 0;       // the measured value (or the nearest range bound)
  double estimated = 0;
  double error = 0;          // |estimated - expected| / expected; 0 inside a range
  bool answered = false;     // the estimator produced the figure
  std::string problem;       // why not, when not answered
};

struct SuiteSummary {
  std::vector<CaseScore> scores;
  int cases = 0, skipped = 0, refused = 0;
  // Per metric (by its path with [id] selectors) and overall: count, median and p90 of |error|.
  Value by_metric = Value::object();
};

// Scores every case; `metric_prefix` keeps only metrics that start with it ("" = all).
SuiteSummary score_cases(std::string_view cases_json, std::string_view metric_prefix = "");
// Follows "per_gpu.components[weights].bytes"-style paths in a response.
const Value* metric_at(const Value& response, std::string_view path);
double percentile(std::vector<double> xs, double q);

}  // namespace llmsizer
