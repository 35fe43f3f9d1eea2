import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from '../../src/compile/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { toolchain } from '../helpers/opa.js';
import { freePort, start, startPortcullis, waitFor, type Child } from '../helpers/processes.js';

// Data-only changes travel as delta bundles to agents that can take them; an
// agent that persists bundles asks for snapshots (OPA rejects deltas there)
// and still converges on the same data.
describe('delta bundles with real OPA agents', () => {
  let dir: string;
  let server: Child & { url: string };
  const agents: { name: string; url: string; child: Child }[] = [];

  const value = async (url: string) => {
    const res = await fetch(`${url}/v1/data/tiny/value`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as { result?: string }).result : undefined;
  };
  const deliveries = async (type: string) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(new RegExp(`portcullis_bundle_deliveries_total\\{bundle="tiny",type="${type}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-delta-'));
    await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r1'));
    server = await startPortcullis(dir);
    for (const [name, persist] of [
      ['delta', false],
      ['persisting', true],
    ] as const) {
      const port = await freePort();
      const work = await mkdtemp(join(tmpdir(), `portcullis-delta-${name}-`));
      const config = {
        services: { portcullis: { url: server.url } },
        persistence_directory: work,
        bundles: {
          tiny: {
            service: 'portcullis',
            resource: persist ? 'bundles/tiny?mode=snapshot' : 'bundles/tiny',
            persist,
            polling: { min_delay_seconds: 120, max_delay_seconds: 180, long_polling_timeout_seconds: 20 },
          },
        },
      };
      await writeFile(join(work, 'opa.json'), JSON.stringify(config));
      const child = start(toolchain().opa, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', join(work, 'opa.json'), '--log-level', 'error']);
      agents.push({ name, url: `http://127.0.0.1:${port}`, child });
    }
    for (const a of agents)
      await waitFor(
        async () => ((await value(a.url)) === 'r1' ? true : undefined),
        30_000,
        () => a.child.output(),
      );
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.child.stop()));
    await server?.stop();
  });

  it('sends data-only changes as deltas to the agent that can take them, snapshots to the other', async () => {
    const snapshotsBefore = await deliveries('snapshot');
    for (const revision of ['r2', 'r3']) {
      await writeFileAtomic(join(dir, 'tiny.tar.gz'), tinyBundle(revision));
      for (const a of agents)
        await waitFor(
          async () => ((await value(a.url)) === revision ? true : undefined),
          20_000,
          () => a.child.output(),
        );
    }
    assert.equal(await deliveries('delta'), 2, 'one delta per publish, for the non-persisting agent');
    assert.equal((await deliveries('snapshot')) - snapshotsBefore, 2, 'one snapshot per publish, for the persisting agent');
    for (const a of agents) {
      const revision = await (await fetch(`${a.url}/v1/data/system/bundles/tiny/manifest/revision`)).json();
      assert.deepEqual(revision, { result: 'r3' }, a.name);
      assert.doesNotMatch(a.child.output(), /"level":"error"/, a.name);
    }
  });
});
