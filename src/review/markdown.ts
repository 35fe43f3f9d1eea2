import type { AffectedGroup, CaseChange, CheckResult, ReviewFinding, ReviewResult } from './model.js';

const MAX_CASES = 50;
const MAX_PROBLEMS = 30;
const MAX_FINDINGS = 5;

/** A pull-request comment: a verdict line, the counts, then collapsible details; sections with nothing to say are left out. */
export function formatReviewMarkdown(r: ReviewResult): string {
  const out: string[] = [`## Policy review: ${r.base.ref} → ${r.head.ref}`, '', headline(r), ''];
  out.push(...countsTable(r), '');
  out.push(...checksTable(r), '');
  if (r.replay.rules.length > 0) out.push(...details('Rules newly firing / no longer firing', rulesTable(r)));
  if (r.replay.topImages.length > 0) out.push(...details('Most affected images', groupTable('Image', r.replay.topImages)));
  if (r.replay.topNamespaces.length > 0) out.push(...details('Most affected namespaces', groupTable('Namespace', r.replay.topNamespaces)));
  if (r.replay.cases.length > 0) out.push(...details(`Changed inputs (${r.replay.cases.length})`, changedCases(r.replay.cases)));
  for (const c of r.checks) if (c.problems.length > 0) out.push(...details(`${checkTitle(c)}: ${c.summary}`, problemList(c)));
  if (r.skipped.length > 0)
    out.push(
      ...details(
        `Inputs not replayed (${r.skipped.length})`,
        r.skipped.map((s) => `- \`${s.id}\`: ${oneLine(s.reason)}`),
      ),
    );
  out.push(
    `<sub>portcullis review of \`${r.entrypoint}\` in bundle \`${r.head.bundle}\`; base ${short(r.base.commit)}, head ${short(r.head.commit)}; fail on ${r.failOn}.</sub>`,
    '',
  );
  return out.join('\n');
}

function headline(r: ReviewResult): string {
  const s = r.replay;
  const verdict = r.failures.length > 0 ? `❌ **Fails** (${r.failures.join('; ')})` : '✅ **Passes**';
  const change = s.changed === 0 ? `no change to the decisions on ${s.total} recorded input(s)` : `${s.changed} of ${s.total} input(s) change`;
  return `${verdict}: ${change}.`;
}

function countsTable(r: ReviewResult): string[] {
  const s = r.replay;
  if (s.changed === 0)
    return [`| Inputs replayed | Allowed | Denied |`, `|---:|---:|---:|`, `| ${s.total} | ${s.verdicts.head.allow} | ${s.verdicts.head.deny} |`];
  return [
    '| Inputs replayed | allow → deny | deny → allow | findings only | evaluation errors |',
    '|---:|---:|---:|---:|---:|',
    `| ${s.total} | **${s.newlyDenied}** | ${s.newlyAllowed} | ${s.findingsOnly} | ${s.errors} |`,
  ];
}

function checksTable(r: ReviewResult): string[] {
  const icon = { pass: '✅', fail: '❌', unavailable: '⚠️' } as const;
  const rows = r.checks.map((c) => `| ${checkTitle(c)} | ${icon[c.status]} ${c.status} | ${oneLine(c.summary)} |`);
  const cov = r.coverage;
  const delta = cov.delta === undefined ? '' : ` (${cov.delta >= 0 ? '+' : ''}${cov.delta} points)`;
  const missing = cov.head === undefined ? 'no coverage report for head (opa test fails)' : 'n/a';
  rows.push(`| Coverage | ${percent(cov.base)} → ${percent(cov.head)} | ${delta.trim() || missing} |`);
  return ['| Check | Status | Details |', '|---|---|---|', ...rows];
}

function rulesTable(r: ReviewResult): string[] {
  return [
    '| Rule | Kind | Newly firing | No longer firing | Inputs |',
    '|---|---|---:|---:|---:|',
    ...r.replay.rules.map((x) => `| \`${x.rule}\` | ${x.kind} | ${x.added} | ${x.removed} | ${x.inputs} |`),
  ];
}

function groupTable(label: string, groups: readonly AffectedGroup[]): string[] {
  return [
    `| ${label} | Changed inputs | allow → deny | deny → allow |`,
    '|---|---:|---:|---:|',
    ...groups.map((g) => `| \`${g.name}\` | ${g.inputs} | ${g.newlyDenied} | ${g.newlyAllowed} |`),
  ];
}

function changedCases(cases: readonly CaseChange[]): string[] {
  // Flipped decisions first (newly denied, then newly allowed), each group in id order.
  const order = (c: CaseChange) => (c.base === 'allow' && c.head === 'deny' ? 0 : c.base === 'deny' && c.head === 'allow' ? 1 : 2);
  const sorted = [...cases].sort((a, b) => order(a) - order(b));
  const lines = sorted.slice(0, MAX_CASES).flatMap((c) => {
    const head = `- \`${c.id}\`${c.image ? ` (${c.image})` : ''}: ${c.base} → ${c.head}`;
    const errors = [
      c.errors?.base ? `  - base error: ${oneLine(c.errors.base)}` : '',
      c.errors?.head ? `  - head error: ${oneLine(c.errors.head)}` : '',
    ].filter(Boolean);
    const changes = [...c.added.map((f) => `  - ➕ ${finding(f)}`), ...c.removed.map((f) => `  - ➖ ${finding(f)}`)];
    const more = changes.length > MAX_FINDINGS ? [`  - … and ${changes.length - MAX_FINDINGS} more`] : [];
    return [head, ...changes.slice(0, MAX_FINDINGS), ...more, ...errors];
  });
  if (cases.length > MAX_CASES) lines.push(`- … and ${cases.length - MAX_CASES} more (see --output json)`);
  return lines;
}

function problemList(c: CheckResult): string[] {
  const lines = c.problems.slice(0, MAX_PROBLEMS).map((p) => `- ${p.file ? `\`${p.file}${p.line ? `:${p.line}` : ''}\` ` : ''}${oneLine(p.message)}`);
  if (c.problems.length > MAX_PROBLEMS) lines.push(`- … and ${c.problems.length - MAX_PROBLEMS} more`);
  return lines;
}

function finding(f: ReviewFinding): string {
  return `${f.kind} \`${f.rule}\`: ${oneLine(f.message)}`;
}

function details(summary: string, body: readonly string[]): string[] {
  return ['<details>', `<summary>${escapeHtml(summary)}</summary>`, '', ...body, '', '</details>', ''];
}

function checkTitle(c: CheckResult): string {
  return { fmt: 'opa fmt', check: 'opa check --strict', test: 'opa test', lint: 'Regal lint' }[c.name];
}

const percent = (n: number | undefined) => (n === undefined ? 'n/a' : `${n}%`);
const short = (commit: string) => (/^[0-9a-f]{40}$/.test(commit) ? commit.slice(0, 12) : commit);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').replaceAll('|', '\\|').trim();
const escapeHtml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
