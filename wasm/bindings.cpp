// Embind over JSON strings only (STYLE.md §7): no class handles, nothing to .delete().
#include <emscripten/bind.h>

#include <string>

#include "llmsizer/api.hpp"

namespace {
std::string estimate(const std::string& request) { return llmsizer::estimate_json(request); }
std::string recommend(const std::string& request) { return llmsizer::recommend_json(request); }
std::string models() { return llmsizer::models_json(); }
std::string gpus() { return llmsizer::gpus_json(); }
std::string version() { return llmsizer::version(); }
}  // namespace

EMSCRIPTEN_BINDINGS(llm_sizer) {
  emscripten::function("estimate", &estimate);
  emscripten::function("recommend", &recommend);
  emscripten::function("models", &models);
  emscripten::function("gpus", &gpus);
  emscripten::function("version", &version);
}
