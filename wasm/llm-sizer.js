// llm-sizer JS API: an ES module that loads the wasm core in browsers and in node >= 18, with
// no bundler. createSizer() returns a memoised promise (sql.js's initSqlJs pattern); methods
// take and return plain objects; a refused request throws SizerError {code, path, message}.
import createLlmSizerCore from './llm-sizer-core.mjs';

export class SizerError extends Error {
  constructor({ code, path, message }) {
    super(message);
    this.name = 'SizerError';
    this.code = code;
    this.path = path;
  }
}

function call(fn, request) {
  const text = typeof request === 'string' ? request : JSON.stringify(request);
  const answer = JSON.parse(fn(text));
  if (!answer.ok) throw new SizerError(answer.error);
  return answer;
}

function wrap(core) {
  let models;
  let gpus;
  return Object.freeze({
    estimate: (request) => call(core.estimate, request),
    recommend: (request) => call(core.recommend, request),
    models: () => (models ??= JSON.parse(core.models()).models),
    gpus: () => (gpus ??= JSON.parse(core.gpus()).gpus),
    version: () => core.version(),
  });
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
let instance;

export default function createSizer() {
  instance ??= (async () => {
    const options = {};
    if (isNode) {
      // node's fetch cannot read file:// URLs: hand the bytes over (TOOLCHAIN.md trap 3).
      const { readFile } = await import('node:fs/promises');
      options.wasmBinary = await readFile(new URL('./llm-sizer-core.wasm', import.meta.url));
    }
    return wrap(await createLlmSizerCore(options));
  })();
  return instance;
}

export { createSizer };
