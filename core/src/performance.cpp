// Speed model: see docs/model/speed.md.
#include "llmsizer/performance.hpp"

namespace llmsizer {

void add_performance(const Common&, const Value&, Estimate&) {}

}  // namespace llmsizer
