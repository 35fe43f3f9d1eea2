import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareUtf8, packageRoot } from '../core/index.js';
import { runOpa } from '../compile/index.js';
import type { CheckResult, Problem } from './model.js';

/** The Regal release tools/regal/go.mod pins, or undefined when the file is missing (an installed package without it). */
export function pinnedRegalVersion(): string | undefined {
  try {
    return /github\.com\/open-policy-agent\/regal (v\S+)/.exec(readFileSync(join(packageRoot(), 'tools/regal/go.mod'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function regalVersion(bin: string): string | undefined {
  try {
    const out = execFileSync(bin, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return /^Version:\s+(\S+)/m.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** The pinned regal from $REGAL_BIN, .tools/bin/regal or PATH, or why there is none (lint is then reported unavailable). */
export function resolveRegal(regalBin: string | undefined): { readonly bin: string } | { readonly missing: string } {
  const pin = pinnedRegalVersion();
  if (!pin) return { missing: 'tools/regal/go.mod does not pin a Regal release' };
  const local = join(packageRoot(), '.tools/bin/regal');
  for (const candidate of [regalBin, existsSync(local) ? local : undefined, 'regal']) {
    if (candidate && regalVersion(candidate) === pin) return { bin: candidate };
  }
  return { missing: `regal ${pin} was not found (checked $REGAL_BIN, .tools/bin/regal and PATH); run "npm run setup:regal" (needs Go) or set REGAL_BIN` };
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
