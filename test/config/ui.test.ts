import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import type { AppError } from '../../src/core/index.js';

async function configFile(text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'portcullis-ui-')), 'portcullis.yaml');
  await writeFile(file, text);
  return file;
}

describe('ui configuration', () => {
  it('serves the console by default, with eight-hour logins', async () => {
    const config = await loadConfig(undefined, {}, {});
    assert.deepEqual(config.ui, { enabled: true, loginExpiryMs: 8 * 3600_000 });
  });

  it('ui.enabled: false turns it off; login_expiry_minutes sets how long a login lasts', async () => {
    const config = await loadConfig(await configFile('ui:\n  enabled: false\n  login_expiry_minutes: 30\n'), {}, {});
    assert.deepEqual(config.ui, { enabled: false, loginExpiryMs: 30 * 60_000 });
  });

  it('refuses a wrong type, an unknown key and an out-of-range expiry, naming the key', async () => {
    for (const [text, why] of [
      ['ui:\n  enabled: "no"\n', /ui\/enabled|ui\.enabled/],
      ['ui:\n  theme: dark\n', /theme/],
      ['ui:\n  login_expiry_minutes: 0\n', /login_expiry_minutes/],
    ] as const) {
      await assert.rejects(loadConfig(await configFile(text), {}, {}), (err: AppError) => err.code === 'CONFIG_INVALID' && why.test(err.message), text);
    }
  });
});
