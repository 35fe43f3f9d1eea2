import { compareUtf8 } from '../core/index.js';
import type { CaseChange, Outcome, ReplayCase, ReviewFinding, Verdict } from './model.js';
import { findingKey, imageOf, namespaceOf } from './outcome.js';

/** What one worker sends back for its share of the inputs: only the changed ones in full. */
export interface ReplayPart {
  readonly changes: readonly CaseChange[];
  /** Verdict pairs of every input, as "base>head" counts. */
  readonly pairs: Readonly<Record<string, number>>;
}

/** Compares base and head outcomes of one input; undefined when they agree exactly. */
export function compareOutcomes(c: ReplayCase, input: unknown, base: Outcome, head: Outcome): CaseChange | undefined {
  const baseKeys = new Map(base.findings.map((f) => [findingKey(f), f]));
  const headKeys = new Map(head.findings.map((f) => [findingKey(f), f]));
  const added = [...headKeys].filter(([k]) => !baseKeys.has(k)).map(([, f]) => f);
  const removed = [...baseKeys].filter(([k]) => !headKeys.has(k)).map(([, f]) => f);
  const errorsDiffer = base.error !== head.error;
  if (base.verdict === head.verdict && added.length === 0 && removed.length === 0 && !errorsDiffer) return undefined;
  const image = imageOf(input);
  const namespace = namespaceOf(input);
  const errors = { ...(base.error ? { base: base.error } : {}), ...(head.error ? { head: head.error } : {}) };
  return {
    id: c.id,
    source: c.source,
    ...(image ? { image } : {}),
    ...(namespace ? { namespace } : {}),
    base: base.verdict,
    head: head.verdict,
    added: sortFindings(added),
    removed: sortFindings(removed),
    ...(Object.keys(errors).length > 0 ? { errors } : {}),
  };
}

export function pairKey(base: Verdict, head: Verdict): string {
  return `${base}>${head}`;
}

/** Stable order: by rule, kind, image, id, then message. */
export function sortFindings(list: readonly ReviewFinding[]): ReviewFinding[] {
  return [...list].sort((a, b) => compareUtf8(findingKey(a), findingKey(b)));
}
