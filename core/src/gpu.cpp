#include "llmsizer/gpu.hpp"

#include "llmsizer/fields.hpp"

namespace llmsizer {

Result<GpuSpec> parse_gpu(const Value& v, const std::string& path, std::vector<std::string>* warnings) {
  if (!v.is_object()) return Error{"invalid_type", path, "gpu must be a catalog id (a string) or a spec object"};
  Fields f(v, path);
  GpuSpec g;
  g.id = f.text("id", "custom");
  g.name = f.text("name", g.id);
  g.vendor = f.text("vendor", "");
  g.architecture = f.text("architecture", "");
  constexpr double kMaxFlops = 1e17, kMaxBw = 1e14;
  auto mem = f.optional_integer("memory_bytes", 1LL << 28, 1LL << 42);
  if (!mem && !f.failed()) f.fail("memory_bytes", "missing_key", "a GPU spec needs memory_bytes (the total the driver reports, in bytes)");
  g.memory_bytes = mem.value_or(0);
  g.memory_bandwidth_bytes_per_s = f.number("memory_bandwidth_bytes_per_s", 0, 0, kMaxBw);
  g.dense_bf16_flops = f.number("dense_bf16_flops", 0, 0, kMaxFlops);
  g.dense_fp16_flops = f.number("dense_fp16_flops", g.dense_bf16_flops, 0, kMaxFlops);
  g.dense_fp8_flops = f.number("dense_fp8_flops", 0, 0, kMaxFlops);
  g.dense_fp4_flops = f.number("dense_fp4_flops", 0, 0, kMaxFlops);
  g.dense_int8_ops = f.number("dense_int8_ops", 0, 0, kMaxFlops);
  g.fp32_flops = f.number("fp32_flops", 0, 0, kMaxFlops);
  g.tdp_w = f.number("tdp_w", 0, 0, 1e5);
  g.release_year = static_cast<int>(f.integer("release_year", 0, 1990, 2100));
  g.sm_count = static_cast<int>(f.integer("sm_count", 0, 0, 10000));
  // Maximum resident threads per SM by compute capability (CUDA C++ Programming Guide, table
  // "Technical Specifications per Compute Capability"): 1024 on 7.5, 1536 on 8.6/8.7/8.9/12.x,
  // 2048 on 7.0, 8.0, 9.0, 10.x.
  if (const Value* cc = f.raw("compute_capability"); cc && cc->is_string()) {
    const std::string& s = cc->as_string();
    g.max_threads_per_sm = s == "7.5" ? 1024
                           : (s == "8.6" || s == "8.7" || s == "8.9" || s.rfind("12.", 0) == 0) ? 1536
                           : (s == "7.0" || s == "7.2" || s == "8.0" || s == "9.0" || s.rfind("10.", 0) == 0) ? 2048
                                                                                                            : 0;
  }
  if (const Value* ic = f.raw("interconnect"); ic && ic->is_object()) {
    Fields i(*ic, f.path_of("interconnect"));
    g.nvlink_bytes_per_s = i.number("nvlink_bytes_per_s", 0, 0, kMaxBw);
    g.pcie_gen = static_cast<int>(i.integer("pcie_gen", 0, 0, 10));
    i.accept({"pcie_lanes", "note", "infinity_fabric_bytes_per_s", "hccs_bytes_per_s"});
    if (i.failed()) return *i.error();
  }
  if (const Value* ft = f.raw("features"); ft && ft->is_object()) {
    Fields i(*ft, f.path_of("features"));
    g.bf16 = i.boolean("bf16", true);
    g.fp8 = i.boolean("fp8", false);
    g.flash_attention_2 = i.boolean("flash_attention_2", true);
    if (i.failed()) return *i.error();
  }
  if (const Value* p = f.raw("price"); p && p->is_object()) {
    Fields i(*p, f.path_of("price"));
    g.usd_per_gpu_hour = i.number("usd_per_gpu_hour", 0, 0, 1e4);
    i.accept({"source", "date", "provider", "note"});
    if (i.failed()) return *i.error();
  } else if (f.has("usd_per_gpu_hour")) {
    g.usd_per_gpu_hour = f.number("usd_per_gpu_hour", 0, 0, 1e4);
  }
  if (const Value* mk = f.raw("markets"); mk && mk->is_object())
    if (const Value* c = mk->find("china"); c && c->is_bool()) g.china_market = c->as_bool() ? 1 : 0;
  g.form_factor = f.text("form_factor", "");
  f.accept({"memory_bytes_basis", "memory_marketed_gb", "memory_type",
            "sources", "notes", "source"});
  if (f.failed()) return *f.error();
  if (warnings) f.unknown_keys(*warnings);
  return g;
}

}  // namespace llmsizer
