export { WasmPolicy } from './wasm-policy.js';
export type { Decision } from './wasm-policy.js';
export { normalizeEntrypoint } from './entrypoint.js';
