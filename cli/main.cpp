// llm-sizer: the native command over the core. JSON in, JSON out; exit 0 when the answer is
// ok, 2 when it is an error (the error JSON is still printed on stdout), 1 on usage errors.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "llmsizer/accuracy.hpp"
#include "llmsizer/api.hpp"
#include "llmsizer/json_io.hpp"

namespace {

constexpr const char* kUsage = R"(llm-sizer — GPU memory, speed and hardware estimates for LLM training and inference

Usage:
  llm-sizer estimate [FILE|-]    read a request (JSON) from FILE or stdin, print the response JSON
  llm-sizer recommend [FILE|-] [--table]
                                 rank GPUs and layouts for a job (request JSON with "task":
                                 "recommend"); --table prints a human table instead of JSON
  llm-sizer models --json        list the model presets with their parameter counts
  llm-sizer gpus --json          list the GPU catalog
  llm-sizer accuracy FILE... [--metric PREFIX] [--json]
                                 score measured cases (tests/accuracy/cases-*.json): each case's
                                 error, then median and p90 per metric
  llm-sizer --help               this text
  llm-sizer --version            the version

Exit status: 0 ok, 2 the request was refused (the error JSON names the field), 1 usage error.
Example:
  echo '{"task":"infer","model":"meta-llama/Llama-3.1-8B","gpu":"rtx-4090"}' | llm-sizer estimate -
)";

bool read_input(const std::string& arg, std::string& out) {
  if (arg == "-" || arg.empty()) {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(arg, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int answer(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
  return json.rfind("{\"ok\":true", 0) == 0 ? 0 : 2;
}

int recommend_table(const std::string& json) {
  auto v = llmsizer::parse_json(json);
  if (!v || !v->find("ok") || !v->find("ok")->as_bool()) return answer(json);
  const auto str = [](const llmsizer::Value* x) { return x && x->is_string() ? x->as_string() : std::string("-"); };
  const auto num = [](const llmsizer::Value* x, const char* fmt, double scale = 1) {
    if (!x || !x->is_number()) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, fmt, x->as_double() * scale);
    return std::string(b);
  };
  std::printf("%-3s %-18s %5s %-16s %12s %10s %10s %10s  %s\n", "#", "gpu", "count", "layout", "GiB/GPU", "tokens/s",
              "$/hour", "$/Mtok", "why");
  int i = 0;
  for (const auto& o : v->find("options")->items()) {
    const auto* l = o.find("layout");
    std::string layout = "tp" + std::to_string(l->find("tp")->as_int()) + " pp" + std::to_string(l->find("pp")->as_int()) +
                         " dp" + std::to_string(l->find("dp")->as_int());
    if (const auto* z = l->find("zero_stage")) layout += " z" + std::to_string(z->as_int());
    std::printf("%-3d %-18s %5lld %-16s %12s %10s %10s %10s  %s\n", ++i, str(o.find("gpu")).c_str(),
                static_cast<long long>(o.find("num_gpus")->as_int()), layout.c_str(),
                num(o.find("per_gpu_total_bytes"), "%.1f", 1.0 / (1 << 30)).c_str(),
                num(o.find("tokens_per_s"), "%.0f").c_str(), num(o.find("usd_per_hour"), "%.2f").c_str(),
                num(o.find("usd_per_million_tokens"), "%.2f").c_str(), str(o.find("why")).c_str());
  }
  for (const auto& w : v->find("warnings")->items()) std::printf("warning: %s\n", w.as_string().c_str());
  return 0;
}

int accuracy(int argc, char** argv) {
  std::string prefix;
  bool json = false;
  std::vector<std::string> files;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--metric" && i + 1 < argc) prefix = argv[++i];
    else if (a == "--json") json = true;
    else files.push_back(a);
  }
  if (files.empty()) { std::fputs(kUsage, stderr); return 1; }
  llmsizer::Value report = llmsizer::Value::object();
  for (const auto& file : files) {
    std::string text;
    if (!read_input(file, text)) { std::fprintf(stderr, "llm-sizer: cannot read %s\n", file.c_str()); return 1; }
    const auto s = llmsizer::score_cases(text, prefix);
    if (json) { report.set(file, s.by_metric); continue; }
    std::printf("\n%s: %d cases (%d refused, %d skipped)\n", file.c_str(), s.cases, s.refused, s.skipped);
    std::printf("  %-60s %-44s %14s %14s %8s\n", "case", "metric", "measured", "estimated", "error");
    for (const auto& sc : s.scores) {
      if (sc.answered)
        std::printf("  %-60.60s %-44.44s %14.6g %14.6g %7.1f%%\n", sc.case_id.c_str(), sc.metric.c_str(), sc.expected,
                    sc.estimated, sc.error * 100);
      else
        std::printf("  %-60.60s %-44.44s %14s %14s  (%s)\n", sc.case_id.c_str(), sc.metric.c_str(), "", "-",
                    sc.problem.c_str());
    }
    std::printf("  %-44s %9s %11s %9s %9s\n", "metric", "answered", "unanswered", "median", "p90");
    for (const auto& [metric, v] : s.by_metric.members())
      std::printf("  %-44.44s %9lld %11lld %8.1f%% %8.1f%%\n", metric.c_str(),
                  static_cast<long long>(v.find("answered")->as_int()),
                  static_cast<long long>(v.find("unanswered")->as_int()), v.find("median_error")->as_double() * 100,
                  v.find("p90_error")->as_double() * 100);
  }
  if (json) std::printf("%s\n", llmsizer::to_json(report, 2).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  const std::string arg = argc > 2 ? argv[2] : "-";
  if (cmd == "--help" || cmd == "-h" || cmd == "help") { std::fputs(kUsage, stdout); return 0; }
  if (cmd == "--version" || cmd == "-V") { std::printf("llm-sizer %s\n", llmsizer::version()); return 0; }
  if (cmd == "accuracy") return accuracy(argc, argv);
  if (cmd == "models") return answer(llmsizer::models_json());
  if (cmd == "gpus") return answer(llmsizer::gpus_json());
  if (cmd == "estimate" || cmd == "recommend") {
    std::string input;
    if (!read_input(arg, input)) {
      std::fprintf(stderr, "llm-sizer: cannot read %s\n", arg.c_str());
      return 1;
    }
    if (cmd == "recommend") {
      const std::string out = llmsizer::recommend_json(input);
      const bool table = argc > 3 && std::string(argv[3]) == "--table";
      return table ? recommend_table(out) : answer(out);
    }
    return answer(llmsizer::estimate_json(input));
  }
  std::fputs(kUsage, stderr);
  return 1;
}
