import { createRequire } from 'node:module';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { AppError, canonicalJsonBytes, messageOf, type JsonValue } from '../core/index.js';
import { WASM_PATH, type LoadedBundle } from '../bundle/index.js';
import { normalizeEntrypoint } from './entrypoint.js';
import { currentTimeNs, HOST_BUILTIN_NAMES, hostBuiltins, SDK_BUILTIN_NAMES } from './host-builtins.js';

/** 64 KiB pages: start small, and cap growth so one hostile input cannot take the process's memory. */
const MEMORY = { initial: 5, maximum: 4096 } as const;

// The package's ESM entry exports only the asynchronous loader.
const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const PAGE_BYTES = 65536;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The module's exports that evaluating through opa_eval (ABI 1.2) and checking builtins use. */
interface PolicyExports {
  builtins(): number;
  opa_json_dump(addr: number): number;
  opa_eval(reserved: 0, entrypoint: number, data: number, input: number, inputLength: number, heap: number, format: 0): number;
}

export type Decision = { readonly defined: true; readonly result: unknown } | { readonly defined: false };

export interface EvaluateOptions {
  /**
   * The time `time.now_ns()` returns throughout this evaluation: ns since the
   * epoch, or a Date. Defaults to the current time, read once per evaluation.
   */
  readonly now?: bigint | Date;
}

/** Shared with the host builtins, which are bound once at load time but must see each evaluation's time. */
interface EvaluationClock {
  nowNs: bigint;
}

/**
 * A bundle's Wasm module loaded with its data, evaluated in-process. Not
 * re-entrant: one instance serves one evaluation at a time.
 */
export class WasmPolicy {
  readonly entrypoints: ReadonlySet<string>;

  private constructor(
    private readonly policy: LoadedPolicy,
    private readonly clock: EvaluationClock,
    /** Entrypoint ids by name, as the module numbers them. */
    private readonly ids: Readonly<Record<string, number>>,
  ) {
    this.entrypoints = new Set(Object.keys(ids));
  }

  static async fromBundle(bundle: LoadedBundle): Promise<WasmPolicy> {
    const wasm = bundle.wasm.get(WASM_PATH);
    if (!wasm) throw new AppError('BUNDLE_INVALID', 'bundle has no /policy.wasm to evaluate');
    const clock: EvaluationClock = { nowNs: 0n };
    let policy: LoadedPolicy;
    try {
      // The synchronous loader: the asynchronous one probes for a fetch Response, which alone loads Node's
      // HTTP client (~15 ms of a CI gate's start-up); compiling a policy module takes a few ms either way.
      policy = loadPolicySync(wasm, { ...MEMORY }, hostBuiltins({ nowNs: () => clock.nowNs }));
      assertBuiltinsAvailable(policy);
      policy.setData(toArrayBuffer(canonicalJsonBytes(bundle.data)));
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('EVAL_FAILED', `cannot load the bundle's Wasm module: ${messageOf(err)}`, { cause: err });
    }
    return new WasmPolicy(policy, clock, policy.entrypoints as Record<string, number>);
  }

  evaluate(entrypoint: string, input: JsonValue | undefined, options: EvaluateOptions = {}): Decision {
    const name = normalizeEntrypoint(entrypoint);
    const id = this.ids[name];
    if (id === undefined) {
      throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `entrypoint '${entrypoint}' is not in the bundle (known: ${[...this.entrypoints].sort().join(', ')})`);
    }
    // Read once, so that every time.now_ns() call in this evaluation agrees, as in OPA.
    this.clock.nowNs = options.now === undefined ? currentTimeNs() : toNs(options.now);
    let results: unknown;
    try {
      results = this.run(id, input);
    } catch (err) {
      throw new AppError('EVAL_FAILED', `evaluation of ${name} failed: ${messageOf(err)}`, { cause: err });
    }
    const first = Array.isArray(results) ? (results[0] as { result?: unknown } | undefined) : undefined;
    return first && 'result' in first ? { defined: true, result: first.result } : { defined: false };
  }

  /**
   * The SDK's own fast path (opa_eval on raw JSON, ABI 1.2), without its two
   * copies of large inputs and results: the input is encoded straight into
   * the module's memory instead of into a new buffer first, and the result's
   * end is found with one native search instead of a byte-by-byte loop.
   * Modules of an older ABI go through the SDK.
   */
  private run(entrypoint: number, input: JsonValue | undefined): unknown {
    const policy = this.policy;
    if ((policy.minorVersion as number) < 2) return policy.evaluate(input, entrypoint);
    // As in the SDK, a falsy input is no input at all.
    const length = input ? writeInput(policy, JSON.stringify(input)) : 0;
    const heap = (policy.dataHeapPtr as number) + length;
    const result = exportsOf(policy).opa_eval(0, entrypoint, policy.dataAddr, policy.dataHeapPtr as number, length, heap, 0);
    const bytes = new Uint8Array(memoryOf(policy).buffer);
    return JSON.parse(decoder.decode(bytes.subarray(result, bytes.indexOf(0, result))));
  }
}

/** Writes the input as UTF-8 where the SDK puts it, after the data, growing memory as needed; returns its length in bytes. */
function writeInput(policy: LoadedPolicy, text: string): number {
  const at = policy.dataHeapPtr as number;
  const first = encoder.encodeInto(text, new Uint8Array(memoryOf(policy).buffer, at));
  if (first.read === text.length) return first.written;
  const missing = at + Buffer.byteLength(text) - memoryOf(policy).buffer.byteLength;
  memoryOf(policy).grow(Math.ceil(missing / PAGE_BYTES));
  return encoder.encodeInto(text, new Uint8Array(memoryOf(policy).buffer, at)).written;
}

// The SDK types these with the DOM's WebAssembly declarations, which a Node
// build does not load: the parts used here, typed by hand.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

type WasmInstance = { readonly exports: PolicyExports } | { readonly instance: { readonly exports: PolicyExports } };

function memoryOf(policy: LoadedPolicy): WasmMemory {
  const mem: unknown = policy.mem;
  return mem as WasmMemory;
}

function exportsOf(policy: LoadedPolicy): PolicyExports {
  const instance = policy.wasmInstance as unknown as WasmInstance;
  return 'instance' in instance ? instance.instance.exports : instance.exports;
}

/**
 * Fails at load time, rather than at the first evaluation that reaches the
 * call, when the module needs a builtin nobody implements: a bundle compiled
 * without tools/opa/capabilities.json. Runs before setData, whose heap reset
 * discards what the dump allocates.
 */
function assertBuiltinsAvailable(policy: LoadedPolicy): void {
  const exports = exportsOf(policy);
  const bytes = new Uint8Array(memoryOf(policy).buffer);
  const start = exports.opa_json_dump(exports.builtins());
  const names = Object.keys(JSON.parse(decoder.decode(bytes.subarray(start, bytes.indexOf(0, start)))) as Record<string, number>);
  const missing = names.filter((n) => !HOST_BUILTIN_NAMES.includes(n) && !SDK_BUILTIN_NAMES.includes(n)).sort();
  if (missing.length > 0) {
    throw new AppError(
      'BUNDLE_INVALID',
      `the bundle's Wasm module calls builtins that are not available: ${missing.join(', ')} (compile policies with --capabilities tools/opa/capabilities.json)`,
    );
  }
}

/** ns since the epoch, limited to what OPA's time.now_ns can return (an int64). */
function toNs(now: bigint | Date): bigint {
  const ns = typeof now === 'bigint' ? now : Number.isNaN(now.getTime()) ? undefined : BigInt(now.getTime()) * 1_000_000n;
  if (ns === undefined || ns < INT64_MIN || ns > INT64_MAX) {
    throw new AppError('USAGE', `evaluation time ${String(now)} is not a valid time between the years 1677 and 2262`);
  }
  return ns;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
