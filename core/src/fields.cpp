#include "llmsizer/fields.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace llmsizer {
namespace {

// As `std::ostream << double` prints it (%g, six significant digits), without pulling
// iostreams and locales into the wasm module.
std::string number_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace

Fields::Fields(const Value& object, std::string path) : object_(object), path_(std::move(path)) {
  if (object_.is_object()) read_.assign(object_.members().size(), 0);
}

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string Fields::path_of(std::string_view key) const { return path_ + "/" + pointer_token(key); }

bool Fields::has(std::string_view key) const {
  const Value* v = object_.find(key);
  return v && !v->is_null();
}

// Linear in the object's members: marks the member (the last of duplicates, as Value::find
// answers) instead of searching a list of the keys read so far, which made importing a
// config.json quadratic in its keys (docs/performance.md).
const Value* Fields::raw(std::string_view key) {
  if (object_.is_object()) {
    const auto& ms = object_.members();
    for (size_t i = ms.size(); i-- > 0;)
      if (ms[i].first == key) {
        read_[i] = 1;
        return &ms[i].second;
      }
  }
  absent_.emplace_back(key);  // duplicates are harmless (did-you-mean only), searching them is not
  return nullptr;
}

void Fields::accept(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) raw(k);
}

void Fields::accept_present(std::span<const std::string_view> sorted_keys) {
  if (!object_.is_object()) return;
  const auto& ms = object_.members();
  for (size_t i = 0; i < ms.size(); ++i)
    if (!read_[i] && std::binary_search(sorted_keys.begin(), sorted_keys.end(), std::string_view(ms[i].first))) read_[i] = 1;
}

void Fields::fail(std::string_view key, std::string code, std::string message) {
  if (!error_) error_ = Error{std::move(code), key.empty() ? path_ : path_of(key), std::move(message)};
}

std::optional<int64_t> Fields::optional_integer(std::string_view key, int64_t min, int64_t max) {
  const Value* v = raw(key);
  if (!v || v->is_null() || failed()) return std::nullopt;
  const std::string name(key);
  if (!v->is_number() || (v->kind() == Value::Kind::number &&
                          (!std::isfinite(v->as_double()) || v->as_double() != std::floor(v->as_double())))) {
    fail(key, "invalid_type", name + " must be a whole number, got " +
                                  (v->is_number() ? number_text(v->as_double()) : Value::kind_name(v->kind())));
    return std::nullopt;
  }
  const double d = v->as_double();
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    fail(key, "out_of_range", name + " must be between " + std::to_string(min) + " and " +
                                  std::to_string(max) + ", got " + number_text(d));
    return std::nullopt;
  }
  return v->as_int();
}

int64_t Fields::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  return optional_integer(key, min, max).value_or(fallback);
}

std::optional<double> Fields::optional_number(std::string_view key, double min, double max) {
  const Value* v = raw(key);
  if (!v || v->is_null() || failed()) return std::nullopt;
  const std::string name(key);
  if (!v->is_number() || !std::isfinite(v->as_double())) {
    fail(key, "invalid_type", name + " must be a number, got " + Value::kind_name(v->kind()));
    return std::nullopt;
  }
  const double d = v->as_double();
  if (d < min || d > max) {
    fail(key, "out_of_range",
         name + " must be between " + number_text(min) + " and " + number_text(max) + ", got " + number_text(d));
    return std::nullopt;
  }
  return d;
}

double Fields::number(std::string_view key, double fallback, double min, double max) {
  return optional_number(key, min, max).value_or(fallback);
}

bool Fields::boolean(std::string_view key, bool fallback) {
  const Value* v = raw(key);
  if (!v || v->is_null() || failed()) return fallback;
  if (!v->is_bool()) {
    fail(key, "invalid_type", std::string(key) + " must be true or false, got " + Value::kind_name(v->kind()));
    return fallback;
  }
  return v->as_bool();
}

std::string Fields::text(std::string_view key, std::string_view fallback) {
  const Value* v = raw(key);
  if (!v || v->is_null() || failed()) return std::string(fallback);
  if (!v->is_string()) {
    fail(key, "invalid_type", std::string(key) + " must be a string, got " + Value::kind_name(v->kind()));
    return std::string(fallback);
  }
  return v->as_string();
}

std::string Fields::choice(std::string_view key, std::string_view fallback,
                           std::span<const std::string_view> allowed) {
  const Value* v = raw(key);
  if (!v || v->is_null() || failed()) return std::string(fallback);
  if (!v->is_string()) {
    fail(key, "invalid_type",
         std::string(key) + " must be one of " + join_quoted(allowed) + ", got " + Value::kind_name(v->kind()));
    return std::string(fallback);
  }
  const std::string& s = v->as_string();
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
  // The same value in another case ("LoRA", "BF16", "full_and_piecewise") is that value.
  auto same_ignoring_case = [&](std::string_view a) {
    return a.size() == s.size() && std::equal(a.begin(), a.end(), s.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (auto a : allowed)
    if (same_ignoring_case(a)) return std::string(a);
  std::string hint;
  size_t best = 3;
  for (auto a : allowed) {
    const size_t dist = edit_distance(s, a);
    if (dist < best) { best = dist; hint = "; did you mean \"" + std::string(a) + "\"?"; }
  }
  fail(key, "invalid_value",
       std::string(key) + " \"" + s + "\" is not supported; allowed: " + join_quoted(allowed) + hint);
  return std::string(fallback);
}

std::string Fields::choice(std::string_view key, std::string_view fallback, std::span<const std::string_view> allowed,
                           std::string (*canonical)(std::string_view)) {
  const Value* v = raw(key);
  if (!v || !v->is_string() || failed()) return choice(key, fallback, allowed);
  const std::string want = ascii_lower(canonical(v->as_string()));
  for (auto a : allowed)
    if (ascii_lower(a) == want) return std::string(a);
  return choice(key, fallback, allowed);  // reports the value as written
}

void Fields::unknown_keys(std::vector<std::string>& warnings) const {
  if (!object_.is_object()) return;
  // At most kMaxUnknownKeyWarnings per object (a hostile request can carry thousands of keys;
  // each did-you-mean costs an edit distance against every known key).
  const auto& ms = object_.members();
  std::vector<std::string_view> known = absent_;
  for (size_t i = 0; i < ms.size(); ++i)
    if (read_[i]) known.push_back(ms[i].first);
  size_t unknown = 0;
  for (size_t i = 0; i < ms.size(); ++i) {
    const std::string& k = ms[i].first;
    if (read_[i] || std::find(known.begin(), known.end(), k) != known.end()) continue;  // a read key's duplicate
    if (++unknown > kMaxUnknownKeyWarnings) continue;
    std::string w = "unknown key " + path_of(k) + " was ignored";
    size_t best = 3;
    std::string_view guess;
    for (const auto kn : known) {
      const size_t dist = edit_distance(k, kn);
      if (dist < best && dist < k.size()) { best = dist; guess = kn; }
    }
    if (!guess.empty()) w += "; did you mean \"" + std::string(guess) + "\"?";
    warnings.push_back(std::move(w));
  }
  if (unknown > kMaxUnknownKeyWarnings)
    warnings.push_back("… and " + std::to_string(unknown - kMaxUnknownKeyWarnings) + " more unknown keys under " +
                       (path_.empty() ? std::string("the request") : path_) + " were ignored");
}

size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return a == b ? 0 : 64;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string join_quoted(std::span<const std::string_view> items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += i + 1 == items.size() ? " or " : ", ";
    out += '"';
    out += items[i];
    out += '"';
  }
  return out;
}

}  // namespace llmsizer
