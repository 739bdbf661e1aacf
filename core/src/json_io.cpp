#include "llmsizer/json_io.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace llmsizer {
namespace {

using json = nlohmann::ordered_json;

Value from_nlohmann(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return Value();
    case json::value_t::boolean: return Value(j.get<bool>());
    case json::value_t::number_integer: return Value(j.get<int64_t>());
    case json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      return u > static_cast<uint64_t>(INT64_MAX) ? Value(static_cast<double>(u)) : Value(static_cast<int64_t>(u));
    }
    case json::value_t::number_float: return Value(j.get<double>());
    case json::value_t::string: return Value(j.get<std::string>());
    case json::value_t::array: {
      Value v = Value::array();
      for (const auto& x : j) v.push(from_nlohmann(x));
      return v;
    }
    case json::value_t::object: {
      Value v = Value::object();
      for (auto it = j.begin(); it != j.end(); ++it) v.set(it.key(), from_nlohmann(it.value()));
      return v;
    }
    default: return Value();
  }
}

// Rounds to 6 significant digits through decimal text: the same bits on every platform.
double round6(double d) {
  if (!std::isfinite(d) || d == 0) return std::isfinite(d) ? d : 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  return std::strtod(buf, nullptr);
}

json to_nlohmann(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::null: return nullptr;
    case Value::Kind::boolean: return v.as_bool();
    case Value::Kind::integer: return v.as_int();
    case Value::Kind::number: {
      const double d = v.as_double();
      if (!std::isfinite(d)) return nullptr;  // never NaN/Inf in output
      return round6(d);
    }
    case Value::Kind::string: return v.as_string();
    case Value::Kind::array: {
      json a = json::array();
      for (const auto& x : v.items()) a.push_back(to_nlohmann(x));
      return a;
    }
    case Value::Kind::object: {
      json o = json::object();
      for (const auto& [k, x] : v.members()) o[k] = to_nlohmann(x);
      return o;
    }
  }
  return nullptr;
}

}  // namespace

Result<Value> parse_json(std::string_view text) {
  if (text.size() > kMaxJsonBytes)
    return Error{"request_too_large", "", "the request is larger than 4 MiB"};
  int depth = 0, max_depth = 0;
  bool too_deep = false;
  json::parser_callback_t cb = [&](int d, json::parse_event_t e, json&) {
    if (e == json::parse_event_t::object_start || e == json::parse_event_t::array_start) {
      depth = d + 1;
      if (depth > max_depth) max_depth = depth;
      if (depth > kMaxJsonDepth) too_deep = true;
    }
    return !too_deep;
  };
  try {
    json j = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true);
    if (too_deep) return Error{"invalid_json", "", "the request nests deeper than 64 levels"};
    return from_nlohmann(j);
  } catch (const json::parse_error& e) {
    if (too_deep) return Error{"invalid_json", "", "the request nests deeper than 64 levels"};
    return Error{"invalid_json", "", std::string("the request is not valid JSON: ") + e.what()};
  } catch (const std::exception& e) {
    return Error{"invalid_json", "", std::string("the request could not be read: ") + e.what()};
  }
}

std::string to_json(const Value& v, int indent) {
  return to_nlohmann(v).dump(indent, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

}  // namespace llmsizer
