export { assertWasmLoads, PreparedInput, WasmPolicy } from './wasm-policy.js';
export type { Decision, DerivedField, EvaluateOptions, EvaluationLimits, SharedOptions } from './wasm-policy.js';
export { normalizeEntrypoint } from './entrypoint.js';
export { HOST_BUILTIN_NAMES, SDK_BUILTIN_NAMES, hostBuiltins, parseRfc3339Ns, parseSemver, semverCompare } from './host-builtins.js';
export type { HostBuiltin, HostBuiltinContext } from './host-builtins.js';
