import assert from 'node:assert/strict';
import { it } from 'node:test';
import { failures, formatReviewMarkdown, summarize, type CaseChange, type ReviewResult } from '../../src/review/index.js';

const violation = (rule: string, message: string) => ({ kind: 'violation' as const, rule, message });

const CHANGES: CaseChange[] = [
  { id: 'b', source: 'c', image: 'img:2', namespace: 'prod', base: 'deny', head: 'allow', added: [], removed: [violation('r1', 'x')] },
  { id: 'a', source: 'c', image: 'img:1', namespace: 'prod', base: 'allow', head: 'deny', added: [violation('r1', 'y'), violation('r2', 'z')], removed: [] },
  { id: 'c', source: 'c', image: 'img:1', base: 'deny', head: 'deny', added: [violation('r2', 'w')], removed: [] },
];

function result(changes: CaseChange[], pairs: Record<string, number>): ReviewResult {
  const replay = summarize([{ changes, pairs }]);
  return {
    format_version: 1,
    base: { ref: 'main', commit: 'a'.repeat(40), bundle: 'image-scan', definition: 'bundles/image-scan.yaml' },
    head: { ref: 'working tree', commit: 'working tree', bundle: 'image-scan', definition: 'bundles/image-scan.yaml' },
    entrypoint: 'portcullis/scan/decision',
    checks: [{ name: 'test', status: 'pass', summary: '2 passed, 0 failed', problems: [] }],
    tests: { passed: 2, failed: 0 },
    coverage: { base: 90, head: 92.5, delta: 2.5 },
    replay,
    skipped: [],
    failOn: 'newly-denied',
    failures: failures('newly-denied', replay, []),
  };
}

it('counts flips, rules and groups in a stable order', () => {
  const s = summarize([{ changes: CHANGES, pairs: { 'deny>allow': 1, 'allow>deny': 1, 'deny>deny': 2, 'allow>allow': 6 } }]);
  assert.deepEqual([s.total, s.changed, s.unchanged, s.newlyDenied, s.newlyAllowed, s.findingsOnly], [10, 3, 7, 1, 1, 1]);
  assert.deepEqual(
    s.cases.map((c) => c.id),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    s.rules.map((r) => [r.rule, r.added, r.removed, r.inputs]),
    [
      ['r1', 1, 1, 2],
      ['r2', 2, 0, 2],
    ],
  );
  assert.deepEqual(
    s.topImages.map((g) => [g.name, g.inputs, g.newlyDenied]),
    [
      ['img:1', 2, 1],
      ['img:2', 1, 0],
    ],
  );
  assert.deepEqual(
    s.topNamespaces.map((g) => g.name),
    ['prod'],
  );
  assert.deepEqual(s.verdicts.head, { allow: 7, deny: 3, error: 0 });
});

it('fails on newly denied inputs, on any change only when asked, never under never', () => {
  const s = summarize([{ changes: CHANGES.slice(2), pairs: { 'deny>deny': 1 } }]);
  assert.deepEqual(failures('newly-denied', s, []), []);
  assert.deepEqual(failures('any-change', s, []), ['1 input(s) changed']);
  assert.deepEqual(failures('never', s, [{ name: 'test', status: 'fail', summary: '1 failed', problems: [] }]), []);
  assert.deepEqual(failures('newly-denied', s, [{ name: 'test', status: 'fail', summary: '1 failed', problems: [] }]), ['test: 1 failed']);
});

it('renders the newly denied inputs first, in collapsible sections', () => {
  const md = formatReviewMarkdown(result(CHANGES, { 'deny>allow': 1, 'allow>deny': 1, 'deny>deny': 1 }));
  assert.match(md, /❌ \*\*Fails\*\* \(1 input\(s\) newly denied\): 3 of 3 input\(s\) change\./);
  assert.ok(md.indexOf('- `a` (img:1): allow → deny') < md.indexOf('- `b` (img:2): deny → allow'));
  assert.match(md, /\| Coverage \| 90% → 92\.5% \| \(\+2\.5 points\) \|/);
  assert.equal((md.match(/<details>/g) ?? []).length, 4);
});

it('says only that nothing changed when nothing did', () => {
  const md = formatReviewMarkdown(result([], { 'allow>allow': 3 }));
  assert.match(md, /✅ \*\*Passes\*\*: no change to the decisions on 3 recorded input\(s\)\./);
  assert.doesNotMatch(md, /<details>/);
});
