// The core's whole surface: JSON text in, JSON text out. The CLI, the wasm bindings and the
// tests all go through these functions, so every caller gets the same bytes.
#pragma once

#include <string>
#include <string_view>

namespace llmsizer {

std::string estimate_json(std::string_view request);   // {"ok":true,…} or {"ok":false,"error":{…}}
std::string recommend_json(std::string_view request);  // task "recommend"
std::string models_json();                              // the preset catalog with parameter counts
std::string gpus_json();                                // the GPU catalog
const char* version();

}  // namespace llmsizer
