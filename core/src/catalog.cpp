#include "llmsizer/catalog.hpp"

#include <algorithm>
#include <cctype>

#include "llmsizer/fields.hpp"
#include "llmsizer/json_io.hpp"

namespace llmsizer {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Catalog load() {
  Catalog c;
  for (size_t i = 0; i < data::kGpuFileCount; ++i) {
    auto v = parse_json(data::kGpuFiles[i]);
    if (!v) { c.errors.push_back("gpu file " + std::to_string(i) + ": " + v.error().message); continue; }
    auto g = parse_gpu(*v, "", nullptr);
    if (!g) { c.errors.push_back("gpu " + g.error().path + ": " + g.error().message); continue; }
    c.gpus.push_back(std::move(g).value());
    c.gpu_records.push_back(std::move(v).value());
  }
  for (size_t i = 0; i < data::kModelFileCount; ++i) {
    auto v = parse_json(data::kModelFiles[i]);
    if (!v) { c.errors.push_back("model file " + std::to_string(i) + ": " + v.error().message); continue; }
    ModelPreset p;
    const Value& r = *v;
    auto str = [&](const char* k) { const Value* x = r.find(k); return x && x->is_string() ? x->as_string() : std::string(); };
    p.id = str("id");
    p.name = str("name");
    p.family = str("family");
    if (const Value* a = r.find("aliases"); a && a->is_array())
      for (const auto& x : a->items())
        if (x.is_string()) p.aliases.push_back(lower(x.as_string()));
    if (const Value* s = r.find("params_stated"); s && s->is_number()) p.params_stated = s->as_double();
    const Value* cfg = r.find("config");
    if (!cfg) { c.errors.push_back("model " + p.id + ": no config"); continue; }
    p.config = *cfg;
    auto spec = import_model_config(p.config, "/config");
    if (!spec) { c.errors.push_back("model " + p.id + ": " + spec.error().path + ": " + spec.error().message); continue; }
    p.spec = std::move(spec).value();
    p.spec.id = p.id;
    p.spec.warnings.clear();
    p.params = count_params(p.spec);
    c.models.push_back(std::move(p));
  }
  std::sort(c.models.begin(), c.models.end(), [](const auto& a, const auto& b) { return lower(a.id) < lower(b.id); });
  return c;
}

template <typename Items, typename Ids>
std::vector<std::string> nearest(std::string_view query, const Items& items, Ids ids, size_t n) {
  std::vector<std::pair<size_t, std::string>> scored;
  const std::string q = lower(query);
  for (const auto& it : items)
    for (const auto& id : ids(it)) {
      const std::string l = lower(id);
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
  static const Catalog c = load();
  return c;
}

const GpuSpec* find_gpu(std::string_view id) {
  const std::string l = lower(id);
  for (const auto& g : catalog().gpus)
    if (g.id == l) return &g;
  return nullptr;
}

const ModelPreset* find_model(std::string_view id) {
  const std::string l = lower(id);
  for (const auto& m : catalog().models) {
    if (lower(m.id) == l) return &m;
    if (std::find(m.aliases.begin(), m.aliases.end(), l) != m.aliases.end()) return &m;
  }
  // "org/name" given without the org, or with a different case of org.
  for (const auto& m : catalog().models) {
    const std::string lm = lower(m.id);
    const auto slash = lm.find('/');
    if (slash != std::string::npos && lm.substr(slash + 1) == l) return &m;
  }
  return nullptr;
}

std::vector<std::string> nearest_gpu_ids(std::string_view id, size_t n) {
  return nearest(id, catalog().gpus, [](const GpuSpec& g) { return std::vector<std::string>{g.id}; }, n);
}

std::vector<std::string> nearest_model_ids(std::string_view id, size_t n) {
  return nearest(id, catalog().models, [](const ModelPreset& m) { return std::vector<std::string>{m.id}; }, n);
}

}  // namespace llmsizer
