#include "llmsizer/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>

#include "llmsizer/fields.hpp"
#include "llmsizer/json_io.hpp"

namespace llmsizer {
namespace {


struct GpuEntry {
  GpuSpec spec;
  Value record;
};

std::optional<GpuEntry> load_gpu(size_t i, std::vector<std::string>* errors) {
  auto v = parse_json(data::kGpuFiles[i]);
  if (!v) {
    if (errors) errors->push_back("gpu file " + std::to_string(i) + ": " + v.error().message);
    return std::nullopt;
  }
  auto g = parse_gpu(*v, "", nullptr);
  if (!g) {
    if (errors) errors->push_back("gpu " + g.error().path + ": " + g.error().message);
    return std::nullopt;
  }
  return GpuEntry{std::move(g).value(), std::move(v).value()};
}

std::optional<ModelPreset> load_model(size_t i, std::vector<std::string>* errors) {
  auto v = parse_json(data::kModelFiles[i]);
  if (!v) {
    if (errors) errors->push_back("model file " + std::to_string(i) + ": " + v.error().message);
    return std::nullopt;
  }
  ModelPreset p;
  const Value& r = *v;
  auto str = [&](const char* k) { const Value* x = r.find(k); return x && x->is_string() ? x->as_string() : std::string(); };
  p.id = str("id");
  p.key = ascii_lower(p.id);
  p.name = str("name");
  p.family = str("family");
  if (const Value* a = r.find("aliases"); a && a->is_array())
    for (const auto& x : a->items())
      if (x.is_string()) p.aliases.push_back(ascii_lower(x.as_string()));
  if (const Value* st = r.find("params_stated"); st && st->is_number()) p.params_stated = st->as_double();
  const Value* cfg = r.find("config");
  if (!cfg) {
    if (errors) errors->push_back("model " + p.id + ": no config");
    return std::nullopt;
  }
  p.config = *cfg;
  auto spec = import_model_config(p.config, "/config");
  if (!spec) {
    if (errors) errors->push_back("model " + p.id + ": " + spec.error().path + ": " + spec.error().message);
    return std::nullopt;
  }
  p.spec = std::move(spec).value();
  p.spec.id = p.id;
  p.spec.warnings.clear();
  p.params = count_params(p.spec);
  return p;
}

Catalog load() {
  Catalog c;
  for (size_t i = 0; i < data::kGpuFileCount; ++i)
    if (auto g = load_gpu(i, &c.errors)) {
      c.gpus.push_back(std::move(g->spec));
      c.gpu_records.push_back(std::move(g->record));
    }
  for (size_t i = 0; i < data::kModelFileCount; ++i)
    if (auto p = load_model(i, &c.errors)) c.models.push_back(std::move(*p));
  std::sort(c.models.begin(), c.models.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return c;
}

bool& catalog_loaded() {
  static bool loaded = false;
  return loaded;
}

// Index of the record whose lookup key names `l` (lowercase), or npos. Hits are remembered in
// the caller's `memo` (a page asks for the same preset on every keystroke; only names that exist
// are kept, so a memo is bounded by the catalog's names). The caller holds its lock.
size_t find_key_scan(const std::string_view* keys, size_t count, const std::string& l);
size_t find_key(const std::string_view* keys, size_t count, const std::string& l, std::map<std::string, size_t, std::less<>>& memo) {
  if (auto it = memo.find(l); it != memo.end()) return it->second;
  const size_t i = find_key_scan(keys, count, l);
  if (i != std::string_view::npos) memo.emplace(l, i);
  return i;
}
size_t find_key_scan(const std::string_view* keys, size_t count, const std::string& l) {
  const std::string needle = "|" + l + "|";
  for (size_t i = 0; i < count; ++i)
    if (keys[i].find(needle) != std::string_view::npos) return i;
  // "org/name" given without the org.
  for (size_t i = 0; i < count; ++i) {
    const std::string_view k = keys[i];
    const size_t end = k.find('|', 1);
    const std::string_view id = k.substr(1, end - 1);
    const size_t slash = id.find('/');
    if (slash != std::string_view::npos && id.substr(slash + 1) == l) return i;
  }
  return std::string_view::npos;
}

template <typename Items, typename Ids>
std::vector<std::string> nearest(std::string_view query, const Items& items, Ids ids, size_t n) {
  std::vector<std::pair<size_t, std::string>> scored;
  const std::string q = ascii_lower(query);
  for (const auto& it : items)
    for (const auto& id : ids(it)) {
      const std::string l = ascii_lower(id);
      size_t score = edit_distance(q, l);
      if (!q.empty() && l.find(q) != std::string::npos) score = 0;  // substring: best
      scored.emplace_back(score, id);
    }
  std::stable_sort(scored.begin(), scored.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [s, id] : scored) {
    if (out.size() == n) break;
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

}  // namespace

const Catalog& catalog() {
  static const Catalog c = [] {
    Catalog loaded = load();
    catalog_loaded() = true;
    return loaded;
  }();
  return c;
}

const GpuSpec* find_gpu(std::string_view id) {
  const std::string l = ascii_lower(id);
  if (catalog_loaded()) {
    for (const auto& g : catalog().gpus)
      if (g.id == l) return &g;
    return nullptr;
  }
  static std::mutex mu;
  static std::map<size_t, std::optional<GpuEntry>> cache;
  static std::map<std::string, size_t, std::less<>> memo;
  std::lock_guard<std::mutex> lock(mu);
  const size_t i = find_key(data::kGpuFilesKeys, data::kGpuFileCount, l, memo);
  if (i == std::string_view::npos) return nullptr;
  auto it = cache.find(i);
  if (it == cache.end()) it = cache.emplace(i, load_gpu(i, nullptr)).first;
  return it->second && it->second->spec.id == l ? &it->second->spec : nullptr;
}

const ModelPreset* find_model(std::string_view id) {
  const std::string l = ascii_lower(id);
  if (catalog_loaded()) {
    for (const auto& m : catalog().models) {
      if (m.key == l) return &m;
      if (std::find(m.aliases.begin(), m.aliases.end(), l) != m.aliases.end()) return &m;
    }
    for (const auto& m : catalog().models) {
      const auto slash = m.key.find('/');
      if (slash != std::string::npos && std::string_view(m.key).substr(slash + 1) == l) return &m;
    }
    return nullptr;
  }
  static std::mutex mu;
  static std::map<size_t, std::optional<ModelPreset>> cache;
  static std::map<std::string, size_t, std::less<>> memo;
  std::lock_guard<std::mutex> lock(mu);
  const size_t i = find_key(data::kModelFilesKeys, data::kModelFileCount, l, memo);
  if (i == std::string_view::npos) return nullptr;
  auto it = cache.find(i);
  if (it == cache.end()) it = cache.emplace(i, load_model(i, nullptr)).first;
  return it->second ? &*it->second : nullptr;
}

std::vector<std::string> nearest_gpu_ids(std::string_view id, size_t n) {
  return nearest(id, catalog().gpus, [](const GpuSpec& g) { return std::vector<std::string>{g.id}; }, n);
}

std::vector<std::string> nearest_model_ids(std::string_view id, size_t n) {
  return nearest(id, catalog().models, [](const ModelPreset& m) { return std::vector<std::string>{m.id}; }, n);
}

}  // namespace llmsizer
