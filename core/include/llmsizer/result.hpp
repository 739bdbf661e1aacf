// Errors are values (STYLE.md §5): a Result<T> holds either a T or an Error naming the JSON
// path of the offending input. No std::expected in this toolchain; simdjson_result is the model.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace llmsizer {

struct Error {
  std::string code;     // stable machine code: "invalid_value", "unknown_model", …
  std::string path;     // a JSON pointer into the request ("/lora/r"), "" for the whole request
  std::string message;  // for people: says what was wrong and what is allowed
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace llmsizer
