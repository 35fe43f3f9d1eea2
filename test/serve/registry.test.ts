import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { writeFileAtomic } from '../../src/compile/index.js';
import { BundleRegistry } from '../../src/serve/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { waitFor } from '../helpers/processes.js';

async function registryOver(files: Record<string, Uint8Array>): Promise<{ registry: BundleRegistry; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-registry-'));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  const registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger: pino({ level: 'silent' }), rescanIntervalMs: 60_000 });
  await registry.refresh();
  return { registry, dir };
}

describe('BundleRegistry', () => {
  it('publishes valid bundles and ignores hidden temporary files', async () => {
    const { registry } = await registryOver({ 'a.tar.gz': tinyBundle('r1', ['a']), '.a.tar.gz.123.tmp': new Uint8Array([1]) });
    assert.deepEqual(
      registry.states().map((s) => [s.name, s.revision]),
      [['a', 'r1']],
    );
  });

  it('keeps serving the last good revision when a broken file replaces it, and says why', async () => {
    const { registry, dir } = await registryOver({ 'a.tar.gz': tinyBundle('r1', ['a']) });
    const good = registry.get('a');
    await writeFile(join(dir, 'a.tar.gz'), tinyBundle('r2', ['a']).subarray(0, 40));
    await registry.refresh();
    assert.equal(registry.get('a'), good);
    assert.match(registry.states()[0]?.lastError ?? '', /gzip|truncated/);
  });

  it('refuses a bundle whose roots overlap another published bundle', async () => {
    const { registry, dir } = await registryOver({ 'a.tar.gz': tinyBundle('r1', ['a']) });
    await writeFile(join(dir, 'b.tar.gz'), tinyBundle('r1', ['a/sub']));
    await registry.refresh();
    assert.equal(registry.get('b'), undefined);
    assert.match(registry.states().find((s) => s.name === 'b')?.lastError ?? '', /overlapping roots/);
  });

  it('withdraws a bundle whose file is deleted, and says so', async () => {
    const { registry, dir } = await registryOver({ 'a.tar.gz': tinyBundle('r1', ['a']), 'b.tar.gz': tinyBundle('r1', ['b']) });
    const withdrawn: string[] = [];
    registry.on('withdrawn', (name: string) => withdrawn.push(name));
    await rm(join(dir, 'a.tar.gz'));
    await registry.refresh();
    assert.equal(registry.get('a'), undefined);
    assert.deepEqual(withdrawn, ['a']);
  });

  it('picks up a rebuilt bundle from the file-system watch, without a restart', async () => {
    const { registry, dir } = await registryOver({ 'a.tar.gz': tinyBundle('r1', ['a']) });
    const published: string[] = [];
    registry.on('published', (b: { revision: string }) => published.push(b.revision));
    registry.start();
    try {
      await writeFileAtomic(join(dir, 'a.tar.gz'), tinyBundle('r2', ['a']));
      await waitFor(() => (registry.get('a')?.revision === 'r2' ? true : undefined), 5000);
      assert.deepEqual(published, ['r2']);
    } finally {
      registry.stop();
    }
  });
});
