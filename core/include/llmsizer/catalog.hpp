// The bundled catalogs: GPU records (gpu-data/) and model presets (model-data/), embedded in the
// binary at build time (cmake/embed_data.cmake) and parsed once on first use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llmsizer/gpu.hpp"
#include "llmsizer/model.hpp"
#include "llmsizer/value.hpp"

namespace llmsizer {

struct ModelPreset {
  std::string id;  // Hugging Face repo id
  std::string name;
  std::string family;
  std::vector<std::string> aliases;  // lowercase
  std::string key;                   // the id in lowercase, for lookups
  Value config;        // config.json keys
  double params_stated = 0;  // officially stated total, 0 when not stated
  ModelSpec spec;      // imported from config
  ParamCounts params;
};

struct Catalog {
  std::vector<GpuSpec> gpus;
  std::vector<Value> gpu_records;  // as in gpu-data/, for listings
  std::vector<ModelPreset> models;
  std::vector<std::string> errors;  // data files that failed to load (a test asserts none)
};

// The whole catalog, every record parsed (listings, the recommendation sweep, tests).
const Catalog& catalog();
// One record by name: parses only that record (and keeps it) unless the whole catalog is loaded.
const GpuSpec* find_gpu(std::string_view id);
const ModelPreset* find_model(std::string_view id);  // HF id (case-insensitive) or an alias
std::vector<std::string> nearest_gpu_ids(std::string_view id, size_t n);
std::vector<std::string> nearest_model_ids(std::string_view id, size_t n);

// Embedded data (generated file): the records and, for each, its lookup key "|id|alias|…|".
namespace data {
extern const std::string_view kGpuFiles[];
extern const std::string_view kGpuFilesKeys[];
extern const size_t kGpuFileCount;
extern const std::string_view kModelFiles[];
extern const std::string_view kModelFilesKeys[];
extern const size_t kModelFileCount;
}  // namespace data

}  // namespace llmsizer
