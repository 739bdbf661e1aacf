// Reads the members of one JSON object with their JSON-pointer paths. Each getter checks type,
// range or allowed values; the first failure is kept (later getters return their defaults) and
// reported by error(). Keys never read are named in warnings by unknown_keys(), with a
// did-you-mean when one looks like a typo of a key that was read.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llmsizer/result.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer {

class Fields {
 public:
  // `object` must outlive the reader, and so must every key passed to a getter (string literals,
  // static tables or the object's own keys: the reader keeps views of the keys it was asked for,
  // for did-you-mean). `path` is the pointer of the object itself ("" at the root).
  Fields(const Value& object, std::string path);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const;

  bool has(std::string_view key) const;  // present and not null
  const Value* raw(std::string_view key);  // marks the key as known

  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  std::optional<int64_t> optional_integer(std::string_view key, int64_t min, int64_t max);
  double number(std::string_view key, double fallback, double min, double max);
  std::optional<double> optional_number(std::string_view key, double min, double max);
  bool boolean(std::string_view key, bool fallback);
  std::string choice(std::string_view key, std::string_view fallback,
                     std::span<const std::string_view> allowed);
  // choice() of the value as `canonical` maps it (aliases, spelling variants: "bfloat16" → "bf16",
  // "trt-llm" → "tensorrt-llm"); a value that still matches nothing fails quoting it as written.
  std::string choice(std::string_view key, std::string_view fallback, std::span<const std::string_view> allowed,
                     std::string (*canonical)(std::string_view));
  std::string text(std::string_view key, std::string_view fallback);

  // Keys accepted without being read (framework extras the estimator does not use).
  void accept(std::initializer_list<std::string_view> keys);
  // Marks the members whose key is in `sorted_keys` (ascending) as known, in one pass over the
  // members; absent keys are not offered as did-you-mean suggestions.
  void accept_present(std::span<const std::string_view> sorted_keys);

  void fail(std::string_view key, std::string code, std::string message);
  bool failed() const { return error_.has_value(); }
  const std::optional<Error>& error() const { return error_; }

  // Adds one warning per key present in the object but never read or accepted.
  void unknown_keys(std::vector<std::string>& warnings) const;

 private:
  const Value& object_;
  std::string path_;
  std::vector<char> read_;             // per member of object_: read or accepted
  std::vector<std::string_view> absent_;  // keys asked for that the object does not hold (for did-you-mean)
  std::optional<Error> error_;
};

inline constexpr size_t kMaxUnknownKeyWarnings = 20;

// Levenshtein distance, for did-you-mean suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// ASCII lowercase (names, ids and enumerated values are ASCII).
std::string ascii_lower(std::string_view s);
// "a", "b" or "c" — for messages that list allowed values.
std::string join_quoted(std::span<const std::string_view> items);
// Escapes a JSON pointer token ("~" -> "~0", "/" -> "~1").
std::string pointer_token(std::string_view key);

}  // namespace llmsizer
