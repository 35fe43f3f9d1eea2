// Seeded mutations of inputs for the fuzzing and mutation tests: the same
// seed gives the same mutants on every machine, so a crash found once can be
// replayed. Structural mutations work on parsed JSON (truncate, flip types,
// delete fields, duplicate, nest); text mutations on any file.

import { AppError } from '../../src/core/index.js';

export type Rng = () => number;

/** mulberry32: small, fast and good enough to pick mutations. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: Rng, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

const ODD_VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  'x'.repeat(5000),
  '\u0000\u202e\ud83d\ude00',
  '2024-13-45T99:99:99Z',
  'CRITICAL',
  'not_affected',
  'sha256:' + 'f'.repeat(64),
  '../../etc/passwd',
  [],
  {},
  [null],
  { '': null },
  { __proto__: { polluted: true } },
];

type Container = Record<string, unknown> | unknown[];

/** Every [container, key] pair of a JSON value, for picking one uniformly. */
function slots(root: unknown): [Container, string | number][] {
  const out: [Container, string | number][] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && out.length < 200_000) {
    const node = stack.pop();
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((v, i) => [i, v])
      : node !== null && typeof node === 'object'
        ? Object.entries(node)
        : [];
    for (const [key, child] of entries) {
      out.push([node as Container, key]);
      stack.push(child);
    }
  }
  return out;
}

function flip(value: unknown, r: Rng): unknown {
  if (typeof value === 'string') return pick(r, [Number(value) || 7, [value], { value }, null, value.toUpperCase(), value.slice(0, 1)]);
  if (typeof value === 'number') return pick(r, [String(value), -value, [value], null, Number.NaN.toString()]);
  if (Array.isArray(value)) return pick(r, [{ ...value }, value.length, value[0] ?? null, JSON.stringify(value), [...value, ...value]]);
  if (value !== null && typeof value === 'object') return pick(r, [Object.values(value), 'object', null, [value]]);
  return pick(r, ODD_VALUES);
}

/** One structural mutation of a parsed JSON document (a deep copy is mutated). */
export function mutateJson(doc: unknown, r: Rng): unknown {
  const copy = structuredClone(doc);
  const all = slots(copy);
  if (all.length === 0) return pick(r, ODD_VALUES);
  const [container, key] = pick(r, all);
  const set = (v: unknown) => ((container as Record<string | number, unknown>)[key] = v);
  const value = (container as Record<string | number, unknown>)[key];
  switch (Math.floor(r() * 6)) {
    case 0:
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete container[key as string];
      break;
    case 1:
      set(flip(value, r));
      break;
    case 2:
      set(pick(r, ODD_VALUES));
      break;
    case 3:
      if (Array.isArray(container)) container.push(structuredClone(value));
      else container[`${String(key)}_`] = value;
      break;
    case 4: {
      let nested: unknown = value;
      for (let i = Math.floor(r() * 40); i > 0; i -= 1) nested = r() < 0.5 ? [nested] : { n: nested };
      set(nested);
      break;
    }
    default:
      if (Array.isArray(value)) set(value.slice(0, Math.floor(r() * value.length)));
      else if (typeof value === 'string') set(value.slice(0, Math.floor(r() * value.length)));
      else set(flip(value, r));
  }
  return copy;
}

/** One text mutation: truncate, cut a range, duplicate a range, or insert odd bytes. */
export function mutateText(text: string, r: Rng): string {
  const at = Math.floor(r() * (text.length + 1));
  const end = Math.min(text.length, at + Math.floor(r() * 64));
  switch (Math.floor(r() * 5)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + text.slice(end);
    case 2:
      return text.slice(0, end) + text.slice(at, end) + text.slice(end);
    case 3:
      return text.slice(0, at) + pick(r, ['\u0000', '\ufeff', '"', '{', ']', '<', '&amp', '\n\t', '\\u12', '\ud800', ' : ', '<!DOCTYPE x>']) + text.slice(at);
    default:
      return text.slice(0, at) + text.slice(at, end).split('').reverse().join('') + text.slice(end);
  }
}

/** A mutant of a seed file: mostly structural when it is JSON, else textual; several mutations stack now and then. */
export function mutate(seed: string, r: Rng): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(seed);
  } catch {
    parsed = undefined;
  }
  const rounds = 1 + Math.floor(r() * r() * 4);
  if (parsed !== undefined && r() < 0.8) {
    let doc: unknown = parsed;
    for (let i = 0; i < rounds; i += 1) doc = mutateJson(doc, r);
    return JSON.stringify(doc);
  }
  let text = seed;
  for (let i = 0; i < rounds; i += 1) text = mutateText(text, r);
  return text;
}

/** What one run ended in: a result, a coded AppError, or a crash (anything else thrown). */
export type Outcome = { readonly kind: 'ok' } | { readonly kind: 'error'; readonly code: string } | { readonly kind: 'crash'; readonly error: unknown };

export function outcomeOf(run: () => unknown): Outcome {
  try {
    run();
    return { kind: 'ok' };
  } catch (err) {
    return err instanceof AppError ? { kind: 'error', code: err.code } : { kind: 'crash', error: err };
  }
}

/** Counts outcomes by kind and code ("ok", "INPUT_INVALID", ...), keeping the first few crashes with their input. */
export class Tally {
  readonly counts = new Map<string, number>();
  readonly crashes: { readonly input: string; readonly error: unknown }[] = [];
  iterations = 0;

  add(outcome: Outcome, input: string): void {
    this.iterations += 1;
    const key = outcome.kind === 'error' ? outcome.code : outcome.kind;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (outcome.kind === 'crash' && this.crashes.length < 5) this.crashes.push({ input: input.slice(0, 2000), error: outcome.error });
  }

  get crashCount(): number {
    return this.counts.get('crash') ?? 0;
  }

  summary(): string {
    const parts = [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
    return `${this.iterations} iterations: ${parts.join(', ')}; crashes ${this.crashCount}`;
  }
}
