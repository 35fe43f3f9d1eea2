import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildBundles, compilerIdentity, loadDefinitions, type PolicyCompiler } from '../../src/compile/index.js';
import type { AppError } from '../../src/core/index.js';
import { REPO } from '../helpers/processes.js';

const noCompiler = (): PolicyCompiler => {
  throw new Error('validation must fail before anything is compiled');
};

/** A project with one definition whose data names schemas/policy-settings.schema.json. */
async function project(settings: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-schema-'));
  await mkdir(join(dir, 'bundles'));
  await mkdir(join(dir, 'policies'));
  await mkdir(join(dir, 'schemas'));
  await copyFile(join(REPO, 'schemas/policy-settings.schema.json'), join(dir, 'schemas/policy-settings.schema.json'));
  await writeFile(join(dir, 'policies/p.rego'), 'package portcullis.scan\n\ndecision := {}\n');
  await writeFile(join(dir, 'settings.yaml'), settings);
  await writeFile(
    join(dir, 'bundles/scan.yaml'),
    [
      'name: scan',
      'roots: [portcullis/scan]',
      'policies: [../policies/*.rego]',
      'data:',
      '  - file: ../settings.yaml',
      '    path: portcullis/scan/settings',
      '    schema: ../schemas/policy-settings.schema.json',
      'entrypoints: [portcullis/scan/decision]',
      '',
    ].join('\n'),
  );
  return dir;
}

function build(dir: string) {
  return buildBundles({
    definitionsDir: join(dir, 'bundles'),
    outDir: join(dir, 'out'),
    cacheDir: join(dir, 'cache'),
    compilerId: compilerIdentity(),
    compiler: noCompiler,
  });
}

describe('data validated against the schema a definition names', () => {
  it('accepts a schema key per data entry', async () => {
    const dir = await project('images: { mutable_tags: [latest] }\n');
    const [definition] = await loadDefinitions(join(dir, 'bundles'));
    assert.equal(definition?.data?.[0]?.schema, '../schemas/policy-settings.schema.json');
  });

  it('fails the build with DEFINITION_INVALID naming the data file and every bad field', async () => {
    const dir = await project(
      ['rules:', '  run_as_root: { enforcement: block }', 'exceptions:', '  - id: CVE-2024-1', '    expires: "31/12/2026"', ''].join('\n'),
    );
    await assert.rejects(build(dir), (err: AppError) => {
      assert.equal(err.code, 'DEFINITION_INVALID');
      assert.match(err.message, /settings\.yaml is invalid/);
      const paths = err.details.map((d) => d.path).sort();
      assert.deepEqual(paths, ['/exceptions/0', '/exceptions/0/expires', '/rules/run_as_root/enforcement']);
      assert.ok(err.details.every((d) => d.file?.endsWith('settings.yaml')));
      assert.match(err.details.find((d) => d.path === '/exceptions/0')?.message ?? '', /reason/);
      return true;
    });
  });

  it('reports a missing schema file', async () => {
    const dir = await project('{}\n');
    await writeFile(
      join(dir, 'bundles/scan.yaml'),
      'name: scan\nroots: [portcullis/scan]\npolicies: [../policies/*.rego]\ndata:\n  - file: ../settings.yaml\n    schema: ../nope.json\nentrypoints: [portcullis/scan/decision]\n',
    );
    await assert.rejects(build(dir), (err: AppError) => err.code === 'FILE_NOT_FOUND' && /nope\.json cannot be read/.test(err.message));
  });

  it('refuses an unknown key next to schema', async () => {
    const dir = await project('{}\n');
    await writeFile(
      join(dir, 'bundles/scan.yaml'),
      'name: scan\nroots: [portcullis/scan]\npolicies: [../policies/*.rego]\ndata:\n  - file: ../settings.yaml\n    schemas: x.json\nentrypoints: [portcullis/scan/decision]\n',
    );
    await assert.rejects(loadDefinitions(join(dir, 'bundles')), (err: AppError) => err.code === 'DEFINITION_INVALID' && /schemas/.test(err.message));
  });
});
