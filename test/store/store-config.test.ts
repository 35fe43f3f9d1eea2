import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULTS, loadConfig } from '../../src/config/index.js';

async function configFile(text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'portcullis-store-config-')), 'portcullis.yaml');
  await writeFile(file, text);
  return file;
}

describe('store, auth, ingest and TLS configuration', () => {
  it('defaults to SQLite under the state directory, auth off, 64 MiB bodies and 30-day retention', async () => {
    const config = await loadConfig(await configFile('state:\n  dir: st\n'));
    assert.deepEqual(config.store, { driver: 'sqlite', path: join(config.stateDir, DEFAULTS.sqliteFile) });
    assert.equal(config.auth.required, false);
    assert.deepEqual(config.ingest, { maxBodyBytes: 64 * 1024 * 1024, maxRatio: DEFAULTS.ingestMaxCompressionRatio, maxDepth: 128 });
    assert.equal(config.retention.maxAgeMs, 30 * 24 * 3_600_000);
    assert.equal(config.retention.historyMs, 90 * 24 * 3_600_000, "the inventory's history: 90 days");
    assert.equal(config.tls, undefined);
  });

  it('reads a PostgreSQL URL from the variable url_env names, and resolves TLS files next to the config', async () => {
    const file = await configFile(
      'store:\n  driver: postgres\n  url_env: PG_URL\n  retention: { max_age_hours: 2, max_decisions: 10, history_hours: 800 }\nauth: { required: true }\nserver:\n  tls: { cert: c.pem, key: k.pem, client_ca: ca.pem }\n',
    );
    const config = await loadConfig(file, {}, { PG_URL: 'postgres://u@127.0.0.1/db' });
    assert.deepEqual(config.store, { driver: 'postgres', url: 'postgres://u@127.0.0.1/db' });
    assert.deepEqual(config.retention, {
      maxAgeMs: 7_200_000,
      maxDecisions: 10,
      intervalMs: DEFAULTS.retentionIntervalSeconds * 1000,
      historyMs: 800 * 3_600_000,
    });
    assert.equal(config.auth.required, true);
    assert.equal(config.tls?.cert, join(file, '..', 'c.pem'));
    assert.equal(config.tls?.requireClientCert, false);
  });

  it('refuses postgres without a URL, an unknown driver, and unknown keys, naming them', async () => {
    await assert.rejects(loadConfig(await configFile('store:\n  driver: postgres\n  url_env: NOPE\n'), {}, {}), /environment variable NOPE/);
    await assert.rejects(loadConfig(await configFile('store:\n  driver: mysql\n')), /\/store\/driver/);
    await assert.rejects(loadConfig(await configFile('auth:\n  requred: true\n')), /requred/);
    await assert.rejects(loadConfig(await configFile('ingest:\n  max_body_bytes: 0\n')), /max_body_bytes/);
    // The console's 30-day trend of open findings reads the findings resolved in that time.
    await assert.rejects(loadConfig(await configFile('store:\n  retention: { history_hours: 719 }\n')), /history_hours.*720/);
  });
});
