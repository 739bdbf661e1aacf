// The form: every request field the page offers, its default, its allowed values and the name
// the ecosystem gives it (PEFT, DeepSpeed, vLLM …), shown in the help text. Labels and help
// sentences live in i18n.js ("f.<id>", "h.<id>"). `id` is the request key, dotted for nested
// objects (lora.r -> {lora: {r}}); `key` overrides it where two views share a request key.
// d: default (null = leave it to the core); show: when the field applies.
const lora = (v) => v.method === 'lora' || v.method === 'qlora' || v.method === 'dora';

export const FIELDS = [
  // Common to every view.
  { id: 'model', t: 'model', d: 'meta-llama/Llama-3.1-8B', eco: 'AutoConfig.from_pretrained(id) · config.json' },
  { id: 'gpu', t: 'gpu', d: 'rtx-4090', eco: 'nvidia-smi --query-gpu=name,memory.total' },
  { id: 'gpu_mem_gib', t: 'num', d: 24, min: 0.5, step: 0.5, show: (v) => v.gpu === 'custom', eco: 'nvidia-smi memory.total (MiB) / 1024' },
  { id: 'gpu_bw_gbs', t: 'num', d: 1000, min: 1, show: (v) => v.gpu === 'custom', eco: 'spec sheet: memory bandwidth (GB/s)' },
  { id: 'gpu_tflops', t: 'num', d: 100, min: 1, show: (v) => v.gpu === 'custom', eco: 'spec sheet: dense BF16 tensor TFLOPS' },
  { id: 'gpu_usd_h', t: 'num', d: null, min: 0, step: 0.01, show: (v) => v.gpu === 'custom', eco: 'price per GPU-hour (USD)' },

  // Training.
  { id: 'method', v: 'train', t: 'select', d: 'lora', o: ['full', 'lora', 'qlora', 'dora', 'freeze'], eco: 'LLaMA-Factory finetuning_type; QLoRA = quantization_bit: 4 + LoRA; DoRA = PEFT use_dora=True' },
  { id: 'stage', v: 'train', t: 'select', d: 'sft', o: ['sft', 'pt', 'dpo', 'orpo', 'simpo', 'kto', 'ppo', 'grpo'], eco: 'LLaMA-Factory stage · TRL SFTTrainer, DPOTrainer, ORPOTrainer, KTOTrainer, PPOTrainer, GRPOTrainer' },
  { id: 'precision', v: 'train', t: 'select', d: 'bf16', o: ['bf16', 'fp16', 'fp32', 'amp-bf16', 'amp-fp16'], eco: 'TrainingArguments bf16=True / fp16=True (amp-*); LLaMA-Factory pure_bf16 (bf16); Lightning precision="bf16-true" | "bf16-mixed"' },
  { id: 'optimizer', v: 'train', t: 'select', d: 'adamw', o: ['adamw', 'adam', 'sgd', 'sgd-momentum', 'adamw-8bit', 'paged-adamw-8bit', 'paged-adamw', 'paged-adamw-32bit', 'adafactor', 'lion', 'lion-8bit', 'paged-lion-8bit', 'galore-adamw', 'galore-adamw-8bit', 'galore-adafactor'], eco: 'TrainingArguments optim= adamw_torch, adamw_bnb_8bit, paged_adamw_8bit, paged_adamw_32bit, adafactor, lion_32bit, lion_8bit, paged_lion_8bit, galore_adamw, sgd' },
  { id: 'micro_batch_size', v: 'train', t: 'int', d: 1, min: 1, eco: 'per_device_train_batch_size; DeepSpeed train_micro_batch_size_per_gpu' },
  { id: 'seq_len', v: 'train', t: 'int', d: 2048, min: 1, eco: 'max_seq_length (TRL) · cutoff_len (LLaMA-Factory) · sequence_len (Axolotl)' },
  { id: 'mean_seq_len', v: 'train', t: 'int', d: null, min: 1, eco: 'mean tokens per sample of the dataset after truncation (speed only)' },
  { id: 'gradient_accumulation_steps', v: 'train', t: 'int', d: 1, min: 1, eco: 'TrainingArguments gradient_accumulation_steps' },
  { id: 'num_gpus', v: 'train', t: 'int', d: 1, min: 1, eco: 'torchrun --nproc_per_node · deepspeed --num_gpus' },
  { id: 'lora.r', v: 'train', g: 'peft', t: 'int', d: 16, min: 1, show: lora, eco: 'PEFT LoraConfig(r=…) · lora_rank' },
  { id: 'lora.alpha', v: 'train', g: 'peft', t: 'num', d: 32, min: 0, show: lora, eco: 'PEFT LoraConfig(lora_alpha=…)' },
  { id: 'lora.target_modules', v: 'train', g: 'peft', t: 'list', d: 'all-linear', show: lora, eco: 'PEFT LoraConfig(target_modules="all-linear" | ["q_proj","v_proj"])' },
  { id: 'lora.use_dora', v: 'train', g: 'peft', t: 'bool', d: false, show: lora, eco: 'PEFT LoraConfig(use_dora=True)' },
  { id: 'qlora.quant_type', v: 'train', g: 'peft', t: 'select', d: 'nf4', o: ['nf4', 'fp4', 'int8', 'bnb-int8', 'gptq-int4', 'gptq-int8', 'awq-int4', 'hqq-int4', 'fp8'], show: (v) => v.method === 'qlora', eco: 'BitsAndBytesConfig(bnb_4bit_quant_type=…) · load_in_8bit · GPTQ/AWQ/HQQ base' },
  { id: 'qlora.double_quant', v: 'train', g: 'peft', t: 'bool', d: true, show: (v) => v.method === 'qlora', eco: 'BitsAndBytesConfig(bnb_4bit_use_double_quant=…)' },
  { id: 'trainable_layers', v: 'train', g: 'peft', t: 'int', d: 2, min: 0, show: (v) => v.method === 'freeze', eco: 'LLaMA-Factory freeze_trainable_layers' },
  { id: 'gradient_checkpointing', v: 'train', g: 'savers', t: 'select', d: 'full', o: ['none', 'selective', 'full', 'offload'], eco: 'TrainingArguments gradient_checkpointing · Megatron --recompute-granularity · Unsloth use_gradient_checkpointing="unsloth" (offload)' },
  { id: 'attention', v: 'train', g: 'savers', t: 'select', d: 'flash_attention_2', o: ['flash_attention_2', 'flash_attention_3', 'sdpa', 'flex_attention', 'eager'], eco: 'from_pretrained(attn_implementation=…)' },
  { id: 'loss', v: 'train', g: 'savers', t: 'select', d: 'standard', o: ['standard', 'chunked', 'fused'], eco: 'chunked: torchtune CEWithChunkedOutputLoss · fused: Liger fused linear cross-entropy, Unsloth, Cut Cross-Entropy' },
  { id: 'framework', v: 'train', g: 'savers', t: 'select', d: 'transformers', o: ['transformers', 'deepspeed', 'fsdp', 'megatron', 'unsloth', 'torchtune', 'llama-factory', 'axolotl', 'swift', 'peft', 'trl', 'nemo', 'colossalai', 'other'], eco: 'the launcher: its fixed memory overhead profile' },
  { id: 'zero_stage', v: 'train', g: 'parallel', t: 'select', d: 0, o: [0, 1, 2, 3], eco: 'DeepSpeed zero_optimization.stage · FSDP FULL_SHARD ≈ 3, SHARD_GRAD_OP ≈ 2' },
  { id: 'offload_optimizer', v: 'train', g: 'parallel', t: 'select', d: 'none', o: ['none', 'cpu', 'nvme'], show: (v) => v.zero_stage > 0, eco: 'DeepSpeed zero_optimization.offload_optimizer.device' },
  { id: 'offload_param', v: 'train', g: 'parallel', t: 'select', d: 'none', o: ['none', 'cpu', 'nvme'], show: (v) => v.zero_stage === 3, eco: 'DeepSpeed zero_optimization.offload_param.device · FSDP CPUOffload' },
  { id: 'parallel.tp', v: 'train', g: 'parallel', t: 'int', d: null, min: 1, eco: 'Megatron --tensor-model-parallel-size' },
  { id: 'parallel.pp', v: 'train', g: 'parallel', t: 'int', d: null, min: 1, eco: 'Megatron --pipeline-model-parallel-size' },
  { id: 'parallel.dp', v: 'train', g: 'parallel', t: 'int', d: null, min: 1, eco: 'data-parallel size (default num_gpus / (tp·pp·cp))' },
  { id: 'parallel.cp', v: 'train', g: 'parallel', t: 'int', d: null, min: 1, eco: 'Megatron --context-parallel-size (ring attention)' },
  { id: 'parallel.ep', v: 'train', g: 'parallel', t: 'int', d: null, min: 1, eco: 'Megatron --expert-model-parallel-size' },
  { id: 'parallel.sequence_parallel', v: 'train', g: 'parallel', t: 'bool', d: false, eco: 'Megatron --sequence-parallel' },

  // Inference.
  { id: 'backend', v: 'infer', t: 'select', d: 'vllm', o: ['vllm', 'sglang', 'tgi', 'tensorrt-llm', 'transformers', 'pytorch', 'fastchat', 'llama.cpp'], eco: 'vllm serve · python -m sglang.launch_server · text-generation-launcher · trtllm-serve · llama-server' },
  { id: 'quantization', v: 'infer', t: 'select', d: 'none', o: ['none', 'fp8', 'int8', 'gptq-int4', 'gptq-int8', 'gptq-int3', 'gptq-int2', 'awq-int4', 'bnb-int8', 'bnb-nf4', 'bnb-nf4-dq', 'bnb-fp4', 'bnb-fp4-dq', 'mxfp4', 'nvfp4', 'int4', 'gguf-q8_0', 'gguf-q6_k', 'gguf-q5_k_m', 'gguf-q5_k_s', 'gguf-q5_1', 'gguf-q5_0', 'gguf-q4_k_m', 'gguf-q4_k_s', 'gguf-q4_1', 'gguf-q4_0', 'gguf-iq4_xs', 'gguf-iq4_nl', 'gguf-q3_k_l', 'gguf-q3_k_m', 'gguf-q3_k_s', 'gguf-iq3_xxs', 'gguf-q2_k', 'gguf-iq2_xxs', 'gguf-iq6_k', 'gguf-iq5_k', 'gguf-iq4_k', 'gguf-iq4_ks', 'gguf-iq3_k', 'gguf-iq2_k', 'gguf-f16', 'gguf-bf16', 'gguf-f32'], eco: 'vLLM --quantization fp8|gptq|awq|bitsandbytes · GGUF file type (llama-quantize)' },
  { id: 'dtype', v: 'infer', t: 'select', d: 'auto', o: ['auto', 'bfloat16', 'float16', 'float32'], eco: 'vLLM --dtype · TGI --dtype' },
  { id: 'kv_cache_dtype', v: 'infer', t: 'select', d: 'auto', o: ['auto', 'fp16', 'bf16', 'fp32', 'fp8', 'fp8_e4m3', 'fp8_e5m2', 'int8', 'q8_0', 'q5_1', 'q5_0', 'q4_1', 'q4_0'], eco: 'vLLM --kv-cache-dtype · llama.cpp --cache-type-k/--cache-type-v' },
  { id: 'mode', v: 'infer', t: 'select', d: 'latency', o: ['latency', 'offline', 'serving'], eco: 'vLLM benchmarks: latency · throughput · serving' },
  { id: 'batch_size', v: 'infer', t: 'int', d: 1, min: 1, eco: 'concurrent requests (benchmark --batch-size / --max-concurrency)' },
  { id: 'input_len', v: 'infer', t: 'int', d: 1024, min: 0, eco: 'prompt tokens (benchmark --input-len)' },
  { id: 'output_len', v: 'infer', t: 'int', d: 256, min: 0, eco: 'generated tokens (benchmark --output-len)' },
  { id: 'max_model_len', v: 'infer', t: 'int', d: 8192, min: 1, eco: 'vLLM --max-model-len · SGLang --context-length · llama.cpp --ctx-size · TGI --max-total-tokens' },
  { id: 'tensor_parallel_size', v: 'infer', g: 'engine', t: 'int', d: 1, min: 1, eco: 'vLLM --tensor-parallel-size · SGLang --tp · TGI --num-shard' },
  { id: 'pipeline_parallel_size', v: 'infer', g: 'engine', t: 'int', d: 1, min: 1, eco: 'vLLM --pipeline-parallel-size' },
  { id: 'infer_num_gpus', key: 'num_gpus', v: 'infer', g: 'engine', t: 'int', d: null, min: 1, eco: 'GPUs in the job (default tp × pp)' },
  { id: 'gpu_memory_utilization', v: 'infer', g: 'engine', t: 'num', d: null, min: 0.01, max: 1, step: 0.01, eco: 'vLLM --gpu-memory-utilization · SGLang --mem-fraction-static · TRT-LLM kv_cache_free_gpu_mem_fraction' },
  { id: 'max_num_seqs', v: 'infer', g: 'engine', t: 'int', d: null, min: 1, eco: 'vLLM --max-num-seqs · SGLang --max-running-requests' },
  { id: 'max_num_batched_tokens', v: 'infer', g: 'engine', t: 'int', d: null, min: 1, eco: 'vLLM --max-num-batched-tokens · SGLang --chunked-prefill-size' },
  { id: 'block_size', v: 'infer', g: 'engine', t: 'int', d: null, min: 1, eco: 'vLLM --block-size · TRT-LLM tokens_per_block' },

  // Recommendation: the job's own fields come from the Training or Inference tab.
  { id: 'job', v: 'recommend', t: 'select', d: 'train', o: ['train', 'infer'] },
  { id: 'objective', v: 'recommend', t: 'select', d: 'best_value', o: ['best_value', 'cheapest', 'fastest'] },
  { id: 'max_num_gpus', v: 'recommend', t: 'int', d: 8, min: 1 },
  { id: 'candidates', v: 'recommend', t: 'gpus', d: 'all' },
  { id: 'min_tokens_per_s', v: 'recommend', g: 'targets', t: 'num', d: null, min: 0 },
  { id: 'max_ttft_s', v: 'recommend', g: 'targets', t: 'num', d: null, min: 0, step: 0.01 },
  { id: 'max_hours', v: 'recommend', g: 'targets', t: 'num', d: null, min: 0 },
  { id: 'budget_usd_per_hour', v: 'recommend', g: 'targets', t: 'num', d: null, min: 0 },
];

/** Sets a dotted request key: put(r, 'lora.r', 16) -> r.lora.r = 16. */
export function put(o, path, v) {
  const ks = path.split('.');
  for (const k of ks.slice(0, -1)) o = o[k] ??= {};
  o[ks.at(-1)] = v;
}

export const BY_ID = Object.fromEntries(FIELDS.map((f) => [f.id, f]));

/** The sweeps behind the two charts: which request key each view varies, and over what. */
export const SWEEPS = {
  train: { seq: 'seq_len', batch: 'micro_batch_size' },
  infer: { seq: 'input_len', batch: 'batch_size' },
};
export const SEQ_POINTS = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
export const BATCH_POINTS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
