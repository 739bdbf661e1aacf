// The JSON boundary: request text -> Common + task estimator -> response text. The one place
// that turns any failure into {"ok": false, "error": {code, path, message}}.
#include "llmsizer/api.hpp"

#include <cmath>
#include <exception>

#include "estimators.hpp"
#include "infer_common.hpp"
#include "llmsizer/catalog.hpp"
#include "llmsizer/json_io.hpp"
#include "llmsizer/performance.hpp"

#ifndef LLMSIZER_VERSION
#define LLMSIZER_VERSION "0.0.0-dev"
#endif

namespace llmsizer {

Component& Estimate::add(std::string id, double bytes, std::string formula, Value values, std::string explanation) {
  const double b = std::isfinite(bytes) && bytes > 0 ? std::round(bytes) : 0;
  components.push_back(Component{std::move(id), static_cast<int64_t>(std::min(b, 9.0e18)), std::move(formula),
                                 std::move(values), std::move(explanation)});
  return components.back();
}

namespace {

constexpr std::string_view kTasks[] = {"train", "infer", "recommend"};

std::string error_json(const Error& e) {
  return to_json(Value::object({{"ok", false},
                                {"error", Value::object({{"code", e.code}, {"path", e.path}, {"message", e.message}})}}));
}

std::string list_text(const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "\"" : ", \"") + id + "\"";
  return s;
}

Result<Common> resolve_common(Fields& f, std::vector<std::string>& warnings) {
  Common c;
  c.task = f.choice("task", "infer", kTasks);
  if (f.failed()) return *f.error();
  const Value* model = f.raw("model");
  if (!model || model->is_null())
    return Error{"missing_key", "/model", "model is required: a preset id such as \"meta-llama/Llama-3.1-8B\" or a config.json object"};
  if (model->is_string()) {
    const ModelPreset* p = find_model(model->as_string());
    if (!p)
      return Error{"unknown_model", "/model", "no preset \"" + model->as_string() + "\"; nearest: " +
                                                  list_text(nearest_model_ids(model->as_string(), 5)) +
                                                  ". Paste the model's config.json object instead to use any model."};
    c.model = p->spec;
    c.params = p->params;
    c.params_stated = p->params_stated;
    c.model_source = "preset";
  } else {
    auto m = import_model_config(*model, "/model");
    if (!m) return m.error();
    c.model = std::move(m).value();
    for (auto& w : c.model.warnings) warnings.push_back(std::move(w));
    c.model.warnings.clear();
    c.params = count_params(c.model);
    c.model_source = "config";
    if (!c.model.id.empty())
      if (const ModelPreset* p = find_model(c.model.id)) c.params_stated = p->params_stated;
  }
  const auto vision = infer::vision_tower(c, model);
  if (!vision)
    return Error{"out_of_range", "/model/vision_config",
                 "vision_config describes a vision tower above 1e12 parameters or a patch_size below 1; check hidden_size "
                 "(or embed_dim), num_hidden_layers (or depth), intermediate_size, patch_size and image_size"};
  c.vision = *vision;
  const Value* gpu = f.raw("gpu");
  if (!gpu || gpu->is_null()) {
    const GpuSpec* g = find_gpu("h100-sxm-80gb");
    if (!g) return Error{"missing_key", "/gpu", "gpu is required: a catalog id such as \"h100-sxm-80gb\" or a spec object"};
    c.gpu = *g;
  } else if (gpu->is_string()) {
    const GpuSpec* g = find_gpu(gpu->as_string());
    if (!g)
      return Error{"unknown_gpu", "/gpu", "no GPU \"" + gpu->as_string() + "\" in the catalog; nearest: " +
                                              list_text(nearest_gpu_ids(gpu->as_string(), 5)) +
                                              ". Give a spec object with memory_bytes for any other GPU."};
    c.gpu = *g;
  } else {
    auto g = parse_gpu(*gpu, "/gpu", &warnings);
    if (!g) return g.error();
    c.gpu = std::move(g).value();
  }
  c.num_gpus = static_cast<int>(f.integer("num_gpus", 1, 1, 1 << 16));
  if (f.failed()) return *f.error();
  return c;
}

Value model_block(const Common& c) {
  const ModelSpec& m = c.model;
  Value v = Value::object({
      {"id", m.id}, {"model_type", m.model_type}, {"source", c.model_source},
      {"params", c.params.total}, {"active_params", c.params.active},
      {"active_params_compute", c.params.active_compute}, {"embedding_params", c.params.embedding},
      {"non_embedding_params", c.params.non_embedding},
      {"per_layer", Value::object({{"attention", c.params.per_layer_attention}, {"mlp", c.params.per_layer_mlp},
                                   {"norms", c.params.per_layer_norm}})},
      {"num_hidden_layers", m.num_hidden_layers}, {"hidden_size", m.hidden_size},
      {"num_attention_heads", m.num_attention_heads}, {"num_key_value_heads", m.num_key_value_heads},
      {"head_dim", m.head_dim}, {"intermediate_size", m.intermediate_size}, {"vocab_size", m.vocab_size},
      {"tie_word_embeddings", m.tie_word_embeddings},
  });
  if (m.num_experts > 1) {
    v.set("num_experts", m.num_experts);
    v.set("num_experts_per_tok", m.num_experts_per_tok);
    v.set("moe_intermediate_size", m.moe_intermediate_size);
    v.set("num_moe_layers", m.num_moe_layers);
  }
  if (m.attention == Attention::mla) {
    v.set("attention", "mla");
    v.set("kv_lora_rank", m.kv_lora_rank);
    v.set("qk_rope_head_dim", m.qk_rope_head_dim);
  }
  if (m.num_sliding_layers > 0) {
    v.set("sliding_window", m.sliding_window);
    v.set("num_sliding_layers", m.num_sliding_layers);
  }
  if (c.params_stated > 0) v.set("params_stated", c.params_stated);
  if (c.vision.params > 0) v.set("vision_params", c.vision.params);
  return v;
}

Value gpu_block(const GpuSpec& g) {
  return Value::object({{"id", g.id}, {"name", g.name}, {"memory_bytes", g.memory_bytes},
                        {"memory_bandwidth_bytes_per_s", g.memory_bandwidth_bytes_per_s},
                        {"dense_bf16_flops", g.dense_bf16_flops}});
}

// The estimate is consumed: its strings and value trees move into the answer (copying them was
// a fifth of an estimate's cost, docs/performance.md).
std::string response_json(const Common& c, Estimate&& e, std::vector<std::string> warnings) {
  Value r = Value::object({{"ok", true}, {"task", c.task}});
  r.set("model", model_block(c));
  r.set("gpu", gpu_block(c.gpu));
  const int64_t total = e.total_bytes();
  Value comps = Value::array();
  for (auto& x : e.components) {
    Value o = Value::object();
    o.set("id", std::move(x.id));
    o.set("bytes", x.bytes);
    o.set("formula", std::move(x.formula));
    o.set("values", std::move(x.values));
    o.set("explanation", std::move(x.explanation));
    comps.push(std::move(o));
  }
  Value per_gpu = Value::object();
  per_gpu.set("components", std::move(comps));
  per_gpu.set("total_bytes", total);
  per_gpu.set("peak", Value::object({{"allocated_bytes", e.peak.allocated_bytes},
                                     {"reserved_bytes", e.peak.reserved_bytes},
                                     {"device_bytes", e.peak.device_bytes}}));
  r.set("per_gpu", std::move(per_gpu));
  r.set("range", Value::object({{"low_bytes", e.low_bytes}, {"high_bytes", e.high_bytes}}));
  r.set("host_bytes", e.host_bytes);
  r.set("fits", e.fits);
  r.set("num_gpus", c.num_gpus);
  if (e.num_gpus_needed > 0) r.set("num_gpus_needed", e.num_gpus_needed);
  if (e.kv_cache) {
    const auto& k = *e.kv_cache;
    r.set("kv_cache", Value::object({{"bytes_per_token", k.bytes_per_token}, {"capacity_tokens", k.capacity_tokens},
                                     {"max_concurrency", k.max_concurrency}, {"block_size", k.block_size},
                                     {"num_blocks", k.num_blocks}, {"max_context_fit", k.max_context_fit}}));
  }
  r.set("performance", std::move(e.performance));
  if (!e.extra.members().empty()) r.set("extra", std::move(e.extra));
  for (auto& w : e.warnings) warnings.push_back(std::move(w));
  Value wv = Value::array();
  for (auto& w : warnings) wv.push(std::move(w));
  r.set("warnings", std::move(wv));
  return to_json(r);
}

std::string estimate_value(const Value& request) {
  auto answer = run_estimate(request);
  if (!answer) return error_json(answer.error());
  return response_json(answer->common, std::move(answer->estimate), std::move(answer->warnings));
}

}  // namespace

Result<Answer> run_estimate(const Value& request) {
  if (!request.is_object()) return Error{"invalid_type", "", "the request must be a JSON object"};
  Answer a;
  Fields f(request, "");
  auto common = resolve_common(f, a.warnings);
  if (!common) return common.error();
  if (common->task == "recommend")
    return Error{"invalid_value", "/task", "task \"recommend\" goes through recommend (llm-sizer recommend, sizer.recommend())"};
  Result<Estimate> est = common->task == "train" ? estimate_training(*common, f) : estimate_inference(*common, f);
  if (!est) return est.error();
  add_performance(*common, request, est.value());
  for (auto k : speed_request_keys(common->task)) f.raw(k);
  f.unknown_keys(a.warnings);
  a.common = std::move(common).value();
  a.estimate = std::move(est).value();
  return a;
}

std::string error_response(const Error& e) { return error_json(e); }

std::string estimate_json(std::string_view request) {
#if defined(__cpp_exceptions)
  try {
#endif
    auto v = parse_json(request);
    if (!v) return error_json(v.error());
    if (const Value* t = v->find("task"); t && t->is_string() && t->as_string() == "recommend") return recommend_value(*v);
    return estimate_value(*v);
#if defined(__cpp_exceptions)
  } catch (const std::exception& e) {
    return error_json(Error{"internal_error", "", std::string("internal error: ") + e.what()});
  }
#endif
}

std::string models_json() {
  Value list = Value::array();
  for (const auto& p : catalog().models) {
    Value m = Value::object({{"id", p.id}, {"name", p.name}, {"family", p.family}, {"model_type", p.spec.model_type},
                             {"params", p.params.total}, {"active_params", p.params.active},
                             {"num_hidden_layers", p.spec.num_hidden_layers}, {"hidden_size", p.spec.hidden_size},
                             {"num_attention_heads", p.spec.num_attention_heads},
                             {"num_key_value_heads", p.spec.num_key_value_heads},
                             {"max_position_embeddings", p.spec.max_position_embeddings}});
    if (p.params_stated > 0) m.set("params_stated", p.params_stated);
    if (p.spec.num_experts > 1) m.set("num_experts", p.spec.num_experts);
    list.push(std::move(m));
  }
  return to_json(Value::object({{"ok", true}, {"models", list}}));
}

std::string gpus_json() {
  Value list = Value::array();
  for (const auto& r : catalog().gpu_records) list.push(r);
  return to_json(Value::object({{"ok", true}, {"gpus", list}}));
}

const char* version() { return LLMSIZER_VERSION; }

}  // namespace llmsizer
