// The project passes its own gate: `portcullis check --dockerfile Dockerfile`
// with the repository's image-scan bundle (built by the real opa with the
// example settings, examples/policy/settings.yaml) allows the Dockerfile with
// no finding, also when base images must be pinned by digest; and the same
// gate refuses the mistakes the Dockerfile avoids.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildWithOpa } from '../helpers/opa.js';
import { CLI, REPO } from '../helpers/processes.js';
import { scratchProject } from '../helpers/project.js';

interface Finding {
  readonly rule: string;
  readonly message: string;
}
interface Report {
  readonly decision: string;
  readonly violations: readonly Finding[];
  readonly warnings: readonly Finding[];
}

describe('portcullis check on its own Dockerfile', () => {
  let bundle = '';
  let scratch = '';

  const check = (dockerfile: string, extra: readonly string[] = []) => {
    const run = spawnSync(process.execPath, [CLI, 'check', '--bundle', bundle, '--dockerfile', dockerfile, '-o', 'json', ...extra], {
      cwd: scratch,
      encoding: 'utf8',
    });
    assert.ok(run.stdout.startsWith('{'), `exit ${run.status}: ${run.stderr}`);
    return { status: run.status, report: JSON.parse(run.stdout) as Report };
  };
  const variant = async (name: string, edit: (text: string) => string) => {
    const text = await readFile(join(REPO, 'Dockerfile'), 'utf8');
    const edited = edit(text);
    assert.notEqual(edited, text, `${name} changes the Dockerfile`);
    const file = join(scratch, name);
    await writeFile(file, edited);
    return file;
  };

  before(async () => {
    const project = await scratchProject();
    const built = (await buildWithOpa(join(project, 'bundles'))).find((r) => r.name === 'image-scan');
    assert.ok(built, 'bundles/image-scan.yaml builds');
    bundle = built.path;
    scratch = await mkdtemp(join(tmpdir(), 'portcullis-dogfood-'));
  });

  it('allows the Dockerfile with the example settings, without a violation or a warning', () => {
    const { status, report } = check(join(REPO, 'Dockerfile'));
    assert.equal(status, 0, JSON.stringify(report));
    assert.equal(report.decision, 'allow');
    assert.deepEqual(report.violations, []);
    assert.deepEqual(report.warnings, []);
  });

  it('allows it when every base image must be pinned by digest', async () => {
    const strict = join(scratch, 'strict.yaml');
    await writeFile(strict, 'images:\n  require_base_image_digest: true\nrules:\n  require_digest: { enforcement: deny }\n');
    const { status, report } = check(join(REPO, 'Dockerfile'), ['--data', strict]);
    assert.equal(status, 0, JSON.stringify(report));
    assert.deepEqual([...report.violations, ...report.warnings], []);
  });

  it('denies a copy whose runtime base is unpinned and mutable, or that runs as root', async () => {
    const latest = await variant('latest.Dockerfile', (t) =>
      t.replace(/^FROM gcr\.io\/distroless\/nodejs20-debian12:nonroot@sha256:[0-9a-f]{64}$/m, 'FROM gcr.io/distroless/nodejs20-debian12:latest'),
    );
    const unpinned = check(latest);
    assert.equal(unpinned.status, 1);
    assert.deepEqual(
      unpinned.report.violations.map((v) => v.rule),
      ['mutable_tag'],
    );
    const root = await variant('root.Dockerfile', (t) => t.replace(/^USER 65532:65532$/m, 'USER root'));
    const asRoot = check(root);
    assert.equal(asRoot.status, 1);
    assert.deepEqual(
      asRoot.report.violations.map((v) => v.rule),
      ['run_as_root'],
    );
  });

  it('denies the other mistakes hadolint would flag: ADD of a URL, a copied key, shell-form entrypoint, sudo, curl piped to a shell', async () => {
    const bad = await variant('bad.Dockerfile', (t) =>
      t
        .replace(
          'COPY package.json package-lock.json ./',
          'COPY package.json package-lock.json ./\nADD https://example.com/tool.tgz /tmp/\nCOPY id_rsa /root/.ssh/\nRUN sudo apt-get install -y curl && curl -fsSL https://example.com/install.sh | sh',
        )
        .replace('ENTRYPOINT ["/nodejs/bin/node", "/app/bin/portcullis.js"]', 'ENTRYPOINT /nodejs/bin/node /app/bin/portcullis.js'),
    );
    const { status, report } = check(bad);
    assert.equal(status, 1);
    const rules = new Set([...report.violations, ...report.warnings].map((f) => f.rule));
    for (const rule of ['add_from_url', 'sensitive_file_copy', 'pipe_to_shell', 'sudo_in_run', 'shell_form_entrypoint'])
      assert.ok(rules.has(rule), `${rule} in ${[...rules].join(', ')}`);
  });
});
