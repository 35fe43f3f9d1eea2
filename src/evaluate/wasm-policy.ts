import { createRequire } from 'node:module';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import {
  AppError,
  canonicalJsonBytes,
  EVALUATION_LIMITS,
  findJsonTextProblem,
  findLoneSurrogate,
  isAppError,
  jsonPieces,
  messageOf,
  wrapError,
  type JsonValue,
} from '../core/index.js';
import { isPlainObject, WASM_PATH, type LoadedBundle } from '../bundle/index.js';
import { normalizeEntrypoint } from './entrypoint.js';
import { KeptInputs, type DerivedRequest, type HeapExports, type KeptField } from './kept-inputs.js';
import { currentTimeNs, HOST_BUILTIN_NAMES, hostBuiltins, SDK_BUILTIN_NAMES } from './host-builtins.js';

/** Wasm memory starts at 5 pages of 64 KiB and grows up to the evaluation limit. */
const INITIAL_PAGES = 5;
/** An instance whose memory grew this far past its size after loading is replaced by a fresh one after the evaluation. */
const RECYCLE_BYTES = 64 * 1024 * 1024;
/** Kept inputs (KeptInputs) take up to this much of an instance's heap, well within what recycles it, and a quarter of its limit at most. */
const KEPT_BYTES = 32 * 1024 * 1024;
/** What the Wasm runtime and V8 say when the heap cannot grow further. */
const OUT_OF_MEMORY = /opa_malloc: failed|Maximum memory size exceeded|WebAssembly\.Memory\.grow|Out of memory/i;

// The package's ESM entry exports only the asynchronous loader.
const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const PAGE_BYTES = 65536;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The module's exports that evaluating through opa_eval (ABI 1.2), on kept inputs, and checking builtins use. */
interface PolicyExports extends HeapExports {
  builtins(): number;
  opa_eval(reserved: 0, entrypoint: number, data: number, input: number, inputLength: number, heap: number, format: 0): number;
}

export type Decision = { readonly defined: true; readonly result: unknown } | { readonly defined: false };

/** Limits of one policy instance (core/limits.ts EVALUATION_LIMITS by default). */
export interface EvaluationLimits {
  /** Largest input, as JSON bytes. */
  readonly maxInputBytes: number;
  /** Largest Wasm heap; an evaluation that needs more is refused as too large. */
  readonly maxMemoryBytes: number;
}

export interface EvaluateOptions {
  /**
   * The time `time.now_ns()` returns throughout this evaluation: ns since the
   * epoch, or a Date. Defaults to the current time, read once per evaluation.
   */
  readonly now?: bigint | Date;
}

/**
 * A field evaluateShared adds to the input: the result of another
 * entrypoint on the shared part and a few own fields, evaluated once per
 * shared part and kept beside it. Sound only for an entrypoint whose result
 * is the same for every evaluation that shares them, whatever else its own
 * fields hold and whatever the time: the policy's contract, which the
 * caller relies on.
 */
export interface DerivedField {
  /** The input field it is linked in as. */
  readonly name: string;
  readonly entrypoint: string;
  /** The JSON text of the object of own fields it is evaluated on; kept per shared part and this text. */
  readonly own: string;
}

export interface SharedOptions extends EvaluateOptions {
  readonly derived?: DerivedField;
}

/**
 * An input serialized once for several evaluations (the same input through
 * two policy versions): each evaluation checks its size against its own
 * limits, but the JSON text, the largest cost after the module's own, is
 * written once. Made by WasmPolicy.prepare.
 */
export class PreparedInput {
  /** @internal */
  constructor(
    private parsed: JsonValue | undefined,
    /** The JSON text, in pieces (jsonPieces). */
    readonly pieces: readonly string[],
    /** As in the SDK, a falsy input is no input at all. */
    readonly absent: boolean,
  ) {}

  /** The input as a value: modules of an older ABI go through the SDK, which takes one (parsed then, from text that came alone). */
  get value(): JsonValue {
    this.parsed ??= JSON.parse(this.pieces.join('')) as JsonValue;
    return this.parsed;
  }
}

/** Shared with the host builtins, which are bound once at load time but must see each evaluation's time. */
interface EvaluationClock {
  nowNs: bigint;
}

/**
 * A bundle's Wasm module loaded with its data, evaluated in-process. Not
 * re-entrant: one instance serves one evaluation at a time. Inputs past the
 * limits are refused before they reach the module (INPUT_TOO_LARGE), strings
 * no UTF-8 encoder can write are refused naming their path (INPUT_INVALID),
 * and an instance whose heap an evaluation grew far is replaced afterwards,
 * so memory returns near where it was.
 */
export class WasmPolicy {
  readonly entrypoints: ReadonlySet<string>;
  private policy: LoadedPolicy;
  /** Memory size right after loading: growth past it is what one evaluation left behind. */
  private loadedBytes: number;
  /** The shared parts of inputs kept in this instance's heap (evaluateShared). */
  private kept: KeptInputs;

  private constructor(
    private readonly loader: PolicyLoader,
    private readonly clock: EvaluationClock,
    private readonly limits: EvaluationLimits,
  ) {
    this.policy = loader();
    this.loadedBytes = memoryOf(this.policy).buffer.byteLength;
    this.kept = keptInputsOf(this.policy, this.limits);
    this.entrypoints = new Set(Object.keys(this.ids));
  }

  /** Entrypoint ids by name, as the module numbers them. */
  private get ids(): Readonly<Record<string, number>> {
    return this.policy.entrypoints as Record<string, number>;
  }

  /**
   * Compiles and instantiates the module and loads the bundle's data. A
   * module that does not compile or link, or data that does not fit the heap,
   * is the bundle's fault: BUNDLE_INVALID or BUNDLE_TOO_LARGE, never an
   * internal error.
   */
  static async fromBundle(bundle: LoadedBundle, limits: EvaluationLimits = EVALUATION_LIMITS): Promise<WasmPolicy> {
    const wasm = bundle.wasm.get(WASM_PATH);
    if (!wasm) throw new AppError('BUNDLE_INVALID', 'bundle has no /policy.wasm to evaluate');
    const clock: EvaluationClock = { nowNs: 0n };
    const module = compileModule(wasm);
    const data = toArrayBuffer(canonicalJsonBytes(bundle.data));
    const memory = { initial: INITIAL_PAGES, maximum: Math.max(INITIAL_PAGES, Math.floor(limits.maxMemoryBytes / PAGE_BYTES)) };
    const loader: PolicyLoader = () => {
      try {
        // The synchronous loader: the asynchronous one probes for a fetch Response, which alone loads Node's
        // HTTP client (~15 ms of a CI gate's start-up); compiling a policy module takes a few ms either way.
        const policy = loadPolicySync(module, { ...memory }, hostBuiltins({ nowNs: () => clock.nowNs }));
        assertBuiltinsAvailable(policy);
        policy.setData(data);
        return policy;
      } catch (err) {
        if (err instanceof AppError) throw err;
        if (OUT_OF_MEMORY.test(messageOf(err))) {
          throw new AppError('BUNDLE_TOO_LARGE', `the bundle's data does not fit the ${mib(limits.maxMemoryBytes)} Wasm heap (limits.max_wasm_memory_bytes)`, {
            cause: err,
          });
        }
        throw wrapError(err, 'BUNDLE_INVALID', `the bundle's Wasm module cannot be loaded`);
      }
    };
    return new WasmPolicy(loader, clock, limits);
  }

  /** The input as the module reads it, checked (INPUT_TOO_LARGE, INPUT_INVALID) as evaluate would, to be evaluated more than once. */
  prepare(input: JsonValue): PreparedInput {
    return new PreparedInput(input, this.inputPieces(input), !input);
  }

  /**
   * An input that arrives as JSON text already (assembled from parts
   * serialized once, or sent from another thread), checked as `prepare`
   * checks a value, without parsing it: the module parses it anyway.
   */
  prepareText(text: string): PreparedInput {
    this.checkedSize([text]);
    return new PreparedInput(undefined, [this.withoutLoneSurrogates(text)], false);
  }

  evaluate(entrypoint: string, given: JsonValue | PreparedInput | undefined, options: EvaluateOptions = {}): Decision {
    const { name, id } = this.entrypointOf(entrypoint);
    // As in the SDK, a falsy input is no input at all.
    const input = given instanceof PreparedInput ? (given.absent ? undefined : given) : given || undefined;
    const pieces = input === undefined ? undefined : input instanceof PreparedInput ? this.checkedSize(input.pieces) : this.inputPieces(input);
    return this.decided(name, options, () => this.run(id, input, pieces));
  }

  /**
   * Evaluates on the input `{...shared, ...own}`, given as the JSON text of
   * two objects: `shared`, which many evaluations have in common (a stored
   * scan's input), is parsed into the module's heap once and kept for the
   * next evaluation with the same text (KeptInputs); `own` holds this
   * evaluation's fields (its time, workload, namespace) and wins over
   * shared ones. The same limits and checks as evaluate, on the whole input.
   * The shared part may come as its UTF-8 bytes, which are decoded only when
   * they are not kept yet.
   */
  evaluateShared(entrypoint: string, shared: string | Uint8Array, own: string, options: SharedOptions = {}): Decision {
    const { name, id } = this.entrypointOf(entrypoint);
    this.checkedSharedSize(shared, own);
    const ownValue = objectPart(this.withoutLoneSurrogates(own), 'own');
    const sharedValue = () => objectPart(this.withoutLoneSurrogates(typeof shared === 'string' ? shared : decoder.decode(shared)), 'shared');
    if ((this.policy.minorVersion as number) < 2) return this.evaluate(entrypoint, { ...sharedValue(), ...ownValue }, options);
    const ownNames = new Set(Object.keys(ownValue));
    const derived = options.derived && this.derivedRequest(options.derived, shared);
    return this.decided(name, options, () => {
      try {
        return this.runShared(id, this.kept.fieldsOf(shared, sharedValue, derived), own, ownNames);
      } catch (err) {
        // Whatever the failure left in the heap, no later evaluation reads it.
        this.kept.clear();
        throw err;
      }
    });
  }

  /** The whole of an input given in parts, refused when it is over this instance's size limit. */
  private checkedSharedSize(shared: string | Uint8Array, own: string): void {
    if (typeof shared === 'string') this.checkedSize([shared, own]);
    else if (shared.byteLength + Buffer.byteLength(own) > this.limits.maxInputBytes) throw this.inputTooLarge();
  }

  /**
   * How `derived` is evaluated on a kept shared part: its entrypoint on the
   * shared fields and its own, checked as an input is, its result the value.
   */
  private derivedRequest(derived: DerivedField, shared: string | Uint8Array): DerivedRequest {
    const { id } = this.entrypointOf(derived.entrypoint);
    return {
      name: derived.name,
      key: `${derived.entrypoint}\n${derived.own}`,
      value: (fields) => {
        this.checkedSharedSize(shared, derived.own);
        const ownNames = new Set(Object.keys(objectPart(this.withoutLoneSurrogates(derived.own), 'own')));
        return (this.runShared(id, fields, derived.own, ownNames) as { result?: JsonValue }[])[0]?.result;
      },
    };
  }

  private entrypointOf(entrypoint: string): { name: string; id: number } {
    const name = normalizeEntrypoint(entrypoint);
    const id = this.ids[name];
    if (id === undefined) {
      throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `entrypoint '${entrypoint}' is not in the bundle (known: ${[...this.entrypoints].sort().join(', ')})`);
    }
    return { name, id };
  }

  /** Runs one evaluation as of `options.now`, its failures as the API's errors, and the instance replaced after it if it grew far. */
  private decided(name: string, options: EvaluateOptions, run: () => unknown): Decision {
    // Read once, so that every time.now_ns() call in this evaluation agrees, as in OPA.
    this.clock.nowNs = options.now === undefined ? currentTimeNs() : toNs(options.now);
    let results: unknown;
    try {
      results = this.withHeapRoom(run);
    } catch (err) {
      // Refusals of the input itself (a shared part that is not an object) keep their code.
      if (isAppError(err)) throw err;
      if (OUT_OF_MEMORY.test(messageOf(err))) {
        throw new AppError(
          'INPUT_TOO_LARGE',
          `evaluating ${name} on this input needs more than the ${mib(this.limits.maxMemoryBytes)} Wasm heap (limits.max_wasm_memory_bytes)`,
          {
            cause: err,
          },
        );
      }
      throw wrapError(err, 'EVAL_FAILED', `evaluation of ${name} failed`);
    } finally {
      this.recycleIfGrown();
    }
    const first = Array.isArray(results) ? (results[0] as { result?: unknown } | undefined) : undefined;
    return first && 'result' in first ? { defined: true, result: first.result } : { defined: false };
  }

  /** The Wasm heap in use now, in bytes. */
  get memoryBytes(): number {
    return memoryOf(this.policy).buffer.byteLength;
  }

  /**
   * The input as the module reads it, in pieces (jsonPieces), refused when
   * it is over the size limit or holds a string UTF-8 cannot encode.
   */
  private inputPieces(input: JsonValue): string[] {
    let pieces: string[];
    try {
      pieces = jsonPieces(input);
    } catch (err) {
      throw wrapError(err, 'INPUT_INVALID', 'the input cannot be encoded as JSON');
    }
    this.checkedSize(pieces);
    // JSON.stringify escapes an unpaired surrogate as \udXXX (within one piece); a pair it writes as is.
    if (pieces.some((piece) => piece.includes('\\ud')) && findJsonTextProblem(pieces.join(''), Infinity)) throw loneSurrogate(input);
    return pieces;
  }

  /** Runs an evaluation; one that ran out of heap beside kept inputs runs again once they are dropped, with the heap to itself. */
  private withHeapRoom(run: () => unknown): unknown {
    const othersKept = this.kept.size > 0;
    try {
      return run();
    } catch (err) {
      if (!othersKept || !OUT_OF_MEMORY.test(messageOf(err))) throw err;
      this.kept.clear();
      return run();
    }
  }

  /** The input's JSON text (in parts: their sum), refused when it is over this instance's size limit. */
  private checkedSize<T extends readonly string[]>(parts: T): T {
    const max = this.limits.maxInputBytes;
    const units = parts.reduce((n, t) => n + t.length, 0);
    // Both bounds are cheap: UTF-8 takes at least one byte per UTF-16 unit, at most three.
    if (units > max || (units * 3 > max && parts.reduce((n, t) => n + Buffer.byteLength(t), 0) > max)) throw this.inputTooLarge();
    return parts;
  }

  private inputTooLarge(): AppError {
    return new AppError('INPUT_TOO_LARGE', `the input is larger than ${this.limits.maxInputBytes} bytes as JSON (limits.max_input_bytes)`);
  }

  /** JSON text as given, refused when it holds a lone surrogate escape, naming where. */
  private withoutLoneSurrogates(text: string): string {
    if (text.includes('\\ud') && findJsonTextProblem(text, Infinity)) throw loneSurrogate(JSON.parse(text) as JsonValue);
    return text;
  }

  /** Swaps in a fresh instance when this evaluation grew the heap far, so a one-off large input does not hold its memory. */
  private recycleIfGrown(): void {
    if (this.memoryBytes <= this.loadedBytes + RECYCLE_BYTES) return;
    this.policy = this.loader();
    this.loadedBytes = this.memoryBytes;
    this.kept = keptInputsOf(this.policy, this.limits);
  }

  /**
   * The SDK's own fast path (opa_eval on raw JSON, ABI 1.2), without its two
   * copies of large inputs and results: the input is encoded straight into
   * the module's memory instead of into a new buffer first, and the result's
   * end is found with one native search instead of a byte-by-byte loop.
   * Modules of an older ABI go through the SDK.
   */
  private run(entrypoint: number, input: JsonValue | PreparedInput | undefined, pieces: readonly string[] | undefined): unknown {
    const policy = this.policy;
    if ((policy.minorVersion as number) < 2) return policy.evaluate(input instanceof PreparedInput ? input.value : input, entrypoint);
    // As in the SDK, a falsy input is no input at all. The input goes after the kept ones (there, or after the data).
    const at = this.kept.top;
    const length = pieces === undefined ? 0 : writeInput(policy, pieces, at);
    const result = exportsOf(policy).opa_eval(0, entrypoint, policy.dataAddr, at, length, at + length, 0);
    return this.resultAt(result);
  }

  /** As run, on a kept shared part and this evaluation's own fields, through the context API opa_eval wraps. */
  private runShared(entrypoint: number, fields: readonly KeptField[], own: string, ownNames: ReadonlySet<string>): unknown {
    const exports = exportsOf(this.policy);
    exports.opa_heap_ptr_set(this.kept.top);
    const input = this.kept.parse(own);
    for (const field of fields) {
      if (ownNames.has(field.name)) continue;
      const status = exports.opa_value_add_path(input, field.path, field.value);
      if (status !== 0) throw new Error(`opa_value_add_path failed with status ${status}`);
    }
    const ctx = exports.opa_eval_ctx_new();
    exports.opa_eval_ctx_set_input(ctx, input);
    exports.opa_eval_ctx_set_data(ctx, this.policy.dataAddr);
    exports.opa_eval_ctx_set_entrypoint(ctx, entrypoint);
    if (exports.eval(ctx) !== 0) throw new Error('eval failed');
    return this.resultAt(exports.opa_json_dump(exports.opa_eval_ctx_get_result(ctx)));
  }

  /** The NUL-terminated JSON result at `addr`, parsed; its end found with one native search instead of a byte-by-byte loop. */
  private resultAt(addr: number): unknown {
    const bytes = new Uint8Array(memoryOf(this.policy).buffer);
    return JSON.parse(decoder.decode(bytes.subarray(addr, bytes.indexOf(0, addr))));
  }
}

type PolicyLoader = () => LoadedPolicy;

/** JSON.stringify escapes an unpaired surrogate as \\udXXX, which no UTF-8 encoder can write: refused, naming where it is. */
function loneSurrogate(input: JsonValue): AppError {
  const path = findLoneSurrogate(input) ?? '/';
  return new AppError(
    'INPUT_INVALID',
    `input${path === '/' ? '' : path}: a string holds a lone UTF-16 surrogate (such as \\ud800), which is not Unicode text`,
    {
      details: [{ path, message: 'lone surrogate in a string' }],
    },
  );
}

/**
 * Fails as WasmPolicy.fromBundle would for any of the bundle's modules: each
 * must compile, and /policy.wasm, which portcullis evaluates, must also
 * instantiate with the bundle's data within the limits.
 */
export async function assertWasmLoads(bundle: LoadedBundle, limits: EvaluationLimits = EVALUATION_LIMITS): Promise<void> {
  for (const [path, bytes] of bundle.wasm) {
    if (path === WASM_PATH) await WasmPolicy.fromBundle(bundle, limits);
    else compileModule(bytes, path);
  }
}

/** Compiles the module once; every instance (and every replacement) is made from it. */
function compileModule(wasm: Uint8Array, path = WASM_PATH): unknown {
  const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => unknown } };
  try {
    return new wasmApi.Module(wasm);
  } catch (err) {
    throw wrapError(err, 'BUNDLE_INVALID', `${path} is not a valid WebAssembly module`);
  }
}

function mib(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}

/**
 * Writes the input's pieces as UTF-8 from `at` (where the SDK puts it: after
 * the data), growing memory as needed; returns its length in bytes.
 */
function writeInput(policy: LoadedPolicy, pieces: readonly string[], at: number): number {
  const memory = memoryOf(policy);
  let end = at;
  pieces.forEach((piece, i) => {
    const { read, written } = encoder.encodeInto(piece, new Uint8Array(memory.buffer, end));
    if (read === piece.length) {
      end += written;
      return;
    }
    const missing = end + pieces.slice(i).reduce((n, rest) => n + Buffer.byteLength(rest), 0) - memory.buffer.byteLength;
    memory.grow(Math.ceil(missing / PAGE_BYTES));
    end += encoder.encodeInto(piece, new Uint8Array(memory.buffer, end)).written;
  });
  return end - at;
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

function keptInputsOf(policy: LoadedPolicy, limits: EvaluationLimits): KeptInputs {
  const budget = Math.min(KEPT_BYTES, Math.floor(limits.maxMemoryBytes / 4));
  return new KeptInputs(exportsOf(policy), () => memoryOf(policy).buffer, policy.dataHeapPtr as number, budget);
}

/** One part of an input given in two (evaluateShared), which must be a JSON object. */
function objectPart(text: string, part: 'shared' | 'own'): Record<string, JsonValue> {
  const value = JSON.parse(text) as unknown;
  if (!isPlainObject(value)) throw new AppError('INPUT_INVALID', `the ${part} part of an input must be a JSON object`);
  return value;
}
