// Speed: throughput, latency, training time and cost (shared formulas.md §7,
// calibration/NOTES-throughput.md). Filled in after the memory estimate, from the same request.
#pragma once

#include <vector>

#include "llmsizer/estimate.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer {

// Adds the `performance` block of `e` (and any speed warnings) for the request's task.
// `request` is the whole request object, already validated by the memory estimator.
void add_performance(const Common& c, const Value& request, Estimate& e);

}  // namespace llmsizer
