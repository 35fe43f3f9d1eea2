import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isMap, isPair, isScalar, parseDocument } from 'yaml';
import { runOpa, toolEnvironment } from '../../src/compile/index.js';
import { resolveRegal } from '../../src/review/index.js';
import { REPO } from '../helpers/processes.js';

const CONFIG = join(REPO, '.regal', 'config.yaml');

interface RegalReport {
  readonly violations?: { title: string; location?: { file?: string; row?: number } }[];
  readonly summary?: { files_scanned?: number };
}

/** [category/rule, whether a comment says why] for every rule the config turns off or narrows to some files. */
function loosenedRules(): [string, boolean][] {
  const doc = parseDocument(readFileSync(CONFIG, 'utf8'));
  const rules = doc.get('rules');
  assert.ok(isMap(rules), '.regal/config.yaml has a rules map');
  const found: [string, boolean][] = [];
  for (const category of rules.items) {
    if (!isMap(category.value)) continue;
    for (const rule of category.value.items) {
      if (!isMap(rule.value)) continue;
      const level = rule.value.get('level');
      const loosened = level === 'ignore' || rule.value.has('ignore');
      if (!loosened) continue;
      const commented = rule.value.items.some((p) => isPair(p) && isScalar(p.key) && (p.key.commentBefore ?? '').trim().length > 0);
      const onRule = [isScalar(rule.key) ? rule.key.commentBefore : undefined, rule.value.commentBefore].some((c) => (c ?? '').trim().length > 0);
      found.push([`${String(category.key)}/${String(rule.key)}`, commented || onRule]);
    }
  }
  return found;
}

// The policy library is held to Regal with the checked-in configuration
// (found by Regal itself from the repository root, as a user's `regal lint
// policies` finds it). Regal is built by npm install like opa: missing, this fails.
describe('policies/ with the pinned Regal', () => {
  it('passes regal lint with .regal/config.yaml', async () => {
    const regal = resolveRegal(toolEnvironment(process.env));
    assert.ok(!('missing' in regal), `Regal is not built: ${'missing' in regal ? regal.missing : ''}`);
    const run = await runOpa(regal.bin, ['lint', '--format', 'json', 'policies'], REPO);
    const report = JSON.parse(run.stdout) as RegalReport;
    assert.ok((report.summary?.files_scanned ?? 0) >= 20, `Regal scanned ${report.summary?.files_scanned} files`);
    const found = (report.violations ?? []).map((v) => `${v.location?.file}:${v.location?.row} ${v.title}`);
    assert.deepEqual(found, []);
    assert.equal(run.code, 0, run.stderr);
  });

  it('says why, in a comment, for every rule the configuration turns off or limits', () => {
    const rules = loosenedRules();
    assert.ok(rules.length > 0, 'the configuration loosens no rule: then this test and the config can go');
    assert.deepEqual(
      rules.filter(([, commented]) => !commented).map(([rule]) => rule),
      [],
    );
  });
});
