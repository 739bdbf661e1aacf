// The one JSON mapping (STYLE.md §6): text <-> Value. Only json_io.cpp includes nlohmann/json.
#pragma once

#include <string>
#include <string_view>

#include "llmsizer/result.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer {

// Parses JSON text; a syntax error becomes Error{"invalid_json", "", "… at byte N"}.
// Nesting deeper than kMaxJsonDepth is refused (hostile input must not exhaust the stack).
Result<Value> parse_json(std::string_view text);
// Compact JSON text; doubles are written with at most 6 significant digits so that the
// same response is byte-identical natively and in wasm (libm may differ in the last ulp).
std::string to_json(const Value& v, int indent = -1);

inline constexpr int kMaxJsonDepth = 64;
inline constexpr size_t kMaxJsonBytes = 4 << 20;

}  // namespace llmsizer
