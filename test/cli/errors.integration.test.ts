import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REAL_REPORTS } from '../helpers/fixtures.js';
import { CLI, REPO } from '../helpers/processes.js';

// Errors a user can act on: each names the user's own file and what to do.
const run = (args: readonly string[], cwd = REPO) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });

describe('errors a user can act on', () => {
  it('--policies compile errors name the files in the user’s folder, not the scratch copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-user-policies-'));
    await writeFile(join(dir, 'decision.rego'), 'package portcullis.scan\n\ndecision := {"decision": "allow", x\n');
    const result = run(['check', '--policies', dir, '--report', join(REAL_REPORTS, 'trivy__alpine-310.json.golden')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, new RegExp(`--policies ${dir}: \\d+ compile error`));
    assert.match(result.stderr, new RegExp(`${dir}/decision\\.rego:\\d+:`));
    assert.doesNotMatch(result.stderr, /portcullis-check-/);
  });

  it('a missing signing key points at portcullis keys generate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-nokey-'));
    const result = run(['sign', join(dir, 'b.tar.gz'), '--alg', 'RS256', '--key', join(dir, 'missing.pem')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /missing\.pem cannot be read: ENOENT; create a key pair with portcullis keys generate/);
  });

  it('an unknown key in a bundle definition or the config file suggests the closest valid one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-typo-'));
    await mkdir(join(dir, 'bundles'));
    await writeFile(join(dir, 'bundles', 'x.yaml'), 'name: x\nroots: [x]\npolices: ["../p/*.rego"]\n');
    const build = run(['build', '--bundles', join(dir, 'bundles'), '--out', join(dir, 'out')]);
    assert.equal(build.status, 2);
    assert.match(build.stderr, /'polices' \(did you mean 'policies'\?\)/);
    await writeFile(join(dir, 'config.yaml'), 'servr: {}\n');
    const serve = run(['serve', '--config', join(dir, 'config.yaml'), '--listen', '127.0.0.1:0']);
    assert.equal(serve.status, 2);
    assert.match(serve.stderr, /'servr' \(did you mean 'server'\?\)/);
  });

  it('a directory given as a file says so, for every command that reads files', () => {
    for (const args of [
      ['eval', '--bundle', REAL_REPORTS, '--entrypoint', 'a/b'],
      ['sign', REAL_REPORTS, '--alg', 'HS256', '--secret-file', REAL_REPORTS],
      ['verify', REAL_REPORTS, '--alg', 'HS256', '--secret-file', REAL_REPORTS],
      ['gatekeeper', '--settings', REAL_REPORTS],
      ['serve', '--config', REAL_REPORTS],
    ]) {
      const result = run(args);
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, /is a directory, not a file/, `${args.join(' ')}: ${result.stderr}`);
    }
  });

  it('a reader that closes the pipe early does not crash the command or change its exit code', async () => {
    const report = join(REAL_REPORTS, 'secureCodeBox__juice-shop-v10.2.0.json');
    const child = spawn(process.execPath, [CLI, 'check', '--report', report, '-o', 'json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the CLI has started, so its first write of the 190 KB decision meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [status] = (await once(child, 'close')) as [number | null];
    assert.equal(status, 1, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled|at /);
  });
});
