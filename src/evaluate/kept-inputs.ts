import { createHash } from 'node:crypto';
import { AppError, type JsonValue } from '../core/index.js';

/** The module's exports that parse values into its heap and evaluate on them (all in ABI 1.0). */
export interface HeapExports {
  opa_malloc(size: number): number;
  opa_value_parse(addr: number, length: number): number;
  opa_heap_ptr_get(): number;
  opa_heap_ptr_set(addr: number): void;
  opa_value_add_path(base: number, path: number, value: number): number;
  opa_eval_ctx_new(): number;
  opa_eval_ctx_set_input(ctx: number, value: number): void;
  opa_eval_ctx_set_data(ctx: number, value: number): void;
  opa_eval_ctx_set_entrypoint(ctx: number, entrypoint: number): void;
  opa_eval_ctx_get_result(ctx: number): number;
  eval(ctx: number): number;
  opa_json_dump(addr: number): number;
}

/** One top-level field of a kept input: its value, and the path `[name]` that links it into an evaluation's input. */
export interface KeptField {
  readonly name: string;
  readonly path: number;
  readonly value: number;
}

const encoder = new TextEncoder();

/**
 * One more field of an input, derived from its shared part (and what `key`
 * stands for), worth keeping beside it: `value` evaluates it on the kept
 * shared fields, in the heap above them.
 */
export interface DerivedRequest {
  readonly name: string;
  readonly key: string;
  readonly value: (fields: readonly KeptField[]) => JsonValue | undefined;
}

/**
 * The parts of inputs that many evaluations share (a stored scan, decided
 * for every workload that runs its image), parsed once into one module
 * instance's heap and kept there, between its data and the heap each
 * evaluation starts from: an evaluation then parses only its own fields and
 * links the kept ones into its input, instead of reading the whole scan into
 * the module again (about a quarter of deciding one image of a scan with 236
 * vulnerabilities).
 *
 * Sound because evaluation never writes to or frees values it did not make:
 * the bundle's data lives in the heap the same way, kept across every
 * evaluation. Kept inputs are found by the SHA-256 of their text, so a kept
 * value is only ever used for the very text it was parsed from. Past the
 * budget, all are dropped at once (a bump heap frees nothing singly).
 */
export class KeptInputs {
  /** Where each evaluation's heap starts: after the data and every kept input. */
  top: number;
  private readonly kept = new Map<string, readonly KeptField[]>();
  /** Derived fields by shared part and request; null where the value was undefined. */
  private readonly derived = new Map<string, KeptField | null>();

  constructor(
    private readonly exports: HeapExports,
    private readonly memory: () => ArrayBuffer,
    private readonly start: number,
    private readonly budgetBytes: number,
  ) {
    this.top = start;
  }

  /**
   * The fields of the object `shared` holds (JSON text, or its UTF-8 bytes,
   * which hash the same), as parsed and kept before, else as `value()` reads
   * them, parsed into the heap and kept now; with `derived`'s field after
   * them, kept likewise per shared part and derived.key.
   */
  fieldsOf(shared: string | Uint8Array, value: () => Readonly<Record<string, JsonValue>>, derived?: DerivedRequest): readonly KeptField[] {
    const key = createHash('sha256').update(shared).digest('base64');
    const derivedKey = derived && `${key}\n${derived.key}`;
    const hit = this.kept.get(key);
    if (hit && (derivedKey === undefined || this.derived.has(derivedKey))) return this.withDerived(hit, derivedKey);
    // Room is made once, before anything is added: the fields a derived value is evaluated on must still be there after.
    if (this.top - this.start > this.budgetBytes) this.clear();
    const fields = this.kept.get(key) ?? this.keep(key, value);
    if (derived && derivedKey !== undefined && !this.derived.has(derivedKey)) this.derived.set(derivedKey, this.keepDerived(derived, derived.value(fields)));
    return this.withDerived(fields, derivedKey);
  }

  private withDerived(fields: readonly KeptField[], derivedKey: string | undefined): readonly KeptField[] {
    const field = derivedKey === undefined ? undefined : this.derived.get(derivedKey);
    return field ? [...fields, field] : fields;
  }

  private keep(key: string, value: () => Readonly<Record<string, JsonValue>>): readonly KeptField[] {
    const fieldValues = Object.entries(value());
    this.exports.opa_heap_ptr_set(this.top);
    const fields = fieldValues.map(([name, field]) => this.field(name, field));
    // Past this, the texts and values just parsed are never handed out again.
    this.top = this.exports.opa_heap_ptr_get();
    this.kept.set(key, fields);
    return fields;
  }

  /** Keeps a derived value just evaluated above the kept ones (its evaluation's heap is dropped); none when it was undefined. */
  private keepDerived(derived: DerivedRequest, value: JsonValue | undefined): KeptField | null {
    this.exports.opa_heap_ptr_set(this.top);
    if (value === undefined) return null;
    const field = this.field(derived.name, value);
    this.top = this.exports.opa_heap_ptr_get();
    return field;
  }

  private field(name: string, value: JsonValue): KeptField {
    return { name, path: this.parse(JSON.stringify([name])), value: this.parse(JSON.stringify(value)) };
  }

  /** How many inputs are kept. */
  get size(): number {
    return this.kept.size;
  }

  /** Drops every kept input: the next evaluation's heap starts right after the data. */
  clear(): void {
    this.kept.clear();
    this.derived.clear();
    this.top = this.start;
  }

  /**
   * Parses JSON text into a value on the heap, as opa_eval parses its input.
   * The text stays where it was copied: parsed numbers and strings may point
   * into it.
   */
  parse(text: string): number {
    const bytes = encoder.encode(text);
    const addr = this.exports.opa_malloc(bytes.byteLength);
    new Uint8Array(this.memory(), addr, bytes.byteLength).set(bytes);
    const value = this.exports.opa_value_parse(addr, bytes.byteLength);
    if (value === 0) throw new AppError('INPUT_INVALID', 'the input is not valid JSON');
    return value;
  }
}
