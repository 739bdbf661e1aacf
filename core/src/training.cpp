// Training memory per GPU: the aggregator. Model states (train_states.cpp, formulas.md §3) and
// activations + loss (train_activations.cpp, §4) are combined phase by phase — end of forward,
// start of backward, optimizer step — because not everything is alive at once; the largest
// phase is the allocated peak. The caching allocator, the CUDA context, NCCL and paged optimizer
// state turn it into the reserved and device peaks (§6). Constants: docs/model/training.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "estimators.hpp"
#include "train_memory.hpp"

namespace llmsizer {
namespace {

using namespace train;

// Caching-allocator slack: reserved − allocated as a fraction of the memory allocated and freed
// within a step (activations, logits, transients). Fitted on the 18 answered reserved-basis cases
// (PEFT MetaMathQA, ms-swift, torchtune tutorials; 0.08–0.16 scanned, 0.12 has the lowest p90);
// NOTES-training.md §1 measured 12–24 % (fsdp_qlora).
constexpr double kAllocatorSlack = 0.12;
// NCCL communicator buffers on the device, outside torch's counters: NCCL_BUFFSIZE 4 MiB × 3
// protocols × 2 directions × ~16 channels ≈ 384 MiB per communicator (formulas.md §6, UNCERTAIN).
constexpr double kNcclBytesPerCommunicator = 384.0 * (1 << 20);
// Host RAM a PyTorch training process uses besides offloaded state (CUDA/torch libraries, the
// tokenizer and data loader, pinned staging): ~3 GiB per rank (formulas.md §6, UNCERTAIN).
constexpr double kHostBytesPerProcess = 3.0 * (1 << 30);
// Dynamic padding: the PEFT MetaMathQA benchmark (the only per-step reserved statistics in the
// calibration set) puts the p99 step at 0.86 and the mean step at 0.50 of the peak's
// batch-dependent memory. Used only when dynamic_padding is true.
constexpr double kDynamicPaddingP99 = 0.86;
constexpr double kDynamicPaddingMean = 0.50;

struct Peak3 {
  double allocated = 0, reserved = 0, device = 0, dynamic = 0;
  int phase = 0;  // 0 forward end, 1 backward start, 2 optimizer step
  bool fits = false;
};

struct Model {
  const Common* c;
  Job job;
  States st;
  Activations act;
  double fixed_alloc = 0;  // cuBLAS workspaces
  double outside = 0;      // CUDA context + NCCL (device, outside torch)
  double capacity = 0;

  double base() const {
    return st.frozen + st.frozen_gathered + st.train_weights + st.adapter_weights + st.master + st.optimizer +
           (st.grads_persist ? st.grads : 0) + st.bucket + st.rollout + fixed_alloc;
  }

  Peak3 eval(double b, double s) const {
    const double tokens = b * s;
    const double fwd_bwd = st.cast_copies + st.gathered + st.dequant;
    const double saved = train::eval(act.saved, tokens, s);
    const double work = train::eval(act.work, tokens, s);
    const double lf = train::eval(act.loss_fwd, tokens, s), lb = train::eval(act.loss_bwd, tokens, s);
    const double phases[3] = {
        fwd_bwd + saved + lf,
        fwd_bwd + saved + std::max(lb + st.head_grad, work + st.head_grad + st.in_backward_grad),
        (st.grads_persist ? 0 : st.grads) + st.step_transient,
    };
    Peak3 p;
    p.phase = static_cast<int>(std::max_element(phases, phases + 3) - phases);
    p.dynamic = phases[p.phase];
    p.allocated = base() + phases[p.phase];
    // Reserved: blocks freed after forward/backward stay cached and serve the optimizer step's
    // allocations, so the reserved peak is the larger of the two sides' footprints.
    const double fb = std::max(phases[0], phases[1]);
    const double fb_reserved = fb * (1 + kAllocatorSlack) + job.profile->vocab_fragmentation * std::max(lf, lb);
    const double step_reserved = phases[2] * (1 + kAllocatorSlack);
    p.reserved = base() + std::max(fb_reserved, step_reserved);
    p.fits = p.allocated + outside <= capacity;
    // Near capacity the allocator frees its cache and retries instead of growing (NOTES §2).
    if (p.fits) p.reserved = std::min(p.reserved, capacity - outside);
    const double paged_resident = std::clamp(capacity - p.reserved - outside, 0.0, st.paged);
    p.device = p.reserved + outside + paged_resident;
    return p;
  }
};

// Numbers in formulas: integers as integers, fractions with four significant digits.
std::string num(double x) {
  if (std::fabs(x) >= 1 && std::fabs(x) < 9e15 && std::fabs(x - std::round(x)) < 1e-6 * std::fabs(x) + 1e-9)
    return std::to_string(std::llround(x));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

std::string gib_text(double bytes) {
  const int64_t tenths = std::llround(gib(bytes) * 10);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

// Bytes as int64: finite, non-negative, below 9e18 (absurd-but-valid requests overflow doubles' int range).
int64_t to_bytes(double x) { return std::isfinite(x) && x > 0 ? to_int64(std::min(x, 9.0e18)) : 0; }

const char* phase_name(int p) {
  return p == 0 ? "end of forward (activations + logits)" : p == 1 ? "start of backward (activations + loss gradients)"
                                                                   : "optimizer step (gradients + optimizer temporaries)";
}

Model build(const Common& c, const Job& j, bool describe = true) {
  Model md;
  md.c = &c;
  md.job = j;
  md.st = model_states(c, j, describe);
  md.act = activations(c, j, describe);
  md.fixed_alloc = kCublasWorkspaceBytes;
  const int groups = (j.dp > 1 ? 1 : 0) + (j.tp > 1 ? 1 : 0) + (j.pp > 1 ? 1 : 0) + (j.cp > 1 ? 1 : 0) + (j.ep > 1 ? 1 : 0);
  md.outside = cuda_context_bytes(c.gpu) + kNcclBytesPerCommunicator * groups;
  md.capacity = static_cast<double>(c.gpu.memory_bytes);
  return md;
}

// Largest integer x in [lo, hi] with ok(x), assuming ok is monotone (true then false); 0 if none.
template <typename F>
int64_t largest(int64_t lo, int64_t hi, F ok) {
  if (!ok(lo)) return 0;
  if (ok(hi)) return hi;
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (ok(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace

Result<Estimate> estimate_training(const Common& c, Fields& f) {
  std::vector<std::string> warnings;
  auto parsed = parse_training_job(c, f, warnings);
  if (!parsed) return parsed.error();
  const Job& j = *parsed;
  const ModelSpec& m = c.model;
  // A sweep's trial needs the figures, not their explanation (formulas' substituted numbers, the
  // values objects): building those is most of an estimate's cost.
  const bool say = !c.sweep_trial;
  auto V = [say](auto make) -> Value { return say ? make() : Value::object(); };
  const Model md = build(c, j, say);
  const States& st = md.st;
  const Activations& A = md.act;
  const double b = static_cast<double>(j.micro_batch_size), s = static_cast<double>(j.seq_len);
  const double tokens = b * s;
  const Peak3 pk = md.eval(b, s);
  Estimate e;

  // ---- Components: each at its own largest size during the step, with its formula and the
  // numbers put into it ("substituted"); the peaks below say which of them coexist.
  auto count = [](double x) { return to_bytes(std::round(x)); };
  const bool lora = j.method == Method::lora || j.method == Method::qlora;
  const int N = std::max(1, j.shard_group);
  const double weights = st.frozen + st.frozen_gathered + st.train_weights;
  e.add("weights", weights,
        "frozen tensors · bytes(format) + trainable · bytes(recipe), / (tp·pp) [/ shard group under ZeRO-3 / FSDP full shard]",
        V([&] { Value v = Value::object({{"params", c.params.total}, {"format", j.base_format.name}, {"base_bytes_per_param", j.base_bytes},
                       {"trainable_bytes", count(st.train_weights)}, {"frozen_bytes", count(st.frozen)},
                       {"fsdp_gathered_frozen_bytes", count(st.frozen_gathered)}, {"shard_group", N},
                       {"zero_stage", j.zero_stage}, {"tp", j.tp}, {"pp", j.pp},
                       {"substituted", "frozen " + num(st.frozen) + " B + trainable " + num(st.train_weights) + " B" +
                                           (st.frozen_gathered > 0 ? " + gathered frozen " + num(st.frozen_gathered) + " B" : "")}});
          if (st.vision > 0) v.set("frozen_vision_tower_bytes", count(st.vision));  // before sharding, on the first stage
          return v; }),
        lora ? "Frozen base weights in their storage format (quantized linears, 16-bit embeddings and norms)."
             : "Model weights resident on one GPU.");
  if (st.adapter_weights > 0 || lora)
    e.add("trainable_weights", st.adapter_weights, "Σ_targets r·(in + out) [+ out for DoRA] · bytes(adapter)",
          V([&] { return Value::object({{"adapter_params", count(st.adapter_params)}, {"r", j.lora_r}, {"adapter_bytes", j.adapter_bytes},
                         {"substituted", num(st.adapter_params) + " × " + num(j.adapter_bytes) + " B"}}); }),
          "LoRA/DoRA adapters and PEFT modules_to_save copies.");
  if (st.master > 0)
    e.add("master_weights", st.master, "trainable · 4 B (fp32 master) / shard group",
          V([&] { return Value::object({{"trainable_params", count(st.trainable)},
                         {"substituted", num(st.trainable) + " × 4 B / " + num(N)}}); }),
          "fp32 master copy kept by the mixed-precision optimizer.");
  const double grads = std::max(st.grads, st.in_backward_grad);
  e.add("gradients", grads,
        j.optimizer_in_backward ? "largest single gradient (optimizer in backward frees each after its step)"
                                : "trainable · bytes(grad) [/ shard group under ZeRO-2/3] [+ DeepSpeed fp32 partition]",
        V([&] { return Value::object({{"trainable_params", count(st.trainable)}, {"persist_between_steps", st.grads_persist},
                       {"substituted", num(grads) + " B"}}); }),
        "Gradients of the trainable parameters.");
  e.add("optimizer_states", st.optimizer + st.paged,
        "Σ_tensors state bytes (" + j.optimizer + ") [/ shard group under ZeRO ≥ 1]",
        V([&] { return Value::object({{"optimizer", j.optimizer}, {"torch_counted_bytes", count(st.optimizer)}, {"paged_bytes", count(st.paged)},
                       {"offloaded_to_host", j.offload_optimizer},
                       {"substituted", num(st.optimizer) + " B counted by torch + " + num(st.paged) + " B paged"}}); }),
        j.paged ? "Paged states live in CUDA managed memory: outside torch's counters, resident while the GPU has room."
                : "Optimizer moments (and quantization statistics).");
  if (st.step_transient > 0)
    e.add("optimizer_transient", st.step_transient,
          j.opt_impl == OptImpl::foreach ? "trainable · state bytes (foreach: exp_avg_sq_sqrt = _foreach_sqrt(exp_avg_sqs))"
                                         : "largest parameter · 4 B (per-parameter step)",
          V([&] { return Value::object({{"implementation", j.opt_impl == OptImpl::foreach ? "foreach" : "for-loop"},
                         {"substituted", num(st.step_transient) + " B"}}); }),
          "Temporaries of the optimizer step.");
  const double saved = train::eval(A.saved, tokens, s), work = train::eval(A.work, tokens, s);
  const double act_bytes = saved + work;
  const double tok = tokens * A.sequences;
  e.add("activations", act_bytes,
        j.ckpt == Ckpt::full ? "layers · checkpointed input · tokens + one recomputed layer + its gradient temporaries"
                             : "layers · per-layer saved tensors · tokens (norm inputs, q/k/v, attention out, MLP intermediates) + temporaries",
        V([&] { return Value::object({{"micro_batch_size", j.micro_batch_size}, {"seq_len", j.seq_len}, {"tokens", count(tok)},
                       {"saved_bytes", count(saved)}, {"backward_working_set_bytes", count(work)},
                       {"details", A.values}, {"offloaded_to_host_bytes", count(train::eval(A.offloaded, tokens, s))},
                       {"substituted", num(A.layers_here) + " layers × " +
                                           num(j.ckpt == Ckpt::full ? A.ckpt_per_token : A.layer_per_token) + " B × " + num(tok) +
                                           " tokens (+ final norm) + working set " + num(work) + " B"}}); }),
        "Tensors saved in the forward pass for the backward pass.");
  const double lf = train::eval(A.loss_fwd, tokens, s), lb = train::eval(A.loss_bwd, tokens, s);
  e.add("logits", std::max(lf, lb), "tokens · bytes per token of the loss path",
        V([&] { return Value::object({{"vocab_size", m.vocab_size}, {"forward_bytes", count(lf)}, {"backward_bytes", count(lb)},
                       {"substituted", num(tok) + " tokens × " + num(std::max(lf, lb) / std::max(1.0, tok)) + " B"}}); }),
        "Output logits, the loss and their gradients.");
  if (st.gathered + st.bucket > 0)
    e.add("sharding_buffers", st.gathered + st.bucket,
          st.pipeline_unsharded ? "the pipeline stage unsharded (16-bit params + fp32 accumulated grads) + root unit + buckets"
                                : "2 gathered layers + root unit [+ unsharded grads] + buckets",
          V([&] { return Value::object({{"gathered_bytes", count(st.gathered)}, {"bucket_bytes", count(st.bucket)},
                         {"layer_bytes", count(st.layer_stored_bytes)},
                         {"substituted", "2 × " + num(st.layer_stored_bytes) + " B + root + grads = " + num(st.gathered) +
                                             " B; buckets " + num(st.bucket) + " B"}}); }),
          "ZeRO-3/FSDP gathered parameters and communication buckets.");
  if (st.cast_copies > 0)
    e.add("autocast_copies", st.cast_copies, "fp32 weights used in matmuls · 2 B (autocast 16-bit copies)",
          V([&] { return Value::object({{"substituted", num(st.cast_copies / 2) + " × 2 B"}}); }),
          "16-bit copies of fp32 weights made by autocast, alive from forward to backward.");
  e.add("workspaces", md.fixed_alloc + st.dequant, "cuBLAS workspace + one dequantized weight",
        V([&] { return Value::object({{"cublas_bytes", count(md.fixed_alloc)}, {"dequant_bytes", count(st.dequant)}}); }), "Library workspaces.");
  if (st.rollout > 0)
    e.add("rollout_engine", st.rollout, "KV cache of the co-located generation engine", Value::object(),
          "Rollout generation for PPO/GRPO.");
  e.add("framework_overhead", md.outside, "CUDA context + NCCL communicator buffers",
        V([&] { return Value::object({{"cuda_context_bytes", count(cuda_context_bytes(c.gpu))}, {"nccl_bytes", count(md.outside - cuda_context_bytes(c.gpu))}}); }),
        "Per-process memory outside PyTorch's allocator.");
  e.add("allocator_cache", pk.reserved - pk.allocated, "reserved − allocated (caching allocator)",
        V([&] { return Value::object({{"slack_fraction", kAllocatorSlack}, {"vocab_fragmentation", j.profile->vocab_fragmentation}}); }),
        "Freed blocks the caching allocator keeps.");

  // Keep the sum of the components inside int64 for absurd-but-valid requests (100 PB each).
  for (auto& comp : e.components) comp.bytes = std::min<int64_t>(comp.bytes, int64_t{100'000'000'000'000'000});
  e.peak.allocated_bytes = to_bytes(pk.allocated);
  e.peak.reserved_bytes = to_bytes(pk.reserved);
  e.peak.device_bytes = to_bytes(pk.device);
  e.low_bytes = to_bytes(pk.allocated + md.outside);
  e.high_bytes = to_bytes(pk.device + 0.25 * pk.dynamic + 0.05 * pk.device);
  e.fits = pk.fits;

  // ---- Host RAM: offloaded states and activations of the ranks of one node ------------------
  const double ranks_here = std::min(j.num_gpus, 8);
  e.host_bytes = to_bytes((st.host + train::eval(A.offloaded, tokens, s)) * ranks_here + kHostBytesPerProcess * ranks_here);

  // ---- Reverse solvers ----------------------------------------------------------------------
  const bool solve = !c.sweep_trial;
  const int64_t max_b = solve ? largest(1, 1 << 16, [&](int64_t x) { return md.eval(static_cast<double>(x), s).fits; }) : 0;
  const int64_t max_s = solve ? largest(1, 1 << 24, [&](int64_t x) { return md.eval(b, static_cast<double>(x)).fits; }) : 0;
  int64_t need = 0;
  std::string need_layout = "as requested";
  if (solve) {
    // Per-GPU memory falls as the shard group grows, so the fewest GPUs is a bisection over dp
    // (×tp·pp·cp per replica); a layout that shards nothing gets the same answer for any dp and is
    // retried with ZeRO-3 / FSDP full shard.
    const int per_replica = j.tp * j.pp * j.cp;
    auto fits_with = [&](int64_t dp, bool force_shard) {
      Job k = j;
      k.dp = static_cast<int>(dp);
      k.num_gpus = static_cast<int>(dp) * per_replica;
      k.shard_group = k.dp * k.cp;
      if (force_shard && k.zero_stage < 3) {
        k.engine = j.profile->multi_gpu == Engine::fsdp ? Engine::fsdp : Engine::deepspeed;
        k.zero_stage = 3;
      }
      if (dp > 1 && k.engine == Engine::single) k.engine = Engine::ddp;
      return build(c, k, false).eval(b, s).fits;
    };
    auto fewest = [&](bool force_shard) -> int64_t {
      constexpr int64_t kMaxDp = 1024;
      if (!fits_with(kMaxDp, force_shard)) return 0;
      int64_t lo = 0, hi = kMaxDp;  // fits_with(hi) holds, fits_with(lo) does not (lo = 0: none tried)
      if (fits_with(1, force_shard)) return 1;
      lo = 1;
      while (hi - lo > 1) {
        const int64_t mid = lo + (hi - lo) / 2;
        (fits_with(mid, force_shard) ? hi : lo) = mid;
      }
      return hi;
    };
    const bool shards = (j.zero_stage > 0 && j.engine != Engine::ddp) || j.engine == Engine::megatron;
    if (pk.fits || shards) need = fewest(false) * per_replica;
    if (need == 0) {
      need = fewest(true) * per_replica;
      if (need > 0) need_layout = "ZeRO-3 / FSDP full shard";
    }
  }
  e.num_gpus_needed = need;

  // ---- Warnings --------------------------------------------------------------------------------
  if (j.kernel_fallback)
    warnings.push_back("FlashAttention-2 needs an Ampere or newer GPU; " + c.gpu.name +
                       " runs SDPA's memory-efficient kernel instead (estimated so)");
  if (!c.gpu.bf16 && (j.precision == "bf16" || j.precision == "amp-bf16"))
    warnings.push_back(c.gpu.name + " has no bf16 support: use fp16 or amp-fp16");
  if (!j.seq_len_given) warnings.push_back("seq_len is null (unknown): estimated at 2048 tokens");
  if (st.paged > 0 && pk.device - pk.reserved - md.outside < st.paged)
    warnings.push_back("paged optimizer state does not fit beside the rest: part of it pages to host RAM every step (slow)");
  if (j.method == Method::qlora && j.zero_stage >= 3 && !j.quant_shardable)
    warnings.push_back("4-bit weights with quant_storage uint8 are not sharded by ZeRO-3/FSDP; set qlora.quant_storage to \"bf16\"");
  if (!pk.fits)
    warnings.push_back("does not fit: needs " + gib_text(pk.allocated + md.outside) + " GiB of " + gib_text(md.capacity) +
                       " GiB even with the allocator cache emptied");
  else if (static_cast<double>(e.high_bytes) > md.capacity)
    // Near capacity the caching allocator frees and retries instead of growing; fragmentation or a
    // longer-than-modelled batch then tips it over (NOTES-training §2: readings within ~5 % of the
    // card are "fits", not requirements).
    warnings.push_back("fits with little headroom: " + gib_text(pk.allocated + md.outside) + " GiB of " +
                       gib_text(md.capacity) + " GiB allocated, and the range's high end (" +
                       gib_text(static_cast<double>(e.high_bytes)) +
                       " GiB) exceeds the GPU — fragmentation or a longer batch can still run out of memory");
  for (auto& w : warnings) e.warnings.push_back(std::move(w));

  // ---- Extra figures ---------------------------------------------------------------------------
  const double dyn_reserved = pk.reserved - md.base();
  const double p99 = j.dynamic_padding ? md.base() + kDynamicPaddingP99 * dyn_reserved : pk.reserved;
  const double mean = j.dynamic_padding ? md.base() + kDynamicPaddingMean * dyn_reserved : pk.reserved;
  e.extra.set("num_trainable_params", to_bytes(std::round(st.trainable)));
  e.extra.set("peak_phase", phase_name(pk.phase));
  e.extra.set("fits", pk.fits);
  if (solve) {
    e.extra.set("max_micro_batch_size_fit", max_b);
    e.extra.set("max_seq_len_fit", max_s);
    e.extra.set("num_gpus_needed_layout", need_layout);
  }
  e.extra.set("reserved_p99_bytes", to_bytes(p99));
  e.extra.set("reserved_avg_bytes", to_bytes(mean));
  e.extra.set("reserved_after_model_init_bytes", to_bytes(st.frozen + st.train_weights + st.adapter_weights + st.master + md.fixed_alloc));
  e.extra.set("paged_optimizer_bytes", to_bytes(st.paged));
  e.extra.set("host_offloaded_bytes_per_rank", to_bytes(st.host + train::eval(A.offloaded, tokens, s)));
  e.extra.set("framework_profile", std::string(j.profile->name));
  return e;
}

}  // namespace llmsizer
