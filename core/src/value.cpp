#include "llmsizer/value.hpp"

namespace llmsizer {

Value Value::object(std::initializer_list<Member> members) {
  Value v = object();
  v.members_.reserve(members.size());
  for (const auto& m : members) v.members_.push_back(m);
  return v;
}

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::object) return nullptr;
  for (auto it = members_.rbegin(); it != members_.rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

void Value::append(std::string key, Value v) { members_.emplace_back(std::move(key), std::move(v)); }

Value& Value::set(std::string_view key, Value v) {
  for (auto& [k, existing] : members_)
    if (k == key) return existing = std::move(v);
  if (members_.empty()) members_.reserve(8);  // objects built by set() hold a handful or more
  members_.emplace_back(std::string(key), std::move(v));
  return members_.back().second;
}

Value& Value::push(Value v) {
  items_.push_back(std::move(v));
  return items_.back();
}

const char* Value::kind_name(Kind k) {
  switch (k) {
    case Kind::null: return "null";
    case Kind::boolean: return "a boolean";
    case Kind::integer: return "an integer";
    case Kind::number: return "a number";
    case Kind::string: return "a string";
    case Kind::array: return "an array";
    case Kind::object: return "an object";
  }
  return "?";
}

}  // namespace llmsizer
