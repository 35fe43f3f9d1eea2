import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadBundle } from '../../src/bundle/index.js';
import { buildBundles, compilerIdentity, OpaCompiler, type BuildOptions, type PolicyCompiler } from '../../src/compile/index.js';
import { canonicalJson, type AppError } from '../../src/core/index.js';
import { toolchain } from '../helpers/opa.js';
import { scratchProject } from '../helpers/project.js';

function options(project: string, compiler: () => PolicyCompiler = () => new OpaCompiler(toolchain())): BuildOptions {
  return {
    definitionsDir: join(project, 'bundles'),
    outDir: join(project, 'out'),
    cacheDir: join(project, 'cache'),
    compilerId: compilerIdentity(),
    compiler,
  };
}

const noCompiler = (): PolicyCompiler => {
  throw new Error('the compiler must not run for an unchanged definition');
};

const hasCode = (code: string) => (err: unknown) => (err as AppError).code === code;

describe('buildBundles with the real opa', () => {
  let project: string;
  before(async () => {
    project = await scratchProject();
  });

  it('writes an OPA-format bundle: manifest, canonical data.json, Rego sources, policy.wasm', async () => {
    const [result] = await buildBundles(options(project));
    assert.ok(result);
    assert.equal(result.name, 'image-policy');
    assert.match(result.revision, /^[0-9a-f]{16}$/);
    const bundle = loadBundle(await readFile(result.path));
    assert.deepEqual(
      bundle.files.map((f) => f.path),
      ['/.manifest', '/data.json', '/policies/image/pinned.rego', '/policy.wasm'],
    );
    assert.equal(bundle.manifest.revision, result.revision);
    assert.deepEqual(bundle.manifest.roots, ['portcullis/image']);
    assert.equal(bundle.manifest.rego_version, 1);
    assert.deepEqual(
      bundle.manifest.wasm?.map((w) => [w.entrypoint, w.module]),
      [
        ['portcullis/image/pinned/deny', '/policy.wasm'],
        ['portcullis/image/pinned/allow', '/policy.wasm'],
      ],
    );
    const dataText = Buffer.from(bundle.files[1]!.bytes).toString();
    assert.equal(dataText, canonicalJson(JSON.parse(dataText)), 'data.json is in canonical form');
    assert.deepEqual(JSON.parse(dataText).portcullis.image.settings.mutable_tags.slice(0, 2), ['latest', 'staging']);
    assert.equal(result.written, true);
    assert.equal(result.cached, false);
  });

  it('does not run the compiler again for an unchanged definition, nor rewrite the output', async () => {
    const [result] = await buildBundles(options(project, noCompiler));
    assert.equal(result?.cached, true);
    assert.equal(result?.written, false);
  });

  it('rebuilds with a new revision when a policy changes', async () => {
    const before = (await buildBundles(options(project, noCompiler)))[0]?.revision;
    const policy = join(project, 'policies/image/pinned.rego');
    await writeFile(policy, `${await readFile(policy, 'utf8')}\n# a comment changes the content\n`);
    const [after] = await buildBundles(options(project));
    assert.notEqual(after?.revision, before);
    assert.equal(after?.written, true);
  });

  it('reports compile errors with file and line and leaves the previous bundle untouched', async () => {
    const out = join(project, 'out/image-policy.tar.gz');
    const previous = await readFile(out);
    const policy = join(project, 'policies/image/pinned.rego');
    const good = await readFile(policy, 'utf8');
    await writeFile(policy, good.replace('pinned(ref) if regex.match', 'pinned(ref) if regex.match('));
    try {
      await assert.rejects(buildBundles(options(project)), (err: AppError) => {
        assert.equal(err.code, 'COMPILE_FAILED');
        assert.equal(err.details[0]?.file, 'policies/image/pinned.rego');
        assert.ok((err.details[0]?.line ?? 0) > 1);
        assert.match(err.message, /policies\/image\/pinned\.rego:\d+:\d+: rego_parse_error/);
        return true;
      });
      assert.deepEqual(await readFile(out), previous);
    } finally {
      await writeFile(policy, good);
    }
  });

  it('reports an entrypoint that names no rule', async () => {
    const def = join(project, 'bundles/image-policy.yaml');
    const text = await readFile(def, 'utf8');
    await writeFile(def, text.replace('portcullis/image/pinned/allow', 'portcullis/image/pinned/nothing'));
    try {
      await assert.rejects(buildBundles(options(project)), /does not refer to a rule/);
    } finally {
      await writeFile(def, text);
    }
  });
});

describe('buildBundles validation before compiling', () => {
  it('refuses overlapping roots across bundles built together', async () => {
    const project = await scratchProject();
    const text = await readFile(join(project, 'bundles/image-policy.yaml'), 'utf8');
    await writeFile(join(project, 'bundles/other.yaml'), text.replace('name: image-policy', 'name: other').replace('- portcullis/image\n', '- portcullis\n'));
    await assert.rejects(buildBundles(options(project, noCompiler)), hasCode('BUNDLE_ROOTS_OVERLAP'));
  });

  it('refuses a package outside the roots', async () => {
    const project = await scratchProject();
    const def = join(project, 'bundles/image-policy.yaml');
    await writeFile(def, (await readFile(def, 'utf8')).replace('- portcullis/image\n', '- portcullis/other\n'));
    await assert.rejects(buildBundles(options(project, noCompiler)), (err: AppError) => {
      return err.code === 'BUNDLE_PATH_OUTSIDE_ROOTS' && /package portcullis\.image\.pinned/.test(err.message);
    });
  });

  it('names the offending key of an invalid definition', async () => {
    const project = await scratchProject();
    const def = join(project, 'bundles/image-policy.yaml');
    await writeFile(def, (await readFile(def, 'utf8')).replace('entrypoints:', 'entrypoint:'));
    await assert.rejects(buildBundles(options(project, noCompiler)), (err: AppError) => {
      return (
        err.code === 'DEFINITION_INVALID' &&
        /additional properties 'entrypoint'/.test(err.message) &&
        /must have required property 'entrypoints'/.test(err.message)
      );
    });
  });

  it('refuses two data files that set the same path', async () => {
    const project = await scratchProject();
    const def = join(project, 'bundles/image-policy.yaml');
    await writeFile(def, (await readFile(def, 'utf8')).replace('data:\n', 'data:\n  - file: data/image-settings.yaml\n    path: portcullis/image/settings\n'));
    await assert.rejects(buildBundles(options(project, noCompiler)), /already set/);
  });

  it('refuses a policy pattern that matches nothing', async () => {
    const project = await scratchProject();
    await rm(join(project, 'policies'), { recursive: true });
    await assert.rejects(buildBundles(options(project, noCompiler)), /matches no Rego file/);
  });
});
