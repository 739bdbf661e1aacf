// JSON text <-> Value. Parsing goes through nlohmann's SAX interface straight into Value (no
// intermediate DOM, no exceptions: syntax errors arrive as a callback with their byte
// position), so the same code runs in the wasm build compiled without exception support.
// Writing is our own: ordered keys, integers exact, doubles rounded to 6 significant digits,
// strings escaped and any invalid UTF-8 replaced by U+FFFD, so the output is always valid JSON.
#include "llmsizer/json_io.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

namespace llmsizer {
namespace {

using json = nlohmann::json;

class ValueSax {
 public:
  bool null() { return put(Value()); }
  bool boolean(bool b) { return put(Value(b)); }
  bool number_integer(json::number_integer_t i) { return put(Value(static_cast<int64_t>(i))); }
  bool number_unsigned(json::number_unsigned_t u) {
    return put(u > static_cast<uint64_t>(INT64_MAX) ? Value(static_cast<double>(u)) : Value(static_cast<int64_t>(u)));
  }
  bool number_float(json::number_float_t d, const json::string_t&) { return put(Value(static_cast<double>(d))); }
  bool string(json::string_t& s) { return put(Value(std::move(s))); }
  bool binary(json::binary_t&) { return put(Value()); }
  bool start_object(std::size_t) { return open(Value::object()); }
  bool key(json::string_t& k) {
    key_ = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(Value::array()); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& ex) {
    if (!too_deep_)
      error_ = "the request is not valid JSON at byte " + std::to_string(position) +
               (last_token.empty() ? "" : " (near '" + last_token.substr(0, 32) + "')") + ": " + ex.what();
    return false;
  }

  bool too_deep() const { return too_deep_; }
  const std::string& error() const { return error_; }
  Value take() { return std::move(root_); }

 private:
  // Containers under construction; each entry remembers the key it will be stored under.
  struct Frame {
    Value v;
    std::string key;
  };

  bool put(Value v) {
    if (stack_.empty()) {
      root_ = std::move(v);
    } else if (stack_.back().v.is_object()) {
      stack_.back().v.append(std::move(key_), std::move(v));
    } else {
      stack_.back().v.push(std::move(v));
    }
    return true;
  }
  bool open(Value container) {
    if (stack_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      too_deep_ = true;
      return false;
    }
    stack_.push_back(Frame{std::move(container), key_});
    return true;
  }
  bool close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    key_ = std::move(f.key);
    return put(std::move(f.v));
  }

  std::vector<Frame> stack_;
  std::string key_;
  Value root_;
  std::string error_;
  bool too_deep_ = false;
};

// Rounds to 6 significant digits through decimal text: the same bits on every platform.
void write_number(std::string& out, double d) {
  if (!std::isfinite(d)) {  // never NaN/Inf in output
    out += "null";
    return;
  }
  char buf[32];
#if defined(__EMSCRIPTEN__)
  // Emscripten 3.1.6's libc++ has no floating-point std::to_chars.
  const int n = std::snprintf(buf, sizeof buf, "%.6g", d);
  out.append(buf, static_cast<size_t>(n));
#else
  // Specified to give exactly printf's "%.6g" text (C locale), without printf's machinery: a
  // fifth of a native estimate went to snprintf (docs/performance.md).
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::general, 6);
  out.append(buf, r.ptr);
#endif
}

void write_string(std::string& out, const std::string& s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    // Runs of plain printable ASCII are copied in one append.
    size_t run = i;
    while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') ++run;
    if (run > i) {
      out.append(s, i, run - i);
      i = run;
      continue;
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", c);
            out += esc;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence is copied; anything else becomes U+FFFD.
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (ok && len == 3) ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
    if (ok && len == 4) ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90);
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += '"';
}

void write(std::string& out, const Value& v, int indent, int level) {
  auto newline = [&](int lv) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * lv), ' ');
  };
  switch (v.kind()) {
    case Value::Kind::null: out += "null"; break;
    case Value::Kind::boolean: out += v.as_bool() ? "true" : "false"; break;
    case Value::Kind::integer: {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out.append(buf, r.ptr);
      break;
    }
    case Value::Kind::number: write_number(out, v.as_double()); break;
    case Value::Kind::string: write_string(out, v.as_string()); break;
    case Value::Kind::array: {
      out += '[';
      bool first = true;
      for (const auto& x : v.items()) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        write(out, x, indent, level + 1);
      }
      if (!v.items().empty()) newline(level);
      out += ']';
      break;
    }
    case Value::Kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, x] : v.members()) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        write_string(out, k);
        out += indent < 0 ? ":" : ": ";
        write(out, x, indent, level + 1);
      }
      if (!v.members().empty()) newline(level);
      out += '}';
      break;
    }
  }
}

}  // namespace

Result<Value> parse_json(std::string_view text) {
  if (text.size() > kMaxJsonBytes) return Error{"request_too_large", "", "the request is larger than 4 MiB"};
  ValueSax sax;
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json, /*strict=*/true);
  if (sax.too_deep()) return Error{"invalid_json", "", "the request nests deeper than 64 levels"};
  if (!ok) return Error{"invalid_json", "", sax.error().empty() ? "the request is not valid JSON" : sax.error()};
  return sax.take();
}

std::string to_json(const Value& v, int indent) {
  std::string out;
  out.reserve(4096);
  write(out, v, indent, 0);
  return out;
}

}  // namespace llmsizer
