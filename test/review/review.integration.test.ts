import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAppError } from '../../src/core/index.js';
import { toolEnvironment } from '../../src/compile/index.js';
import { normalizeFiles, type NormalizedInput } from '../../src/inputs/index.js';
import { resolveRegal, runReview, type ReviewOptions, type ReviewResult } from '../../src/review/index.js';
import { toolchain } from '../helpers/opa.js';
import { commitAll, createFixtureRepo, DECISION_TEST, decisionRego, git, NOW, put, refactoredRego, REPORTS } from './fixture-repo.js';

let repo: string;
let cacheDir: string;
const commits: Record<string, string> = {};

function options(head: string, extra: Partial<ReviewOptions> = {}): ReviewOptions {
  return {
    cwd: repo,
    base: 'main',
    head,
    corpora: ['corpus/reports', 'corpus/generated'],
    now: NOW,
    toolchain,
    regal: resolveRegal(toolEnvironment(process.env)),
    cacheDir,
    ...extra,
  };
}

/** A branch off main with one change committed on it. */
async function branch(name: string, change: () => Promise<void>): Promise<void> {
  await git(repo, 'checkout', '-q', '-b', name, 'main');
  await change();
  commits[name] = await commitAll(repo, name);
  await git(repo, 'checkout', '-q', 'main');
}

/** Every corpus input, normalized as the review does, by case id. */
async function corpusInputs(): Promise<Map<string, NormalizedInput>> {
  const out = new Map<string, NormalizedInput>();
  for (const f of (await readdir(join(repo, 'corpus', 'reports'))).sort()) {
    out.set(`reports/${f}`, await normalizeFiles({ reports: [{ path: join(repo, 'corpus', 'reports', f) }], now: NOW }));
  }
  for (const c of (await readdir(join(repo, 'corpus', 'generated'))).sort()) {
    const dir = join(repo, 'corpus', 'generated', c);
    out.set(`generated/${c}`, await normalizeFiles({ reports: [{ path: join(dir, 'report.json') }], metadata: join(dir, 'metadata.yaml'), now: NOW }));
  }
  return out;
}

const RANK: Readonly<Record<string, number>> = { UNKNOWN: 0, NEGLIGIBLE: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
const denies = (input: NormalizedInput, threshold: string) => input.vulnerabilities.some((v) => (RANK[v.severity] ?? 0) >= (RANK[threshold] ?? 9));

describe('portcullis review on a fixture repository', { timeout: 600_000 }, () => {
  before(async () => {
    repo = await createFixtureRepo();
    cacheDir = await mkdtemp(join(tmpdir(), 'portcullis-review-cache-'));
    await branch('tighten', () => put(repo, 'policies/scan/decision.rego', decisionRego('HIGH')));
    await branch('refactor', () => put(repo, 'policies/scan/decision.rego', refactoredRego('CRITICAL')));
    await branch('break-test', () => put(repo, 'policies/scan/decision.rego', decisionRego('CRITICAL').replace('"decision": verdict', '"decision": "allow"')));
    await branch('tests-only', () => put(repo, 'policies/scan/decision_test.rego', `${DECISION_TEST}\ntest_more if scan.rank.HIGH == 4\n`));
    await branch('lint', () =>
      put(repo, 'policies/scan/decision.rego', `${decisionRego('CRITICAL')}\ndebug if {\n\tprint("decision", verdict)\n\tverdict == "deny"\n}\n`),
    );
    await branch('unbuildable', () => put(repo, 'policies/scan/decision.rego', `${decisionRego('CRITICAL')}\nbroken := {\n`));
  });
  after(async () => {
    await rm(repo, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('reports exactly the inputs a tightened threshold newly denies', async () => {
    const inputs = await corpusInputs();
    const expected = [...inputs]
      .filter(([, i]) => !denies(i, 'CRITICAL') && denies(i, 'HIGH'))
      .map(([id]) => id)
      .sort();
    assert.ok(expected.length >= 5, `the corpus should hold inputs with HIGH but no CRITICAL findings (${expected.length})`);
    const result = await runReview(options('tighten'));
    const newlyDenied = result.replay.cases.filter((c) => c.base === 'allow' && c.head === 'deny').map((c) => c.id);
    assert.deepEqual(newlyDenied, expected);
    assert.equal(result.replay.total, inputs.size);
    assert.equal(result.replay.newlyDenied, expected.length);
    assert.equal(result.replay.newlyAllowed, 0);
    const rule = result.replay.rules.find((r) => r.rule === 'vulnerability_severity');
    assert.ok(rule && rule.added > 0 && rule.removed === 0);
    assert.ok(result.failures.some((f) => f.includes('newly denied')));
    assert.equal(result.checks.find((c) => c.name === 'test')?.status, 'pass');
    assert.ok(result.replay.topNamespaces.length > 0);
  });

  it('reports no change for a refactor with the same meaning', async () => {
    const result = await runReview(options('refactor', { failOn: 'any-change' }));
    assert.equal(result.replay.changed, 0);
    assert.deepEqual(result.replay.rules, []);
    assert.deepEqual(result.failures, []);
    assert.ok(result.replay.total > 30);
  });

  it('reports no change, and the new test, for a change to tests only (the bundle is the same)', async () => {
    const result = await runReview(options('tests-only', { failOn: 'any-change' }));
    assert.equal(result.replay.changed, 0);
    assert.deepEqual(result.tests, { passed: 3, failed: 0 });
    assert.deepEqual(result.failures, []);
  });

  it('reports a change that breaks opa test as failing, with the test and its file:line', async () => {
    const result: ReviewResult = await runReview(options('break-test', { failOn: 'newly-denied' }));
    const test = result.checks.find((c) => c.name === 'test');
    assert.equal(test?.status, 'fail');
    assert.equal(result.tests.failed, 1);
    assert.deepEqual(
      test?.problems.map((p) => [p.file, p.line, p.rule]),
      [['policies/scan/decision_test.rego', 5, 'data.portcullis.scan_test.test_critical_denied']],
    );
    assert.ok(result.failures.some((f) => f.startsWith('test:')));
    assert.ok(result.replay.newlyAllowed > 0);
  });

  it('reports the Regal violations a change adds, and only those', async () => {
    const regal = resolveRegal(toolEnvironment(process.env));
    // npm install builds the pinned Regal; its absence is an install defect, not a reason to skip.
    assert.ok(!('missing' in regal), `Regal is not built (run npx portcullis setup regal): ${'missing' in regal ? regal.missing : ''}`);
    const result = await runReview(options('lint'));
    const lint = result.checks.find((c) => c.name === 'lint');
    assert.equal(lint?.status, 'fail');
    assert.deepEqual(
      lint?.problems.map((p) => [p.rule, p.file, p.line, p.level]),
      [['print-or-trace-call', 'policies/scan/decision.rego', 41, 'error']],
    );
    assert.equal((await runReview(options('refactor'))).checks.find((c) => c.name === 'lint')?.status, 'pass');
  });

  it('names the side and the file:line of a version that does not build', async () => {
    await assert.rejects(runReview(options('unbuildable')), (err: unknown) => {
      assert.ok(isAppError(err) && err.code === 'COMPILE_FAILED');
      assert.match(err.message, /^head \(unbuildable\) does not build/);
      assert.ok(
        err.details.some((d) => d.file === 'policies/scan/decision.rego' && typeof d.line === 'number'),
        JSON.stringify(err.details),
      );
      return true;
    });
    await assert.rejects(runReview({ ...options('unbuildable'), base: 'unbuildable' }), /^AppError: base \(unbuildable\) does not build/);
  });

  it('refuses a bad ref, naming it', async () => {
    await assert.rejects(runReview(options('no-such-branch')), (err: unknown) => {
      assert.ok(isAppError(err) && err.code === 'GIT_REF_INVALID');
      assert.match(err.message, /--head no-such-branch/);
      return true;
    });
    await assert.rejects(runReview({ ...options('tighten'), base: 'v9.9.9' }), /--base v9\.9\.9/);
  });

  it('refuses an empty corpus', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'portcullis-empty-corpus-'));
    try {
      await assert.rejects(runReview(options('tighten', { corpora: [empty] })), (err: unknown) => isAppError(err) && err.code === 'CORPUS_EMPTY');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('gives the same result on worker threads as on the main thread', async () => {
    const [pooled, single] = await Promise.all([runReview(options('tighten', { threads: 2 })), runReview(options('tighten', { threads: 0 }))]);
    assert.deepEqual(pooled.replay, single.replay);
  });

  it('uses the real fixture reports', async () => {
    const names = (await readdir(REPORTS)).filter((f) => f.endsWith('.json'));
    assert.deepEqual((await readdir(join(repo, 'corpus', 'reports'))).sort(), names.sort());
  });
});
