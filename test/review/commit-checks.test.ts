import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { throughCommitCache } from '../../src/review/commit-checks.js';

const isNumber = (value: unknown): value is number => typeof value === 'number';
const KEY = { check: 'coverage', tool: 'opa-1', commit: 'a'.repeat(40), dirs: ['policies'] };

describe("a committed version's kept check results", () => {
  it('runs a check once per commit, folders and tool, and again for any other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-commit-checks-'));
    let runs = 0;
    const coverage = (key: typeof KEY) =>
      throughCommitCache(dir, key, isNumber, async () => {
        runs += 1;
        return 87.5;
      });
    assert.equal(await coverage(KEY), 87.5);
    assert.equal(await coverage(KEY), 87.5);
    assert.equal(runs, 1, 'the second review of the same base reads what the first kept');
    await coverage({ ...KEY, commit: 'b'.repeat(40) });
    await coverage({ ...KEY, dirs: ['policies', 'lib'] });
    await coverage({ ...KEY, tool: 'opa-2' });
    await coverage({ ...KEY, check: 'lint' });
    assert.equal(runs, 5, 'another commit, folder list, tool or check is run');
  });

  it('does not keep a failed run, and runs again over a damaged entry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-commit-checks-'));
    let runs = 0;
    const failing = () =>
      throughCommitCache<number | undefined>(dir, KEY, isNumber, async () => {
        runs += 1;
        return undefined;
      });
    assert.equal(await failing(), undefined);
    assert.equal(await failing(), undefined);
    assert.equal(runs, 2, 'a result the check refuses is not kept');

    await throughCommitCache(dir, KEY, isNumber, async () => 50);
    const [entry] = await readdir(join(dir, 'review-checks'));
    assert.ok(entry);
    await writeFile(join(dir, 'review-checks', entry), '{not json');
    assert.equal(await throughCommitCache(dir, KEY, isNumber, async () => 60), 60, 'a damaged entry is run again');
    assert.equal(await throughCommitCache(dir, KEY, isNumber, async () => 70), 60, 'and replaced');
  });
});
