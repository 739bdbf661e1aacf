// Recommendations (DESIGN.md "Recommend"): sweep the catalog (or the user's candidates) × GPU
// counts × layouts, keep what fits and meets the targets, rank by the objective, and say why.
// Each trial is a full estimate of the same job on another GPU/layout: no separate shortcut
// formula, so a recommendation can never disagree with the estimate the user then opens.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>

#include "estimators.hpp"
#include "infer_common.hpp"
#include "llmsizer/catalog.hpp"
#include "llmsizer/json_io.hpp"
#include "llmsizer/performance.hpp"

namespace llmsizer {
namespace {

constexpr std::string_view kJobs[] = {"infer", "train"};
constexpr std::string_view kObjectives[] = {"cheapest", "fastest", "best_value"};
constexpr std::string_view kMarkets[] = {"any", "china"};
// Keys of a recommend request that are not the job's own.
constexpr std::string_view kRecommendKeys[] = {"task", "job", "candidates", "max_num_gpus", "objective",
                                               "min_tokens_per_s", "max_ttft_s", "max_hours",
                                               "budget_usd_per_hour", "market", "max_options", "gpu", "num_gpus"};

struct Option {
  const GpuSpec* gpu = nullptr;
  int num_gpus = 0;
  int tp = 1, pp = 1, dp = 1, zero_stage = 0;
  Estimate est;
  double tokens_per_s = 0;  // 0 = not modelled
  double ttft_s = 0;
  double hours = 0;
  double usd_per_hour = 0;  // 0 = no price
  std::string why;
};

std::string gib_text(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f GiB", bytes / static_cast<double>(1LL << 30));
  return b;
}

double perf(const Estimate& e, std::string_view key) {
  const Value* v = e.performance.find(key);
  return v && v->is_number() ? v->as_double() : 0;
}

// The job's own fields, without the recommend keys (the model is resolved once, not per trial).
Value job_fields(const Value& request) {
  Value v = Value::object();
  for (const auto& [k, x] : request.members()) {
    if (k == "model") continue;
    if (std::find(std::begin(kRecommendKeys), std::end(kRecommendKeys), k) != std::end(kRecommendKeys)) continue;
    v.set(k, x);
  }
  return v;
}

// Power-of-two counts inside a node, then whole 8-GPU nodes.
std::vector<int> gpu_counts(int max_gpus) {
  std::vector<int> n;
  for (int c = 1; c <= std::min(max_gpus, 8); c *= 2) n.push_back(c);
  for (int c = 16; c <= max_gpus; c *= 2) n.push_back(c);
  return n;
}

// Whether an engine runs on a vendor's accelerators at all (docs/model/recommend.md gives the
// sources: each project's supported-hardware page). Unknown combinations are allowed.
bool runs_on(std::string_view job, std::string_view engine, std::string_view vendor) {
  if (vendor == "nvidia" || vendor.empty()) return true;
  if (job == "infer") {
    if (engine == "tensorrt-llm") return false;                  // CUDA only
    if (vendor == "apple") return engine == "llama.cpp" || engine == "transformers" || engine == "pytorch";
    return true;  // vLLM/SGLang/TGI have ROCm, Gaudi and Ascend builds
  }
  return vendor != "apple";  // DeepSpeed/FSDP/Megatron training: CUDA, ROCm, Gaudi, Ascend
}

}  // namespace

std::string recommend_value(const Value& request) {
  if (!request.is_object()) return error_response(Error{"invalid_type", "", "the request must be a JSON object"});
  Fields f(request, "");
  f.choice("task", "recommend", std::array<std::string_view, 1>{"recommend"});
  const std::string job = f.choice("job", "infer", kJobs);
  const std::string objective = f.choice("objective", "cheapest", kObjectives);
  const std::string market = f.choice("market", "any", kMarkets);
  const int max_gpus = static_cast<int>(f.integer("max_num_gpus", 8, 1, 1024));
  const int max_options = static_cast<int>(f.integer("max_options", 10, 1, 200));
  const double min_tps = f.number("min_tokens_per_s", 0, 0, 1e12);
  const double max_ttft = f.number("max_ttft_s", 0, 0, 1e6);
  const double max_hours = f.number("max_hours", 0, 0, 1e9);
  const double budget = f.number("budget_usd_per_hour", 0, 0, 1e9);
  f.raw("gpu");
  f.raw("num_gpus");
  std::vector<const GpuSpec*> candidates;
  if (const Value* c = f.raw("candidates"); c && !c->is_null() && !(c->is_string() && c->as_string() == "all")) {
    if (!c->is_array()) {
      f.fail("candidates", "invalid_type", "candidates must be \"all\" or a list of GPU ids");
    } else {
      for (size_t i = 0; i < c->items().size() && !f.failed(); ++i) {
        const Value& id = c->items()[i];
        const GpuSpec* g = id.is_string() ? find_gpu(id.as_string()) : nullptr;
        if (!g) {
          std::string near;
          for (const auto& n : nearest_gpu_ids(id.is_string() ? id.as_string() : "", 3)) near += (near.empty() ? "" : ", ") + n;
          return error_response(Error{"unknown_gpu", "/candidates/" + std::to_string(i),
                                      "no GPU " + (id.is_string() ? "\"" + id.as_string() + "\"" : std::string("(not a string)")) +
                                          " in the catalog; nearest: " + near});
        }
        if (std::find(candidates.begin(), candidates.end(), g) == candidates.end()) candidates.push_back(g);
      }
    }
  } else {
    for (const auto& g : catalog().gpus) candidates.push_back(&g);
  }
  if (f.failed()) return error_response(*f.error());

  // Validate the job once on the first candidate: errors name the job's own fields.
  Value probe = job_fields(request);
  probe.set("task", job);
  if (const Value* model = request.find("model")) probe.set("model", *model);
  if (!candidates.empty()) probe.set("gpu", candidates.front()->id);
  auto first = run_estimate(probe);
  if (!first) return error_response(first.error());
  std::vector<std::string> warnings = first->warnings;
  Common common = first->common;
  const Value base = job_fields(request);
  const ModelSpec& m = common.model;

  std::vector<Option> options;
  Value rejected = Value::array();
  auto trial = [&](const GpuSpec& g, int n, int tp, int pp, int zero) -> std::optional<Option> {
    Value r = base;
    r.set("task", job);
    r.set("num_gpus", n);
    if (job == "infer") {
      r.set("tensor_parallel_size", tp);
      r.set("pipeline_parallel_size", pp);
    } else {
      r.set("zero_stage", zero);
    }
    Common c = common;
    c.gpu = g;
    c.num_gpus = n;
    c.sweep_trial = true;
    Fields tf(r, "");
    tf.accept({"task", "num_gpus"});
    auto est = job == "infer" ? estimate_inference(c, tf) : estimate_training(c, tf);
    if (!est) return std::nullopt;
    // Speed only for layouts that fit: the others are rejected on memory alone (and were most of
    // a training sweep's trials).
    if (est->fits) add_performance(c, r, est.value());
    Option o;
    o.gpu = &g;
    o.num_gpus = n;
    o.tp = tp;
    o.pp = pp;
    o.dp = n / (tp * pp);
    o.zero_stage = zero;
    o.est = std::move(est).value();
    o.tokens_per_s = perf(o.est, "tokens_per_s");
    o.ttft_s = perf(o.est, "ttft_s");
    o.hours = perf(o.est, "total_time_s") / 3600;
    o.usd_per_hour = g.usd_per_gpu_hour * n;
    return o;
  };

  const std::vector<int> counts = gpu_counts(max_gpus);
  const Value* engine_v = base.find(job == "infer" ? "backend" : "framework");
  std::string engine = engine_v && engine_v->is_string() ? engine_v->as_string() : (job == "infer" ? "vllm" : "transformers");
  if (job == "infer") engine = infer::canonical_backend(engine).first;
  for (const GpuSpec* g : candidates) {
    if (market == "china" && g->china_market == 0) continue;
    if (!runs_on(job, engine, g->vendor)) {
      rejected.push(Value::object({{"gpu", g->id}, {"reason", engine + " does not run on " + g->vendor + " hardware"}}));
      continue;
    }
    std::string last_failure;
    std::optional<Option> chosen;
    for (int n : counts) {
      if (job == "infer") {
        // Model parallel inside a node first (TP ≤ 8 dividing the heads), then pipeline stages.
        int tp = std::min(n, 8), pp = n / tp;
        while (tp > 1 && m.num_attention_heads % tp != 0) tp /= 2;
        pp = n / tp;
        if (pp > m.num_hidden_layers) break;
        auto o = trial(*g, n, tp, pp, 0);
        if (!o) continue;
        if (!o->est.fits) { last_failure = std::to_string(n) + "× needs " + gib_text(static_cast<double>(o->est.total_bytes())) + " per GPU, has " + gib_text(static_cast<double>(g->memory_bytes)); continue; }
        chosen = std::move(o);
      } else {
        // Training: the lowest ZeRO stage that fits (least communication); one GPU has no sharding.
        for (int zero : n == 1 ? std::vector<int>{0} : std::vector<int>{1, 2, 3}) {
          auto o = trial(*g, n, 1, 1, zero);
          if (!o) continue;
          if (!o->est.fits) {
            last_failure = std::to_string(n) + "× (ZeRO-" + std::to_string(zero) + ") needs " +
                           gib_text(static_cast<double>(o->est.peak.device_bytes)) + " per GPU, has " +
                           gib_text(static_cast<double>(g->memory_bytes));
            continue;
          }
          chosen = std::move(o);
          break;
        }
      }
      if (!chosen) continue;
      // Targets: more GPUs only when a target needs them.
      const bool tps_ok = min_tps <= 0 || (chosen->tokens_per_s > 0 && chosen->tokens_per_s >= min_tps);
      const bool ttft_ok = max_ttft <= 0 || (chosen->ttft_s > 0 && chosen->ttft_s <= max_ttft);
      const bool hours_ok = max_hours <= 0 || (chosen->hours > 0 && chosen->hours <= max_hours);
      if (tps_ok && ttft_ok && hours_ok) break;
      last_failure = std::to_string(n) + "× misses a target (" +
                     (!tps_ok ? "tokens/s" : !ttft_ok ? "TTFT" : "hours") + ")";
      chosen.reset();
    }
    if (!chosen) {
      if (rejected.items().size() < 64)
        rejected.push(Value::object({{"gpu", g->id}, {"reason", last_failure.empty() ? "does not fit at any count up to max_num_gpus" : last_failure + " (up to " + std::to_string(max_gpus) + " GPUs)"}}));
      continue;
    }
    if (budget > 0 && chosen->usd_per_hour > budget) {
      rejected.push(Value::object({{"gpu", g->id}, {"reason", "over budget_usd_per_hour"}}));
      continue;
    }
    const double used = static_cast<double>(job == "infer" ? chosen->est.total_bytes() : chosen->est.peak.device_bytes);
    chosen->why = "fits: " + gib_text(used) + " of " + gib_text(static_cast<double>(g->memory_bytes)) + " per GPU";
    if (!last_failure.empty()) chosen->why += "; memory binds: " + last_failure;
    if (g->china_market == -1 && market == "china") chosen->why += "; availability in China unknown";
    if (chosen->usd_per_hour <= 0) chosen->why += "; no price in the catalog";
    options.push_back(std::move(*chosen));
  }

  // Rank. Unknown prices / speeds sort after known ones.
  auto usd_per_mtok = [](const Option& o) {
    return o.usd_per_hour > 0 && o.tokens_per_s > 0 ? o.usd_per_hour / (o.tokens_per_s * 3600) * 1e6 : 0.0;
  };
  auto key = [&](const Option& o) -> double {
    if (objective == "fastest") return o.tokens_per_s > 0 ? -o.tokens_per_s : 1e300;
    if (objective == "best_value") { const double v = usd_per_mtok(o); return v > 0 ? v : 1e300; }
    return o.usd_per_hour > 0 ? o.usd_per_hour : 1e300;
  };
  std::stable_sort(options.begin(), options.end(), [&](const Option& a, const Option& b) {
    const double ka = key(a), kb = key(b);
    if (ka != kb) return ka < kb;
    if (a.num_gpus != b.num_gpus) return a.num_gpus < b.num_gpus;
    return a.gpu->memory_bytes - a.est.total_bytes() > b.gpu->memory_bytes - b.est.total_bytes();
  });
  bool any_speed = false;
  for (const auto& o : options) any_speed |= o.tokens_per_s > 0;
  if (objective != "cheapest" && !any_speed)
    warnings.push_back("speed is not modelled for this job yet: options are ranked by price, then GPU count");

  Value list = Value::array();
  for (size_t i = 0; i < options.size() && static_cast<int>(i) < max_options; ++i) {
    const Option& o = options[i];
    std::string why = o.why;
    if (i + 1 < options.size() && objective == "cheapest" && o.usd_per_hour > 0)
      why += i == 0 ? "; cheapest that fits" : "";
    Value layout = Value::object({{"tp", o.tp}, {"pp", o.pp}, {"dp", o.dp}});
    if (job == "train") layout.set("zero_stage", o.zero_stage);
    Value opt = Value::object({{"gpu", o.gpu->id}, {"gpu_name", o.gpu->name}, {"num_gpus", o.num_gpus}, {"layout", layout},
                               {"per_gpu_total_bytes", job == "infer" ? o.est.total_bytes() : o.est.peak.device_bytes},
                               {"gpu_memory_bytes", o.gpu->memory_bytes}, {"fits", o.est.fits}});
    opt.set("tokens_per_s", o.tokens_per_s > 0 ? Value(o.tokens_per_s) : Value());
    opt.set("usd_per_hour", o.usd_per_hour > 0 ? Value(o.usd_per_hour) : Value());
    const double mt = usd_per_mtok(o);
    opt.set("usd_per_million_tokens", mt > 0 ? Value(mt) : Value());
    opt.set("why", why);
    list.push(std::move(opt));
  }
  // The job's own keys were checked (and unknown ones named) by the probe estimate above.
  Value wv = Value::array();
  for (auto& w : warnings) wv.push(std::move(w));
  return to_json(Value::object({{"ok", true}, {"task", "recommend"}, {"job", job}, {"objective", objective},
                                {"model", Value::object({{"id", m.id}, {"params", common.params.total}})},
                                {"options", list}, {"rejected", rejected}, {"warnings", wv}}));
}

std::string recommend_json(std::string_view request) {
#if defined(__cpp_exceptions)
  try {
#endif
    auto v = parse_json(request);
    if (!v) return error_response(v.error());
    return recommend_value(*v);
#if defined(__cpp_exceptions)
  } catch (const std::exception& e) {
    return error_response(Error{"internal_error", "", std::string("internal error: ") + e.what()});
  }
#endif
}

}  // namespace llmsizer
