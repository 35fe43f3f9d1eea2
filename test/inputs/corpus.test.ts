import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { detectReportFormat } from '../../src/inputs/index.js';
import { CORPUS, corpusFiles, corpusPath, normalizeCorpus } from './corpus.js';

// The table-driven corpus: every real and upstream report file, with what
// portcullis must read from it. The decisions of the same table are checked
// with the built policy in test/policies/corpus.integration.test.ts.
describe('report corpus: format, targets and counts of every real report file', () => {
  it('has an expectation for every file', () => {
    assert.deepEqual(CORPUS.map((e) => `${e.dir}/${e.name}`).sort(), corpusFiles());
  });

  for (const entry of CORPUS) {
    it(`${entry.dir}/${entry.name}`, () => {
      const text = readFileSync(corpusPath(entry), 'utf8');
      if (!text.trimStart().startsWith('<')) assert.equal(detectReportFormat(JSON.parse(text)), entry.format);
      const inputs = normalizeCorpus(entry);
      const sum = (count: (i: (typeof inputs)[number]) => number) => inputs.reduce((n, i) => n + count(i), 0);
      assert.deepEqual(
        {
          format: inputs[0]?.reports[0]?.format,
          targets: inputs.map((i) => i.image.ref),
          vulnerabilities: sum((i) => i.vulnerabilities.length),
          misconfigurations: sum((i) => i.misconfigurations.filter((m) => m.status === 'FAIL').length),
          secrets: sum((i) => i.secrets.length),
          warnings: sum((i) => i.reports.reduce((n, r) => n + r.warnings.length, 0)),
        },
        {
          format: entry.format,
          targets: entry.targets,
          vulnerabilities: entry.vulnerabilities,
          misconfigurations: entry.misconfigurations,
          secrets: entry.secrets,
          warnings: entry.warnings,
        },
      );
    });
  }
});
