import createSizer from './llm-sizer.js';

const GIB = 2 ** 30;
const sizer = await createSizer();
const request = { task: 'infer', model: 'meta-llama/Llama-3.1-8B', gpu: 'h100-sxm-80gb', backend: 'vllm' };
const r = sizer.estimate(request);
document.querySelector('[data-testid="total-memory"]').textContent = `${(r.per_gpu.total_bytes / GIB).toFixed(2)} GiB`;
const list = document.getElementById('components');
for (const c of r.per_gpu.components) {
  const li = document.createElement('li');
  li.dataset.testid = `component-${c.id}`;
  li.textContent = `${c.id}: ${(c.bytes / GIB).toFixed(2)} GiB`;
  list.append(li);
}
