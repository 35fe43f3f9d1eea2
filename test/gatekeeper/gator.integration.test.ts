// The generated Gatekeeper manifests checked by Gatekeeper's own tools: the
// real gator (pinned in tools/gator) runs the verify suite and gator test on
// example objects; the external-data template, which gator cannot evaluate,
// is tested with the real opa.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { REPO } from '../helpers/processes.js';
import { toolchain } from '../helpers/opa.js';
import { externalDataCapabilities, gatorBin, generatedWorkspace, run } from './tools.js';

interface GatorResult {
  readonly msg: string;
  readonly enforcementAction: string;
  readonly constraint: { readonly metadata: { readonly name: string } };
}

describe('gator on the generated manifests', () => {
  let dir = '';
  let gator = '';
  before(async () => {
    gator = await gatorBin();
    dir = await generatedWorkspace();
  });

  const gatorTest = async (objects: readonly string[]) => {
    const files = objects.map((o) => ['-f', join(dir, 'suites', 'objects', o)]).flat();
    // The scan-verdict template is left out: gator has no external_data builtin.
    const manifests = ['portcullisimagedigests', 'portcullisallowedregistries', 'portcullismutabletags'].map((t) => [
      '-f',
      join(dir, 'manifests', 'templates', `${t}.yaml`),
    ]);
    const constraints = (await readdir(join(dir, 'manifests', 'constraints')))
      .filter((f) => !f.startsWith('portcullis-scan-verdict'))
      .map((f) => ['-f', join(dir, 'manifests', 'constraints', f)]);
    const result = await run(gator, ['test', ...manifests.flat(), ...constraints.flat(), ...files, '--output', 'json']);
    const parsed = result.stdout.trim() === '' ? [] : ((JSON.parse(result.stdout) as GatorResult[] | null) ?? []);
    return { code: result.code, results: parsed, stderr: result.stderr };
  };

  it('gator verify passes every case of gatekeeper/suites (at least 15)', async () => {
    const result = await run(gator, ['verify', join(dir, 'suites') + '/...', '-v']);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const passed = result.stdout.match(/^\s+--- PASS: /gm) ?? [];
    assert.ok(passed.length >= 15, `only ${passed.length} cases passed`);
    assert.doesNotMatch(result.stdout, /FAIL/);
  });

  it('gator verify fails when a case expects the wrong outcome', async () => {
    const suite = join(dir, 'suites', 'suite.yaml');
    const original = await readFile(suite, 'utf8');
    await writeFile(suite, original.replace('violations: no', 'violations: 1'));
    try {
      const result = await run(gator, ['verify', join(dir, 'suites') + '/...']);
      assert.notEqual(result.code, 0);
      assert.match(result.stdout, /FAIL: pod-pinned-admitted/);
    } finally {
      await writeFile(suite, original);
    }
  });

  it('gator test denies an unpinned docker.io :latest pod three times and exits 1', async () => {
    const { code, results } = await gatorTest(['pod-implicit-latest.yaml']);
    assert.equal(code, 1);
    assert.deepEqual(results.map((r) => r.constraint.metadata.name).sort(), [
      'portcullis-mutable-tag',
      'portcullis-registry-not-allowed',
      'portcullis-require-digest',
    ]);
    assert.ok(results.every((r) => r.enforcementAction === 'deny'));
    assert.ok(results.some((r) => r.msg === "container 'web': image 'nginx' uses the mutable tag 'latest'"));
  });

  it('gator test admits pinned images from allowed registries and exits 0', async () => {
    const { code, results } = await gatorTest(['pod-pinned.yaml', 'deployment-pinned.yaml', 'configmap.yaml']);
    assert.equal(code, 0);
    assert.deepEqual(results, []);
  });

  it('gator test reports the dev profile as a warning, the missing digest as a denial', async () => {
    const { code, results } = await gatorTest(['pod-dev-namespace-latest.yaml']);
    assert.equal(code, 1);
    const byName = new Map(results.map((r) => [r.constraint.metadata.name, r]));
    assert.equal(byName.get('portcullis-mutable-tag-dev')?.enforcementAction, 'warn');
    assert.equal(byName.get('portcullis-require-digest-dev')?.enforcementAction, 'deny', 'the profile keeps the global mode of rules it does not override');
    assert.equal(byName.has('portcullis-mutable-tag'), false, 'the base constraint excludes dev-* namespaces');
  });

  it('gator test on a Deployment and a CronJob names the offending containers', async () => {
    const { code, results } = await gatorTest(['deployment-unpinned-init.yaml', 'cronjob-unpinned.yaml']);
    assert.equal(code, 1);
    assert.deepEqual(results.map((r) => r.msg).sort(), [
      "container 'report': image 'registry.example.com/shop/report:3.1' is not pinned by a sha256 digest",
      "initContainer 'migrate': image 'registry.example.com/shop/migrate:2.0' is not pinned by a sha256 digest",
    ]);
  });
});

describe('scan-verdict template Rego under opa test', () => {
  it('passes its tests with external_data mocked', async () => {
    const dir = await generatedWorkspace();
    const capabilities = await externalDataCapabilities(dir);
    const result = await run(toolchain().opa, ['test', '--v1-compatible', '--capabilities', capabilities, join(REPO, 'gatekeeper', 'rego'), '-v']);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /PASS: 12\/12/);
  });
});
