import { loadPolicy } from '@open-policy-agent/opa-wasm';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { AppError, canonicalJsonBytes, messageOf, type JsonValue } from '../core/index.js';
import { WASM_PATH, type LoadedBundle } from '../bundle/index.js';
import { normalizeEntrypoint } from './entrypoint.js';

/** 64 KiB pages: start small, and cap growth so one hostile input cannot take the process's memory. */
const MEMORY = { initial: 5, maximum: 4096 } as const;

export type Decision = { readonly defined: true; readonly result: unknown } | { readonly defined: false };

/**
 * A bundle's Wasm module loaded with its data, evaluated in-process. Not
 * re-entrant: one instance serves one evaluation at a time.
 */
export class WasmPolicy {
  private constructor(
    private readonly policy: LoadedPolicy,
    readonly entrypoints: ReadonlySet<string>,
  ) {}

  static async fromBundle(bundle: LoadedBundle): Promise<WasmPolicy> {
    const wasm = bundle.wasm.get(WASM_PATH);
    if (!wasm) throw new AppError('BUNDLE_INVALID', 'bundle has no /policy.wasm to evaluate');
    let policy: LoadedPolicy;
    try {
      policy = await loadPolicy(wasm, { ...MEMORY });
      policy.setData(toArrayBuffer(canonicalJsonBytes(bundle.data)));
    } catch (err) {
      throw new AppError('EVAL_FAILED', `cannot load the bundle's Wasm module: ${messageOf(err)}`, { cause: err });
    }
    return new WasmPolicy(policy, new Set(Object.keys(policy.entrypoints as Record<string, number>)));
  }

  evaluate(entrypoint: string, input: JsonValue | undefined): Decision {
    const name = normalizeEntrypoint(entrypoint);
    if (!this.entrypoints.has(name)) {
      throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `entrypoint '${entrypoint}' is not in the bundle (known: ${[...this.entrypoints].sort().join(', ')})`);
    }
    let results: unknown;
    try {
      results = this.policy.evaluate(input, name);
    } catch (err) {
      throw new AppError('EVAL_FAILED', `evaluation of ${name} failed: ${messageOf(err)}`, { cause: err });
    }
    const first = Array.isArray(results) ? (results[0] as { result?: unknown } | undefined) : undefined;
    return first && 'result' in first ? { defined: true, result: first.result } : { defined: false };
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
