// A small JSON value tree. The core reads requests and writes responses through it, so that
// only json_io.cpp depends on a JSON library (STYLE.md §6). Objects keep insertion order: the
// response text is therefore deterministic, natively and in wasm.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmsizer {

class Value {
 public:
  enum class Kind { null, boolean, integer, number, string, array, object };
  using Member = std::pair<std::string, Value>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : kind_(Kind::boolean), b_(b) {}
  Value(int i) : kind_(Kind::integer), i_(i) {}
  Value(int64_t i) : kind_(Kind::integer), i_(i) {}
  Value(double d) : kind_(Kind::number), d_(d) {}
  Value(const char* s) : kind_(Kind::string), s_(s) {}
  Value(std::string s) : kind_(Kind::string), s_(std::move(s)) {}
  Value(std::string_view s) : kind_(Kind::string), s_(s) {}

  static Value array() { Value v; v.kind_ = Kind::array; return v; }
  static Value object() { Value v; v.kind_ = Kind::object; return v; }
  static Value object(std::initializer_list<Member> members);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::null; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_number() const { return kind_ == Kind::integer || kind_ == Kind::number; }
  bool is_integer() const { return kind_ == Kind::integer; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_array() const { return kind_ == Kind::array; }
  bool is_object() const { return kind_ == Kind::object; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::integer ? i_ : static_cast<int64_t>(d_); }
  double as_double() const { return kind_ == Kind::integer ? static_cast<double>(i_) : d_; }
  const std::string& as_string() const { return s_; }
  const std::vector<Value>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }

  // Object access: nullptr when absent (or when this is not an object).
  const Value* find(std::string_view key) const;
  // Object building: appends (or replaces) a member and returns it.
  Value& set(std::string_view key, Value v);
  // Appends without looking for an existing key (the parser: O(1) per member). With duplicate
  // keys find() returns the last one, as JavaScript's JSON.parse does.
  void append(std::string key, Value v);
  // Array building.
  Value& push(Value v);

  // A human name for the kind, for error messages ("a number", "an object" …).
  static const char* kind_name(Kind k);

 private:
  Kind kind_ = Kind::null;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

}  // namespace llmsizer
