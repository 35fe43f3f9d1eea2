import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { parse } from 'yaml';
import { defaultSettings } from '../../src/check/index.js';
import { REPO } from '../helpers/processes.js';

it('the default settings of --policies are the ones bundles/image-scan.yaml mounts at portcullis/scan/settings', async () => {
  const definition = parse(await readFile(join(REPO, 'bundles', 'image-scan.yaml'), 'utf8')) as { data: { file: string; path: string }[] };
  const mounted = definition.data.find((d) => d.path === 'portcullis/scan/settings');
  assert.equal(mounted?.file, '../examples/policy/settings.yaml');
  const settings = await defaultSettings();
  assert.equal(settings.source, join('examples', 'policy', 'settings.yaml'));
  assert.deepEqual(settings.value, parse(await readFile(join(REPO, 'examples', 'policy', 'settings.yaml'), 'utf8')));
  assert.ok(Object.keys(settings.value as object).length > 0, 'never empty settings');
});
