import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sarifErrors } from '../report/sarif-schema.js';
import { CLI } from '../helpers/processes.js';
import { commitAll, createFixtureRepo, decisionRego, git, NOW, put, refactoredRego } from './fixture-repo.js';

let repo: string;
let stateDir: string;

/** Runs the built CLI in the fixture repository; never rejects, so exit codes can be asserted. */
function review(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [CLI, 'review', '--corpus', 'corpus/reports', '--corpus', 'corpus/generated', '--now', NOW, ...args];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { cwd: repo, env: { ...process.env, PORTCULLIS_STATE_DIR: stateDir }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

describe('portcullis review (CLI)', { timeout: 600_000 }, () => {
  before(async () => {
    repo = await createFixtureRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'portcullis-review-state-'));
    await git(repo, 'checkout', '-q', '-b', 'tighten');
    await put(repo, 'policies/scan/decision.rego', decisionRego('HIGH'));
    await commitAll(repo, 'tighten');
    await git(repo, 'checkout', '-q', 'main');
  });
  after(async () => {
    await rm(repo, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  it('exits 1 with a pull-request comment when inputs are newly denied', async () => {
    const run = await review('--base', 'main', '--head', 'tighten');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^## Policy review: main → tighten\n\n❌ \*\*Fails\*\* \(9 input\(s\) newly denied\)/);
    assert.match(run.stdout, /<details>\n<summary>Changed inputs \(21\)<\/summary>/);
    assert.equal(run.stdout, (await review('--base', 'main', '--head', 'tighten')).stdout, 'the markdown is stable from run to run');
  });

  it('exits 0 under --fail-on never, and prints SARIF 2.1.0 that validates', async () => {
    const run = await review('--base', 'main', '--head', 'tighten', '--fail-on', 'never', '--output', 'sarif');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(sarifErrors(run.stdout), '');
    const results = (JSON.parse(run.stdout) as { runs: { results: { ruleId: string }[] }[] }).runs[0]?.results ?? [];
    assert.equal(results.filter((r) => r.ruleId === 'review/newly-denied').length, 9);
  });

  it('reviews the working tree by default and says nothing more than needed when nothing changed', async () => {
    await put(repo, 'policies/scan/decision.rego', refactoredRego('CRITICAL'));
    try {
      const run = await review('--base', 'main', '--fail-on', 'any-change');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /✅ \*\*Passes\*\*: no change to the decisions on 36 recorded input\(s\)\./);
      assert.doesNotMatch(run.stdout, /<details>/);
      assert.match(run.stdout, /head working tree/);
    } finally {
      await git(repo, 'checkout', '--', 'policies/scan/decision.rego');
    }
  });

  it('prints the full detail as JSON', async () => {
    const run = await review('--base', 'main', '--head', 'tighten', '--output', 'json');
    const result = JSON.parse(run.stdout) as { format_version: number; replay: { newlyDenied: number; cases: unknown[] }; head: { bundle: string } };
    assert.equal(result.format_version, 1);
    assert.equal(result.replay.newlyDenied, 9);
    assert.equal(result.replay.cases.length, 21);
    assert.equal(result.head.bundle, 'image-scan');
  });

  it('exits 2 naming a bad ref, and 2 for an empty corpus', async () => {
    const bad = await review('--base', 'origin/nope');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--base origin\/nope: not a commit/);
    const empty = await mkdtemp(join(tmpdir(), 'portcullis-empty-'));
    try {
      const run = await new Promise<number>((resolve) => {
        execFile(process.execPath, [CLI, 'review', '--base', 'main', '--corpus', empty], { cwd: repo }, (err) => resolve(err ? Number(err.code) : 0));
      });
      assert.equal(run, 2);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('replays decision-log events from an NDJSON file', async () => {
    const events = [
      {
        decision_id: 'd-1',
        path: 'portcullis/scan/decision',
        input: { image: { ref: 'a:1' }, vulnerabilities: [{ id: 'CVE-9', severity: 'HIGH', package: { name: 'x' } }], metadata: { namespace: 'prod' } },
      },
      { decision_id: 'd-2', path: 'portcullis/scan/decision', input: { image: { ref: 'b:1' }, vulnerabilities: [] } },
      { decision_id: 'd-3', path: 'portcullis/image/pinned/deny', input: { images: ['c'] } },
    ];
    const file = join(stateDir, 'decisions.ndjson');
    await writeFile(file, events.map((e) => JSON.stringify(e)).join('\n'));
    const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'review', '--base', 'main', '--head', 'tighten', '--from-decisions', file, '--output', 'json'],
        { cwd: repo },
        (err, stdout) => resolve({ code: err ? Number(err.code) : 0, stdout }),
      );
    });
    assert.equal(run.code, 1);
    const result = JSON.parse(run.stdout) as { replay: { total: number; cases: { id: string; base: string; head: string; namespace?: string }[] } };
    assert.equal(result.replay.total, 2);
    assert.deepEqual(
      result.replay.cases.map((c) => [c.id, c.base, c.head, c.namespace]),
      [['d-1', 'allow', 'deny', 'prod']],
    );
  });
});
