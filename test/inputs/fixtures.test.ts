import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertNormalizedInput, detectReportFormat } from '../../src/inputs/index.js';
import { FIXTURE_LIST, FIXTURES, fixturePath, goldenPath, goldenSummary, normalizeFixture } from './fixtures.js';

describe('every real fixture', () => {
  for (const fixture of FIXTURE_LIST) {
    describe(`${fixture.kind}/${fixture.name}`, () => {
      if (fixture.format) {
        it(`is detected as ${fixture.format}`, async () => {
          const raw = JSON.parse(await readFile(fixturePath(fixture), 'utf8')) as unknown;
          assert.equal(detectReportFormat(raw), fixture.format);
        });
      }

      it('normalizes to a schema-valid input equal to its reviewed golden', async () => {
        const input = await normalizeFixture(fixture);
        // normalize() validates already; validating a JSON round trip proves nothing non-JSON slipped in.
        assertNormalizedInput(JSON.parse(JSON.stringify(input)), fixture.name);
        const golden = JSON.parse(await readFile(goldenPath(fixture), 'utf8')) as unknown;
        assert.deepEqual(
          JSON.parse(JSON.stringify(goldenSummary(fixture, input))),
          golden,
          'regenerate with npm run golden:inputs only after a deliberate change',
        );
      });
    });
  }
});

it('covers every file in the real fixtures folder', async () => {
  const listed = new Set(FIXTURE_LIST.map((f) => `${f.kind}/${f.name}`));
  for (const kind of ['reports', 'dockerfiles', 'admission']) {
    for (const name of await readdir(join(FIXTURES, kind))) assert.ok(listed.has(`${kind}/${name}`), `${kind}/${name} has no test`);
  }
});
