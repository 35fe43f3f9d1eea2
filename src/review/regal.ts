import { compareUtf8 } from '../core/index.js';
import { describeSearchOrder, findPinnedTool, pinnedToolVersion, runOpa, setupHint, type ToolEnvironment } from '../compile/index.js';
import type { CheckResult, Problem } from './model.js';

/** The pinned Regal (the one tool lookup: $REGAL_BIN, .tools/bin, the per-user cache, PATH), or why there is none (lint is then reported unavailable). */
export function resolveRegal(tools: ToolEnvironment): { readonly bin: string } | { readonly missing: string } {
  const found = findPinnedTool('regal', tools);
  if (found) return { bin: found.path };
  return { missing: `regal ${pinnedToolVersion('regal')} was not found (looked at ${describeSearchOrder('regal', tools)}): ${setupHint('regal')}` };
}

interface RegalViolation {
  readonly title: string;
  readonly description?: string;
  readonly level?: string;
  readonly location?: { readonly file?: string; readonly row?: number; readonly text?: string };
}

/** `regal lint --format json` over the policy folders, run from the version's root so paths are repository paths (runOpa is a plain execFile wrapper). */
export async function lintVersion(bin: string, root: string, dirs: readonly string[]): Promise<Problem[]> {
  const run = await runOpa(bin, ['lint', '--format', 'json', ...dirs], root);
  let report: { violations?: RegalViolation[] };
  try {
    report = JSON.parse(run.stdout) as { violations?: RegalViolation[] };
  } catch {
    throw new Error(`regal lint failed (exit ${run.code}): ${(run.stderr || run.stdout).trim().slice(0, 2000)}`);
  }
  return (report.violations ?? []).map((v) => ({
    level: v.level === 'error' ? 'error' : 'warning',
    message: `${v.title}: ${v.description ?? ''}`.replace(/: $/, ''),
    rule: v.title,
    ...(v.location?.file ? { file: v.location.file } : {}),
    ...(v.location?.row ? { line: v.location.row } : {}),
  }));
}

/** Lint result for head: it fails only on error-level violations base does not have, so a legacy backlog does not block every change. */
export function lintResult(head: readonly Problem[], base: readonly Problem[]): CheckResult {
  const key = (p: Problem) => `${p.file ?? ''}\u0000${p.rule ?? ''}\u0000${p.message}`;
  const known = new Map<string, number>();
  for (const p of base) known.set(key(p), (known.get(key(p)) ?? 0) + 1);
  const introduced: Problem[] = [];
  for (const p of head) {
    const left = known.get(key(p)) ?? 0;
    if (left > 0) known.set(key(p), left - 1);
    else introduced.push(p);
  }
  // By place, so the comment lists them in the order a reader scans the files.
  introduced.sort((a, b) => compareUtf8(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || compareUtf8(a.rule ?? '', b.rule ?? ''));
  const errors = introduced.filter((p) => p.level === 'error').length;
  const summary = `${head.length} violation(s), ${introduced.length} new (${errors} error level)`;
  return { name: 'lint', status: errors > 0 ? 'fail' : 'pass', summary, problems: introduced };
}
