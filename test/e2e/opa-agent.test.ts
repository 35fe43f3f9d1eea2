import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_CASES, rulesOf } from '../helpers/image-inputs.js';
import { toolchain } from '../helpers/opa.js';
import { CLI, freePort, start, startPortcullis, waitFor, type Child } from '../helpers/processes.js';
import { scratchProject } from '../helpers/project.js';

// The whole path with a real agent: portcullis builds and serves, `opa run
// --server` polls, activates the Wasm bundle and answers decisions; a rebuild
// reaches the agent without a restart.
describe('a real OPA agent pulls and decides with portcullis bundles', () => {
  let project: string;
  let server: Child & { url: string };
  let opa: Child;
  let opaUrl: string;

  const build = () => {
    const run = spawnSync(process.execPath, [CLI, 'build', '--bundles', 'bundles', '--out', 'out', '--json'], { cwd: project, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout)[0] as { revision: string };
  };

  const decide = async (rule: 'deny' | 'allow', input: unknown) => {
    const res = await fetch(`${opaUrl}/v1/data/portcullis/image/pinned/${rule}`, { method: 'POST', body: JSON.stringify({ input }) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { result: unknown }).result;
  };

  const activeRevision = async () => {
    const res = await fetch(`${opaUrl}/v1/data/system/bundles/image-policy/manifest/revision`);
    return ((await res.json()) as { result?: string }).result;
  };

  before(async () => {
    project = await scratchProject();
    build();
    server = await startPortcullis(join(project, 'out'));
    const port = await freePort();
    opaUrl = `http://127.0.0.1:${port}`;
    const config = {
      services: { portcullis: { url: server.url } },
      bundles: { 'image-policy': { service: 'portcullis', resource: 'bundles/image-policy', polling: { min_delay_seconds: 1, max_delay_seconds: 1 } } },
    };
    await writeFile(join(project, 'opa.yaml'), JSON.stringify(config));
    opa = start(toolchain().opa, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', join(project, 'opa.yaml'), '--log-level', 'error']);
    await waitFor(
      async () => {
        const res = await fetch(`${opaUrl}/health?bundles`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      30_000,
      () => opa.output(),
    );
  });

  after(async () => {
    await opa?.stop();
    await server?.stop();
  });

  it('activates the bundle and decides on every example input like the policy says', async () => {
    assert.ok(IMAGE_CASES.length >= 10);
    for (const c of IMAGE_CASES) {
      const input = { images: c.images };
      assert.deepEqual(rulesOf(await decide('deny', input)), [...c.rules].sort(), JSON.stringify(input));
      assert.equal(await decide('allow', input), c.rules.length === 0, JSON.stringify(input));
    }
  });

  it('activates a rebuilt policy without a restart', async () => {
    const before = await activeRevision();
    const policy = join(project, 'policies/image/pinned.rego');
    await writeFile(policy, (await readFile(policy, 'utf8')).replace('is not pinned by a sha256 digest', 'must be pinned by a sha256 digest'));
    const { revision } = build();
    assert.notEqual(revision, before);
    await waitFor(
      async () => ((await activeRevision()) === revision ? true : undefined),
      20_000,
      () => opa.output(),
    );
    const [violation] = (await decide('deny', { images: ['nginx:1.27'] })) as { msg: string }[];
    assert.equal(violation?.msg, "image 'nginx:1.27' must be pinned by a sha256 digest");
  });
});
