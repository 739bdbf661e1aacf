// llm-sizer JS API — hand-written types for dist/llm-sizer.js.
// The request and response objects follow the JSON contract documented in docs/api.md.

/** Thrown when the core refuses a request. `path` is a JSON pointer into the request. */
export class SizerError extends Error {
  readonly name: 'SizerError';
  /** Stable machine code: "invalid_value", "out_of_range", "unknown_model", "unknown_gpu", … */
  readonly code: string;
  /** JSON pointer of the offending field, e.g. "/micro_batch_size"; "" for the whole request. */
  readonly path: string;
}

export type Task = 'train' | 'infer' | 'recommend';

/** A request: common fields plus the task's own (docs/api.md lists them all). */
export interface Request {
  task: Task;
  /** A preset id ("meta-llama/Llama-3.1-8B") or a Hugging Face config.json object. */
  model: string | Record<string, unknown>;
  /** A catalog id ("h100-sxm-80gb") or a spec object with at least memory_bytes. */
  gpu?: string | GpuSpec;
  num_gpus?: number;
  [field: string]: unknown;
}

export interface GpuSpec {
  id?: string;
  name?: string;
  memory_bytes: number;
  memory_bandwidth_bytes_per_s?: number;
  dense_bf16_flops?: number;
  [field: string]: unknown;
}

export interface Component {
  /** Stable ids: weights, trainable_weights, gradients, optimizer_states, activations, logits,
   * framework_overhead (training); weights, kv_cache, activations, runtime_overhead, cuda_graphs (inference). */
  id: string;
  bytes: number;
  formula: string;
  values: Record<string, unknown>;
  explanation: string;
}

export interface Response {
  ok: true;
  task: Task;
  model: Record<string, unknown> & { params: number; active_params: number };
  gpu: { id: string; name: string; memory_bytes: number };
  per_gpu: {
    components: Component[];
    total_bytes: number;
    peak: { allocated_bytes: number; reserved_bytes: number; device_bytes: number };
  };
  range: { low_bytes: number; high_bytes: number };
  host_bytes: number;
  fits: boolean;
  num_gpus: number;
  kv_cache?: {
    bytes_per_token: number;
    capacity_tokens: number;
    max_concurrency: number;
    block_size: number;
    num_blocks: number;
    max_context_fit: number;
  };
  performance: Record<string, number>;
  extra?: Record<string, unknown>;
  warnings: string[];
}

export interface ModelListing {
  id: string;
  name: string;
  family: string;
  model_type: string;
  params: number;
  active_params: number;
  params_stated?: number;
  [field: string]: unknown;
}

/** A recommendation request: task "recommend", job "infer" | "train" with that job's fields. */
export interface RecommendRequest extends Omit<Request, 'task'> {
  task: 'recommend';
  job?: 'infer' | 'train';
  /** GPU ids to consider, or "all" (default). */
  candidates?: string[] | 'all';
  max_num_gpus?: number;
  objective?: 'cheapest' | 'fastest' | 'best_value';
  /** "china": leave out GPUs that cannot be sold in mainland China (catalog attribute markets.china). */
  market?: 'any' | 'china';
  min_tokens_per_s?: number;
  max_ttft_s?: number;
  max_hours?: number;
  budget_usd_per_hour?: number;
  max_options?: number;
}

export interface RecommendOption {
  gpu: string;
  gpu_name: string;
  num_gpus: number;
  layout: { tp: number; pp: number; dp: number; zero_stage?: number };
  per_gpu_total_bytes: number;
  gpu_memory_bytes: number;
  fits: boolean;
  tokens_per_s: number | null;
  usd_per_hour: number | null;
  usd_per_million_tokens: number | null;
  /** What binds (memory, targets, price) and what smaller layouts lack. */
  why: string;
}

export interface RecommendResponse {
  ok: true;
  task: 'recommend';
  job: 'infer' | 'train';
  objective: string;
  model: { id: string; params: number };
  options: RecommendOption[];
  rejected: Array<{ gpu: string; reason: string }>;
  warnings: string[];
}

export interface Sizer {
  /** Estimates memory (and speed) for a training or inference request. Throws SizerError. */
  estimate(request: Request | string): Response;
  /** Ranks GPUs × counts × layouts for a job. Throws SizerError. */
  recommend(request: RecommendRequest | string): RecommendResponse;
  /** The model presets with their parameter counts. */
  models(): ModelListing[];
  /** The GPU catalog records, with their sources. */
  gpus(): Array<GpuSpec & { id: string; name: string; sources: unknown[] }>;
  version(): string;
}

/** Loads the wasm core once; later calls return the same promise. */
export default function createSizer(): Promise<Sizer>;
export { createSizer };
