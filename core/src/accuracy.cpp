#include "llmsizer/accuracy.hpp"

#include <algorithm>
#include <cmath>

#include "llmsizer/api.hpp"
#include "llmsizer/json_io.hpp"

namespace llmsizer {

const Value* metric_at(const Value& response, std::string_view path) {
  const Value* cur = &response;
  size_t i = 0;
  while (cur && i < path.size()) {
    const size_t j = path.find_first_of(".[", i);
    const std::string_view key = path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    if (!key.empty()) cur = cur->find(key);
    if (j == std::string_view::npos) break;
    if (path[j] == '[') {
      const size_t k = path.find(']', j);
      if (k == std::string_view::npos) return nullptr;
      const std::string_view id = path.substr(j + 1, k - j - 1);
      const Value* found = nullptr;
      if (cur && cur->is_array())
        for (const auto& x : cur->items())
          if (const Value* xid = x.find("id"); xid && xid->is_string() && xid->as_string() == id) found = &x;
      cur = found;
      i = k + 1;
      if (i < path.size() && path[i] == '.') ++i;
    } else {
      i = j + 1;
    }
  }
  return cur;
}

double percentile(std::vector<double> xs, double q) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  const double pos = q * static_cast<double>(xs.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, xs.size() - 1);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - static_cast<double>(lo));
}

SuiteSummary score_cases(std::string_view cases_json, std::string_view metric_prefix) {
  SuiteSummary s;
  auto cases = parse_json(cases_json);
  if (!cases || !cases->is_array()) return s;
  for (const auto& c : cases->items()) {
    const Value* id = c.find("id");
    const std::string case_id = id && id->is_string() ? id->as_string() : "?";
    const Value* req = c.find("request");
    const Value* expect = c.find("expect");
    if (!req || !expect || !expect->is_array()) { ++s.skipped; continue; }
    ++s.cases;
    const std::string text = req->is_object() && req->find("task") && req->find("task")->is_string() &&
                                     req->find("task")->as_string() == "recommend"
                                 ? recommend_json(to_json(*req))
                                 : estimate_json(to_json(*req));
    auto resp = parse_json(text);
    const bool ok = resp && resp->find("ok") && resp->find("ok")->is_bool() && resp->find("ok")->as_bool();
    if (!ok) ++s.refused;
    for (const auto& e : expect->items()) {
      CaseScore sc;
      sc.case_id = case_id;
      const Value* m = e.find("metric");
      sc.metric = m && m->is_string() ? m->as_string() : "";
      if (!sc.metric.starts_with(metric_prefix)) continue;
      double lo = 0, hi = 0;
      if (const Value* v = e.find("value"); v && v->is_number()) lo = hi = v->as_double();
      else if (const Value* r = e.find("range"); r && r->is_array() && r->items().size() == 2) {
        lo = r->items()[0].as_double();
        hi = r->items()[1].as_double();
      } else if (v && v->is_bool()) {
        lo = hi = v->as_bool() ? 1 : 0;
      }
      if (!ok) {
        const Value* err = resp ? resp->find("error") : nullptr;
        const Value* msg = err ? err->find("message") : nullptr;
        sc.problem = msg && msg->is_string() ? msg->as_string() : "refused";
      } else if (const Value* got = metric_at(*resp, sc.metric); got && (got->is_number() || got->is_bool())) {
        sc.answered = true;
        sc.estimated = got->is_bool() ? (got->as_bool() ? 1 : 0) : got->as_double();
        sc.expected = sc.estimated < lo ? lo : sc.estimated > hi ? hi : sc.estimated;
        const double denom = std::max(std::fabs(sc.expected), 1e-12);
        sc.error = (lo == hi && lo == 0) ? std::fabs(sc.estimated) : std::fabs(sc.estimated - sc.expected) / denom;
      } else {
        sc.problem = "no such figure in the response";
      }
      s.scores.push_back(std::move(sc));
    }
  }
  // Summaries per metric.
  std::vector<std::string> metrics;
  for (const auto& sc : s.scores)
    if (std::find(metrics.begin(), metrics.end(), sc.metric) == metrics.end()) metrics.push_back(sc.metric);
  std::vector<double> all;
  for (const auto& metric : metrics) {
    std::vector<double> errs;
    int unanswered = 0;
    for (const auto& sc : s.scores)
      if (sc.metric == metric) {
        if (sc.answered) errs.push_back(sc.error);
        else ++unanswered;
      }
    all.insert(all.end(), errs.begin(), errs.end());
    s.by_metric.set(metric, Value::object({{"answered", static_cast<int64_t>(errs.size())},
                                           {"unanswered", unanswered},
                                           {"median_error", percentile(errs, 0.5)},
                                           {"p90_error", percentile(errs, 0.9)}}));
  }
  return s;
}

}  // namespace llmsizer
