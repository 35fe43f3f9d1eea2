import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadBundle } from '../../src/bundle/index.js';
import { buildBundles, compilerIdentity, OpaCompiler } from '../../src/compile/index.js';
import { toolchain } from '../helpers/opa.js';
import { startPortcullis, waitFor } from '../helpers/processes.js';
import { scratchProject } from '../helpers/project.js';

const REBUILDS = 50;

// A client polling as fast as it can while the bundle is rebuilt 50 times
// must only ever receive complete bundles that load.
describe('atomic publish', () => {
  it(`a polling client never receives a broken bundle during ${REBUILDS} rebuilds`, async () => {
    const project = await scratchProject();
    const settings = join(project, 'bundles/data/image-settings.yaml');
    const build = () =>
      buildBundles({
        definitionsDir: join(project, 'bundles'),
        outDir: join(project, 'out'),
        cacheDir: join(project, 'cache'),
        compilerId: compilerIdentity(),
        compiler: () => new OpaCompiler(toolchain()),
      });
    await build();
    const server = await startPortcullis(join(project, 'out'));
    let done = false;
    const revisions = new Set<string>();
    let fetched = 0;
    const poller = (async () => {
      while (!done) {
        const res = await fetch(`${server.url}/bundles/image-policy`);
        assert.equal(res.status, 200);
        const bundle = loadBundle(new Uint8Array(await res.arrayBuffer()));
        assert.equal(`"${bundle.manifest.revision.length}"`, '"16"');
        revisions.add(bundle.manifest.revision);
        fetched++;
      }
    })();
    try {
      for (let i = 0; i < REBUILDS; i++) {
        await writeFile(settings, `mutable_tags:\n  - latest\n  - tag-${i}\n`);
        await build();
      }
      // The server publishes the last rebuild once its watcher sees it: the poller must get there, within a deadline.
      const last = loadBundle(new Uint8Array(await readFile(join(project, 'out', 'image-policy.tar.gz')))).manifest.revision;
      await waitFor(
        () => (revisions.has(last) ? true : undefined),
        30_000,
        () => `saw ${revisions.size} revisions, not ${last}`,
      );
    } finally {
      done = true;
      await poller.finally(() => server.stop());
    }
    assert.ok(fetched >= REBUILDS, `fetched ${fetched} bundles`);
    assert.ok(revisions.size > REBUILDS / 2, `saw ${revisions.size} revisions`);
  });
});
