// llm-sizer: the native command over the core. JSON in, JSON out; exit 0 when the answer is
// ok, 2 when it is an error (the error JSON is still printed on stdout), 1 on usage errors.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include "llmsizer/api.hpp"

namespace {

constexpr const char* kUsage = R"(llm-sizer — GPU memory, speed and hardware estimates for LLM training and inference

Usage:
  llm-sizer estimate [FILE|-]    read a request (JSON) from FILE or stdin, print the response JSON
  llm-sizer recommend [FILE|-]   rank GPUs and layouts for a job (request JSON with "task": "recommend")
  llm-sizer models --json        list the model presets with their parameter counts
  llm-sizer gpus --json          list the GPU catalog
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

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  const std::string arg = argc > 2 ? argv[2] : "-";
  if (cmd == "--help" || cmd == "-h" || cmd == "help") { std::fputs(kUsage, stdout); return 0; }
  if (cmd == "--version" || cmd == "-V") { std::printf("llm-sizer %s\n", llmsizer::version()); return 0; }
  if (cmd == "models") return answer(llmsizer::models_json());
  if (cmd == "gpus") return answer(llmsizer::gpus_json());
  if (cmd == "estimate" || cmd == "recommend") {
    std::string input;
    if (!read_input(arg, input)) {
      std::fprintf(stderr, "llm-sizer: cannot read %s\n", arg.c_str());
      return 1;
    }
    return answer(cmd == "estimate" ? llmsizer::estimate_json(input) : llmsizer::recommend_json(input));
  }
  std::fputs(kUsage, stderr);
  return 1;
}
