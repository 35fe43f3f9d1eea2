import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULTS, loadConfig, parseListen } from '../../src/config/index.js';
import type { AppError } from '../../src/core/index.js';

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-config-'));
  const file = join(dir, 'portcullis.yaml');
  await writeFile(file, text);
  return file;
}

describe('loadConfig', () => {
  it('uses the embedded defaults without a file', async () => {
    const config = await loadConfig(undefined, {}, {});
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: DEFAULTS.listenPort });
    assert.equal(config.bundlesDir, join(process.cwd(), 'dist/bundles'));
    assert.equal(config.stateDir, join(process.cwd(), '.portcullis'));
    assert.ok(Object.isFrozen(config));
  });

  it('resolves file paths against the file, and flags win over the file', async () => {
    const file = await configFile('server:\n  listen: 0.0.0.0:9000\nbundles:\n  dir: built\nstate:\n  dir: state\n');
    const config = await loadConfig(file, {}, {});
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 9000 });
    assert.equal(config.bundlesDir, join(file, '../built'));
    assert.equal(config.stateDir, join(file, '../state'));
    const overridden = await loadConfig(file, { listen: '127.0.0.1:0', bundlesDir: '/srv/bundles' }, {});
    assert.deepEqual(overridden.listen, { host: '127.0.0.1', port: 0 });
    assert.equal(overridden.bundlesDir, '/srv/bundles');
  });

  it('names every offending key', async () => {
    const file = await configFile('server:\n  listen: 8080\n  lisen: x\nlimits:\n  max_file_bytes: -1\nlog:\n  level: loud\n');
    await assert.rejects(loadConfig(file, {}, {}), (err: AppError) => {
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, /\/server: must NOT have additional properties 'lisen'/);
      assert.match(err.message, /\/server\/listen: must be string/);
      assert.match(err.message, /\/limits\/max_file_bytes: must be >= 1/);
      assert.match(err.message, /\/log\/level: must be equal to one of the allowed values/);
      return true;
    });
  });

  it('reports YAML syntax errors with the line', async () => {
    const file = await configFile('server:\n  listen: "127.0.0.1:1\n');
    await assert.rejects(loadConfig(file, {}, {}), /invalid YAML at line \d/);
  });

  it('reports an unreadable file', async () => {
    await assert.rejects(loadConfig('/nonexistent/portcullis.yaml', {}, {}), { code: 'CONFIG_INVALID' });
  });

  it('reads OPA_BIN and PORTCULLIS_STATE_DIR from the environment only here', async () => {
    const config = await loadConfig(undefined, {}, { OPA_BIN: '/opt/opa', PORTCULLIS_STATE_DIR: '/var/lib/portcullis' });
    assert.equal(config.tools.bins.opa, '/opt/opa');
    assert.equal(config.stateDir, '/var/lib/portcullis');
  });

  it('reads the tool variables and the per-user cache (XDG_CACHE_HOME, else ~/.cache) from the environment', async () => {
    const env = { GATOR_BIN: '/opt/gator', REGAL_BIN: '/opt/regal', XDG_CACHE_HOME: '/var/cache/u', HOME: '/home/u', PATH: '/usr/bin' };
    const config = await loadConfig(undefined, {}, env);
    assert.deepEqual(config.tools, { bins: { gator: '/opt/gator', regal: '/opt/regal' }, userCacheDir: '/var/cache/u/portcullis', path: '/usr/bin' });
    const relative = await loadConfig(undefined, {}, { XDG_CACHE_HOME: 'cache', HOME: '/home/u' });
    assert.equal(relative.tools.userCacheDir, '/home/u/.cache/portcullis', 'a relative XDG_CACHE_HOME is ignored, as the XDG spec says');
  });
});

describe('parseListen', () => {
  it('accepts HOST:PORT, [v6]:PORT and :PORT', () => {
    assert.deepEqual(parseListen('localhost:8080'), { host: 'localhost', port: 8080 });
    assert.deepEqual(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
    assert.deepEqual(parseListen(':0'), { host: '127.0.0.1', port: 0 });
  });

  it('rejects anything else', () => {
    for (const bad of ['8080', 'host:', 'host:99999', 'a b:1']) assert.throws(() => parseListen(bad), { code: 'USAGE' }, bad);
  });
});

describe('bundles.source: an OCI repository instead of the folder', () => {
  it('reads the tags per bundle, the polling interval, and the password from the variable password_env names', async () => {
    const file = await configFile(
      'bundles:\n  source: oci://registry.example.com/team/policies\n  oci:\n    tags: { image-policy: prod, image-scan: prod-scan }\n    poll_interval_seconds: 5\n    username: robot\n    password_env: REG_PASS\n    ca: ca.pem\n',
    );
    const config = await loadConfig(file, {}, { REG_PASS: 's3cret', HOME: '/home/u' });
    const oci = config.ociSource;
    assert.equal(oci?.repository, 'registry.example.com/team/policies');
    assert.deepEqual(
      [...(oci?.tags ?? [])],
      [
        ['image-policy', 'prod'],
        ['image-scan', 'prod-scan'],
      ],
    );
    assert.equal(oci?.pollIntervalMs, 5000);
    assert.equal(oci?.password, 's3cret');
    assert.equal(oci?.ca, join(file, '../ca.pem'));
    assert.deepEqual(oci?.env, { DOCKER_CONFIG: undefined, HOME: '/home/u' });
    const list = await loadConfig(await configFile('bundles:\n  source: oci://r.example.com/p\n  oci:\n    tags: [image-policy]\n'), {}, {});
    assert.deepEqual([...(list.ociSource?.tags ?? [])], [['image-policy', 'image-policy']]);
    assert.equal(list.ociSource?.pollIntervalMs, DEFAULTS.ociPollIntervalSeconds * 1000);
    assert.equal((await loadConfig(file, { bundlesDir: '/srv/bundles' }, { REG_PASS: 'x' })).ociSource, undefined, '--dir picks the folder');
  });

  it('refuses what cannot work, naming it', async () => {
    const cases: [string, RegExp][] = [
      ['bundles:\n  source: oci://r.example.com/p\n', /needs bundles\.oci\.tags/],
      ['bundles:\n  source: https://r.example.com/p\n  oci:\n    tags: [a]\n', /\/bundles\/source: must match pattern/],
      ['bundles:\n  dir: built\n  source: oci://r.example.com/p\n  oci:\n    tags: [a]\n', /bundles\.dir and bundles\.source are exclusive/],
      ['bundles:\n  oci:\n    tags: [a]\n', /bundles\.oci is set but bundles\.source/],
      ['bundles:\n  source: oci://r.example.com/p\n  oci:\n    tags: [a]\n    password_env: MISSING\n    username: u\n', /MISSING is not set or empty/],
      ['bundles:\n  source: oci://r.example.com/p\n  oci:\n    tags: { a: "bad tag" }\n', /\/bundles\/oci\/tags/],
    ];
    for (const [text, why] of cases) {
      await assert.rejects(loadConfig(await configFile(text), {}, {}), (err: AppError) => err.code === 'CONFIG_INVALID' && why.test(err.message), text);
    }
  });
});
