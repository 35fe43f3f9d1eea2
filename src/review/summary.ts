import { compareUtf8 } from '../core/index.js';
import type { ReplayPart } from './compare.js';
import type { AffectedGroup, CaseChange, ReplaySummary, RuleChange, Verdict } from './model.js';

const TOP = 10;

/** Folds the workers' parts into counts, per-rule changes and the most affected images and namespaces. */
export function summarize(parts: readonly ReplayPart[]): ReplaySummary {
  const cases = parts.flatMap((p) => p.changes).sort((a, b) => compareUtf8(a.id, b.id));
  const verdicts = { base: zero(), head: zero() };
  let total = 0;
  for (const part of parts) {
    for (const [key, count] of Object.entries(part.pairs)) {
      const [base, head] = key.split('>') as [Verdict, Verdict];
      verdicts.base[base] += count;
      verdicts.head[head] += count;
      total += count;
    }
  }
  const newlyDenied = cases.filter((c) => c.base === 'allow' && c.head === 'deny').length;
  const newlyAllowed = cases.filter((c) => c.base === 'deny' && c.head === 'allow').length;
  const errors = cases.filter((c) => c.base === 'error' || c.head === 'error').length;
  return {
    total,
    unchanged: total - cases.length,
    changed: cases.length,
    newlyDenied,
    newlyAllowed,
    findingsOnly: cases.filter((c) => c.base === c.head && c.base !== 'error').length,
    errors,
    verdicts,
    rules: ruleChanges(cases),
    topImages: top(cases, (c) => c.image),
    topNamespaces: top(cases, (c) => c.namespace),
    cases,
  };
}

function zero(): Record<Verdict, number> {
  return { allow: 0, deny: 0, error: 0 };
}

function ruleChanges(cases: readonly CaseChange[]): RuleChange[] {
  const rules = new Map<string, { rule: string; kind: RuleChange['kind']; added: number; removed: number; inputs: Set<string> }>();
  const count = (c: CaseChange, f: { rule: string; kind: RuleChange['kind'] }, field: 'added' | 'removed') => {
    const key = `${f.rule}\u0000${f.kind}`;
    const entry = rules.get(key) ?? { rule: f.rule, kind: f.kind, added: 0, removed: 0, inputs: new Set<string>() };
    entry[field] += 1;
    entry.inputs.add(c.id);
    rules.set(key, entry);
  };
  for (const c of cases) {
    for (const f of c.added) count(c, f, 'added');
    for (const f of c.removed) count(c, f, 'removed');
  }
  return [...rules.values()]
    .map(({ inputs, ...r }) => ({ ...r, inputs: inputs.size }))
    .sort((a, b) => compareUtf8(a.rule, b.rule) || compareUtf8(a.kind, b.kind));
}

/** Groups with the most newly denied inputs first, then the most changed, then by name, so equal counts keep a stable order. */
function top(cases: readonly CaseChange[], nameOf: (c: CaseChange) => string | undefined): AffectedGroup[] {
  const groups = new Map<string, { inputs: number; newlyDenied: number; newlyAllowed: number }>();
  for (const c of cases) {
    const name = nameOf(c);
    if (name === undefined) continue;
    const g = groups.get(name) ?? { inputs: 0, newlyDenied: 0, newlyAllowed: 0 };
    g.inputs += 1;
    if (c.base === 'allow' && c.head === 'deny') g.newlyDenied += 1;
    if (c.base === 'deny' && c.head === 'allow') g.newlyAllowed += 1;
    groups.set(name, g);
  }
  return [...groups.entries()]
    .map(([name, g]) => ({ name, ...g }))
    .sort((a, b) => b.newlyDenied - a.newlyDenied || b.inputs - a.inputs || compareUtf8(a.name, b.name))
    .slice(0, TOP);
}
