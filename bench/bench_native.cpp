// Native timings of the JSON API (Google Benchmark): one estimate of each kind, the
// recommendation sweep, and how the cost of one call grows with model depth, batch, catalog
// size and GPU count. The requests come from bench/requests.json (also read by bench_node.mjs).
//
//   bench_native REQUESTS.json [google-benchmark flags]   the timings (bench/run.sh passes
//                                                         --benchmark_repetitions, --benchmark_out …)
//   bench_native REQUESTS.json --first-call KEY           one cold call in a fresh process: prints
//                                                         the µs of catalog() and of the first call
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "llmsizer/api.hpp"
#include "llmsizer/catalog.hpp"
#include "llmsizer/json_io.hpp"
#include "llmsizer/value.hpp"

namespace {

using llmsizer::Value;

Value g_requests;

const Value& request(const char* key) {
  const Value* v = g_requests.find(key);
  if (!v) {
    std::fprintf(stderr, "bench_native: no \"%s\" in the requests file\n", key);
    std::exit(2);
  }
  return *v;
}

Value with(Value v, std::string_view key, Value x) {
  v.set(key, std::move(x));
  return v;
}

// Interquartile range of the repetitions (linear interpolation between order statistics).
double iqr(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  std::vector<double> s(v);
  std::sort(s.begin(), s.end());
  auto q = [&](double p) {
    const double pos = p * static_cast<double>(s.size() - 1);
    const size_t i = static_cast<size_t>(pos);
    const double f = pos - static_cast<double>(i);
    return i + 1 < s.size() ? s[i] * (1 - f) + s[i + 1] * f : s[i];
  };
  return q(0.75) - q(0.25);
}

// The answer's error code, or "" when ok. A row whose answer is an error is still timed, and
// labelled with the code (e.g. "not_implemented").
std::string error_code(const std::string& answer) {
  auto v = llmsizer::parse_json(answer);
  if (!v) return "unparseable";
  const Value* ok = v->find("ok");
  if (ok && ok->is_bool() && ok->as_bool()) return "";
  const Value* e = v->find("error");
  const Value* code = e ? e->find("code") : nullptr;
  return code && code->is_string() ? code->as_string() : "error";
}

using Api = std::string (*)(std::string_view);

void add(const std::string& name, Api api, const Value& req) {
  const std::string text = llmsizer::to_json(req);
  benchmark::RegisterBenchmark(name.c_str(), [api, text](benchmark::State& st) {
    const std::string code = error_code(api(text));
    if (!code.empty()) st.SetLabel(code);
    for (auto _ : st) {
      std::string answer = api(text);
      benchmark::DoNotOptimize(answer.data());
    }
  })->Unit(benchmark::kMicrosecond)->ComputeStatistics("iqr", iqr);
}

void register_all() {
  const Value& train = request("estimate_train");
  const Value& infer = request("estimate_infer");
  const Value& config = request("estimate_config");
  const Value& sweep_infer = request("sweep_infer");
  const Value& sweep_train = request("sweep_train");

  add("estimate/train", llmsizer::estimate_json, train);
  add("estimate/infer", llmsizer::estimate_json, infer);
  add("estimate/infer-config", llmsizer::estimate_json, config);
  add("sweep/infer", llmsizer::recommend_json, sweep_infer);
  add("sweep/train", llmsizer::recommend_json, sweep_train);
  benchmark::RegisterBenchmark("listing/models_json", [](benchmark::State& st) {
    for (auto _ : st) benchmark::DoNotOptimize(llmsizer::models_json().data());
  })->Unit(benchmark::kMicrosecond)->ComputeStatistics("iqr", iqr);
  benchmark::RegisterBenchmark("listing/gpus_json", [](benchmark::State& st) {
    for (auto _ : st) benchmark::DoNotOptimize(llmsizer::gpus_json().data());
  })->Unit(benchmark::kMicrosecond)->ComputeStatistics("iqr", iqr);

  // Depth: a pasted config (the Llama-3.1-8B one) with num_hidden_layers = L.
  const Value& cfg = *config.find("model");
  for (int layers : {8, 16, 32, 64, 128}) {
    Value model = with(cfg, "num_hidden_layers", layers);
    add("scale/depth/train/" + std::to_string(layers), llmsizer::estimate_json, with(with(train, "model", model), "seq_len", 2048));
    add("scale/depth/infer/" + std::to_string(layers), llmsizer::estimate_json, with(config, "model", model));
  }
  // Batch.
  for (int b : {1, 4, 16, 64, 256}) {
    add("scale/batch/train/" + std::to_string(b), llmsizer::estimate_json, with(train, "micro_batch_size", b));
    add("scale/batch/infer/" + std::to_string(b), llmsizer::estimate_json, with(config, "batch_size", b));
  }
  // GPU count: one estimate on n GPUs (ZeRO-3), and the sweep up to n GPUs.
  for (int n : {1, 8, 64, 512, 4096}) {
    Value r = with(with(request("estimate_train"), "num_gpus", n), "method", "full");
    if (n > 1) r.set("zero_stage", 3);
    add("scale/num_gpus/train/" + std::to_string(n), llmsizer::estimate_json, r);
  }
  for (int n : {1, 8, 64, 256, 1024})
    add("scale/max_num_gpus/sweep-infer/" + std::to_string(n), llmsizer::recommend_json, with(sweep_infer, "max_num_gpus", n));
  // Catalog size: the sweep over the first k GPUs of the catalog.
  const auto& gpus = llmsizer::catalog().gpus;
  for (size_t k : {size_t{1}, size_t{8}, size_t{16}, size_t{32}, gpus.size()}) {
    Value ids = Value::array();
    for (size_t i = 0; i < std::min(k, gpus.size()); ++i) ids.push(gpus[i].id);
    add("scale/catalog/sweep-infer/" + std::to_string(std::min(k, gpus.size())), llmsizer::recommend_json,
        with(sweep_infer, "candidates", ids));
  }
}

int first_call(const char* key) {
  const std::string text = llmsizer::to_json(request(key));
  const bool sweep = text.find("\"recommend\"") != std::string::npos;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const size_t n = llmsizer::catalog().models.size();
  const auto t1 = clock::now();
  const std::string answer = sweep ? llmsizer::recommend_json(text) : llmsizer::estimate_json(text);
  const auto t2 = clock::now();
  auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count(); };
  std::printf("{\"catalog_us\":%.1f,\"first_call_us\":%.1f,\"models\":%zu,\"ok\":%s}\n", us(t1 - t0), us(t2 - t1), n,
              answer.rfind("{\"ok\":true", 0) == 0 ? "true" : "false");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_native REQUESTS.json [--first-call KEY | benchmark flags]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = llmsizer::parse_json(ss.str());
  if (!parsed) {
    std::fprintf(stderr, "bench_native: cannot read %s: %s\n", argv[1], parsed.error().message.c_str());
    return 2;
  }
  g_requests = std::move(parsed).value();
  if (argc >= 4 && std::strcmp(argv[2], "--first-call") == 0) return first_call(argv[3]);
  argv[1] = argv[0];
  --argc;
  ++argv;
  benchmark::Initialize(&argc, argv);
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
