import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from '../../src/compile/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { toolchain } from '../helpers/opa.js';
import { freePort, start, startPortcullis, waitFor, type Child } from '../helpers/processes.js';

// A real agent configured for long polling, with a periodic polling delay far
// longer than the test: a new revision can only reach it in time if the
// server holds its request and answers as soon as the revision is published.
describe('a real OPA agent long-polls portcullis', () => {
  let dir: string;
  let server: Child & { url: string };
  let opa: Child;
  let opaUrl: string;

  const revision = async () => {
    const res = await fetch(`${opaUrl}/v1/data/system/bundles/tiny/manifest/revision`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as { result?: string }).result : undefined;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-lp-e2e-'));
    await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r1'));
    server = await startPortcullis(dir);
    const port = await freePort();
    opaUrl = `http://127.0.0.1:${port}`;
    const config = {
      services: { portcullis: { url: server.url } },
      bundles: {
        tiny: {
          service: 'portcullis',
          resource: 'bundles/tiny',
          polling: { min_delay_seconds: 120, max_delay_seconds: 180, long_polling_timeout_seconds: 30 },
        },
      },
    };
    const configFile = join(await mkdtemp(join(tmpdir(), 'portcullis-lp-opa-')), 'opa.json');
    await writeFile(configFile, JSON.stringify(config));
    opa = start(toolchain().opa, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', configFile, '--log-level', 'error']);
    await waitFor(
      async () => ((await revision()) === 'r1' ? true : undefined),
      30_000,
      () => opa.output(),
    );
  });

  after(async () => {
    await opa?.stop();
    await server?.stop();
  });

  it('activates each new revision long before its 120 s polling delay', async () => {
    for (const next of ['r2', 'r3']) {
      await writeFileAtomic(join(dir, 'tiny.tar.gz'), tinyBundle(next));
      await waitFor(
        async () => ((await revision()) === next ? true : undefined),
        20_000,
        () => opa.output() + server.output(),
      );
    }
    const data = await (await fetch(`${opaUrl}/v1/data/tiny/value`)).json();
    assert.deepEqual(data, { result: 'r3' });
  });
});
