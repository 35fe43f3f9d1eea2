import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilerIdentity, pinnedToolVersion, type Toolchain } from '../compile/index.js';
import { coverageOf, fmtCheck, strictCheck, testCheck } from './checks.js';
import { throughCommitCache } from './commit-checks.js';
import { exportCommit, repositoryRoot, resolveCommit } from './git.js';
import { loadReplayInputs } from './inputs.js';
import { lintResult, lintVersion } from './regal.js';
import type { CheckResult, FailOn, Problem, ReplaySummary, ReviewResult } from './model.js';
import { replay } from './replay.js';
import { summarize } from './summary.js';
import { buildVersion, type BuiltVersion } from './version.js';

/** The image policy's decision rule, which `portcullis check` evaluates too. */
export const REVIEW_ENTRYPOINT = 'portcullis/scan/decision';

export interface ReviewOptions {
  /** Where the command runs: inside the git checkout; relative paths are resolved from here. */
  readonly cwd: string;
  readonly base: string;
  /** A ref, or undefined for the working tree as it is (uncommitted changes included). */
  readonly head?: string;
  readonly corpora: readonly string[];
  readonly decisions?: string;
  readonly token?: string;
  readonly entrypoint?: string;
  /** Bundle definitions folder, relative to the repository root. Default `bundles`. */
  readonly definitions?: string;
  readonly failOn?: FailOn;
  /** RFC 3339 time corpus inputs are normalized at, and the evaluation time of inputs without `now`. */
  readonly now?: string;
  readonly toolchain: () => Toolchain;
  /** The pinned regal, or why it is missing (lint is then reported unavailable). */
  readonly regal: { readonly bin: string } | { readonly missing: string };
  readonly cacheDir: string;
  readonly threads?: number;
  readonly maxEvents?: number;
}

/** Builds base and head, checks head, replays the inputs through both and says what changed. */
export async function runReview(options: ReviewOptions): Promise<ReviewResult> {
  const root = await repositoryRoot(options.cwd);
  const entrypoint = options.entrypoint ?? REVIEW_ENTRYPOINT;
  const now = options.now ?? new Date().toISOString();
  const baseCommit = await resolveCommit(root, options.base, '--base');
  const headCommit = options.head === undefined ? undefined : await resolveCommit(root, options.head, '--head');
  const inputs = await loadReplayInputs({ ...options, entrypoint, now, maxEvents: options.maxEvents ?? 100_000 });
  const toolchain = options.toolchain();
  const work = await mkdtemp(join(tmpdir(), 'portcullis-review-'));
  try {
    const common = { definitions: options.definitions ?? 'bundles', entrypoint, toolchain, cacheDir: options.cacheDir };
    const baseRoot = join(work, 'base');
    const headRoot = headCommit ? join(work, 'head') : root;
    await Promise.all([exportCommit(root, baseCommit, baseRoot), headCommit ? exportCommit(root, headCommit, headRoot) : undefined]);
    // Both sides compile at once; when both fail, base's error is the one reported, every time.
    const [base, head] = bothBuilt(
      await Promise.allSettled([
        buildVersion({ ...common, side: 'base', ref: options.base, commit: baseCommit, root: baseRoot, outDir: join(work, 'out-base') }),
        buildVersion({
          ...common,
          side: 'head',
          ref: options.head ?? 'working tree',
          commit: headCommit ?? 'working tree',
          root: headRoot,
          outDir: join(work, 'out-head'),
        }),
      ]),
    );
    const [checks, replayed] = await Promise.all([
      runChecks(toolchain, options.regal, base, head, options.cacheDir),
      replay({ base: base.archive, head: head.archive, entrypoint, now }, inputs.cases, options.threads === undefined ? {} : { threads: options.threads }),
    ]);
    const summary = summarize(replayed);
    const failOn = options.failOn ?? 'newly-denied';
    return {
      format_version: 1,
      base: base.info,
      head: head.info,
      entrypoint,
      ...checks,
      replay: summary,
      skipped: inputs.skipped,
      failOn,
      failures: failures(failOn, summary, checks.checks),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

type Settled = PromiseSettledResult<BuiltVersion>;

function bothBuilt([base, head]: [Settled, Settled]): [BuiltVersion, BuiltVersion] {
  if (base.status === 'rejected') throw base.reason;
  if (head.status === 'rejected') throw head.reason;
  return [base.value, head.value];
}

type Checks = Pick<ReviewResult, 'checks' | 'tests' | 'coverage'>;

/**
 * Head's checks, and what base's lint and coverage are compared with. Base is
 * a commit, and every review of a branch compares with the same one: its
 * results are kept by commit (throughCommitCache), so they run once, not
 * beside every replay.
 */
async function runChecks(toolchain: Toolchain, regal: ReviewOptions['regal'], base: BuiltVersion, head: BuiltVersion, cacheDir: string): Promise<Checks> {
  const baseKey = { commit: base.info.commit, dirs: base.policyDirs };
  const [fmt, check, test, baseCoverage, headCoverage, lint] = await Promise.all([
    fmtCheck(toolchain, head.root, head.policyDirs),
    strictCheck(toolchain, head.root, head.policyDirs),
    testCheck(toolchain, head.root, head.policyDirs),
    throughCommitCache(cacheDir, { ...baseKey, check: 'coverage', tool: compilerIdentity() }, isNumber, () =>
      coverageOf(toolchain, base.root, base.policyDirs),
    ),
    coverageOf(toolchain, head.root, head.policyDirs),
    lintCheck(
      regal,
      (bin) =>
        throughCommitCache(cacheDir, { ...baseKey, check: 'lint', tool: `regal-${pinnedToolVersion('regal')}` }, isProblemList, () =>
          lintVersion(bin, base.root, base.policyDirs),
        ),
      head,
    ),
  ]);
  const delta = baseCoverage !== undefined && headCoverage !== undefined ? Math.round((headCoverage - baseCoverage) * 100) / 100 : undefined;
  return {
    checks: [fmt, check, test.check, lint],
    tests: { passed: test.passed, failed: test.failed },
    coverage: {
      ...(baseCoverage === undefined ? {} : { base: baseCoverage }),
      ...(headCoverage === undefined ? {} : { head: headCoverage }),
      ...(delta === undefined ? {} : { delta }),
    },
  };
}

async function lintCheck(regal: ReviewOptions['regal'], lintBase: (bin: string) => Promise<Problem[]>, head: BuiltVersion): Promise<CheckResult> {
  if ('missing' in regal) return { name: 'lint', status: 'unavailable', summary: `lint unavailable: ${regal.missing}`, problems: [] };
  try {
    const [baseProblems, headProblems] = await Promise.all([lintBase(regal.bin), lintVersion(regal.bin, head.root, head.policyDirs)]);
    return lintResult(headProblems, baseProblems);
  } catch (err) {
    return { name: 'lint', status: 'unavailable', summary: `lint unavailable: ${(err as Error).message}`, problems: [] };
  }
}

/** Why the review fails under --fail-on: decision changes as asked, and (unless never) head's failing checks. */
export function failures(failOn: FailOn, replay: ReplaySummary, checks: readonly CheckResult[]): string[] {
  if (failOn === 'never') return [];
  const out: string[] = [];
  if (replay.newlyDenied > 0) out.push(`${replay.newlyDenied} input(s) newly denied`);
  const newErrors = replay.cases.filter((c) => c.head === 'error' && c.base !== 'error').length;
  if (newErrors > 0) out.push(`${newErrors} input(s) no longer evaluate`);
  if (failOn === 'any-change' && replay.changed > 0) out.push(`${replay.changed} input(s) changed`);
  for (const c of checks) if (c.status === 'fail') out.push(`${c.name}: ${c.summary}`);
  return out;
}

const isNumber = (value: unknown): value is number => typeof value === 'number';
/** A kept lint result: a list of problems, each with a level and a message. */
const isProblemList = (value: unknown): value is Problem[] =>
  Array.isArray(value) &&
  value.every((p: unknown) => typeof p === 'object' && p !== null && typeof (p as Problem).message === 'string' && typeof (p as Problem).level === 'string');
