import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { parse } from 'yaml';
import { REPO } from '../helpers/processes.js';

// The CI examples are copied into other repositories as they are: they must parse and run both commands.
// Their check steps are run against the packed package in test/cli/package.integration.test.ts.
for (const file of ['github-actions.yml', 'gitlab-ci.yml']) {
  it(`examples/ci/${file} is valid YAML that checks images and reviews policy changes`, async () => {
    const text = await readFile(join(REPO, 'examples', 'ci', file), 'utf8');
    const doc = parse(text) as Record<string, unknown>;
    assert.equal(typeof doc, 'object');
    assert.match(text, /npm install --global "\$PORTCULLIS_PACKAGE"/);
    assert.match(text, /portcullis check --report/);
    assert.match(text, /portcullis setup opa regal/, 'review compiles Rego: it installs the pinned opa and Regal');
    assert.match(text, /portcullis review --base "/);
    assert.match(text, /--output markdown > review\.md/);
    assert.doesNotMatch(text, /npm ci|npx portcullis build|npm run /, 'a repository that is not portcullis has none of these');
  });
}

it('the GitHub workflow posts the review as a pull-request comment with the permission it needs', async () => {
  const doc = parse(await readFile(join(REPO, 'examples', 'ci', 'github-actions.yml'), 'utf8')) as {
    jobs: Record<string, { permissions?: Record<string, string>; steps: { run?: string }[] }>;
  };
  const review = doc.jobs['review-policy'];
  assert.equal(review?.permissions?.['pull-requests'], 'write');
  assert.ok(review?.steps.some((s) => s.run?.includes('gh pr comment')));
});
