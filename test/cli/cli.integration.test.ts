import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { createProgram } from '../../src/cli/main.js';
import { CLI, REPO } from '../helpers/processes.js';
import { scratchProject } from '../helpers/project.js';

function cli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; bin?: string } = {}) {
  return spawnSync(process.execPath, [options.bin ?? CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: 'utf8',
  });
}

/** Every command path of the program, subcommands included, read from the command tree itself. */
function commandPaths(command: Command = createProgram(async () => undefined), prefix: string[] = []): string[][] {
  return command.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe('portcullis CLI', () => {
  it('has --help on the program and on every command and subcommand', () => {
    const top = cli(['--help']);
    assert.equal(top.status, 0);
    const paths = commandPaths();
    assert.ok(paths.length >= 10, `${paths.length} commands`);
    for (const path of paths) {
      const help = cli([...path, '--help']);
      assert.equal(help.status, 0, path.join(' '));
      assert.match(help.stdout, new RegExp(`Usage: portcullis ${path.join(' ')}`), path.join(' '));
      assert.doesNotMatch(help.stdout, /-----BEGIN|secret:|token: [A-Za-z0-9_-]{20,}/, 'help texts hold no key material');
    }
  });

  it('exits 2 on usage errors', () => {
    assert.equal(cli(['build', '--no-such-flag']).status, 2);
    assert.equal(cli(['eval']).status, 2);
    assert.equal(cli(['serve', '--listen', 'nonsense']).status, 2);
    assert.equal(cli(['frobnicate']).status, 2);
  });

  it('doctor --json reports opa path and version', () => {
    const run = cli(['doctor', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.match(report.opa.path, /opa$/);
    assert.equal(report.opa.version, report.opa.pinned);
    assert.equal(report.opa.matchesPin, true);
    assert.equal(report.node.version, process.versions.node);
    assert.equal(typeof report.stateDir, 'string');
  });

  it('build prints a table of bundle, revision, files, size, entrypoints', async () => {
    const project = await scratchProject();
    const run = cli(['build', '--out', 'out'], { cwd: project });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^BUNDLE\s+REVISION\s+FILES\s+SIZE\s+ENTRYPOINTS/);
    assert.match(run.stdout, /image-policy\s+[0-9a-f]{16}\s+4\s+[\d.]+ KiB\s+portcullis\/image\/pinned\/deny, portcullis\/image\/pinned\/allow/);
  });

  it('build exits 2 on a compile error, as check --policies does, and names file and line', async () => {
    const project = await scratchProject();
    await writeFile(join(project, 'policies/image/broken.rego'), 'package portcullis.image.broken\n\nallow if {\n  input.x ==\n}\n');
    const run = cli(['build', '--out', 'out'], { cwd: project });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /policies\/image\/broken\.rego:5:\d+: rego_parse_error/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });

  it('eval prints the result, and exits 2 with a clear message on bad input', async () => {
    const project = await scratchProject();
    assert.equal(cli(['build', '--out', 'out'], { cwd: project }).status, 0);
    const bundle = join(project, 'out/image-policy.tar.gz');
    const ok = cli(['eval', '--bundle', bundle, '--entrypoint', 'data.portcullis.image.pinned.allow', '--input', '-'], { input: '{"images":["x:latest"]}' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { result: false });
    const bad = cli(['eval', '--bundle', bundle, '--entrypoint', 'portcullis/image/pinned/allow', '--input', '-'], { input: '{"images": [' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^portcullis: standard input: invalid JSON at line 1/);
    const missing = cli(['eval', '--bundle', join(project, 'nope.tar.gz'), '--entrypoint', 'x']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.tar\.gz cannot be read/);
    const unknown = cli(['eval', '--bundle', bundle, '--entrypoint', 'nothing/here']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /entrypoint 'nothing\/here' is not in the bundle/);
    const notBundle = cli(['eval', '--bundle', join(project, 'bundles/image-policy.yaml'), '--entrypoint', 'x']);
    assert.equal(notBundle.status, 2);
    assert.match(notBundle.stderr, /not valid gzip/);
  });

  it('serve exits 3, without hanging, when its port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as AddressInfo).port;
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-busy-'));
    try {
      const run = spawnSync(process.execPath, [CLI, 'serve', '--listen', `127.0.0.1:${port}`, '--dir', dir], {
        cwd: dir,
        env: { ...process.env, PORTCULLIS_STATE_DIR: join(dir, 'state') },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(run.status, 3, run.stderr);
      assert.match(run.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}; another process holds the port.*--listen 127\\.0\\.0\\.1:0.*EADDRINUSE`));
    } finally {
      blocker.close();
    }
  });

  it('exits 3 with install instructions when no opa matches the pin', async () => {
    const install = await isolatedInstall();
    const project = await scratchProject();
    const env = { PATH: '/nonexistent', OPA_BIN: '', XDG_CACHE_HOME: join(install, 'empty-cache') };
    const run = cli(['build', '--out', 'out'], { cwd: project, bin: join(install, 'bin/portcullis.js'), env });
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /opa \d+\.\d+\.\d+ is required but was not found/);
    assert.match(run.stderr, /npx portcullis setup opa/);
    const doctor = cli(['doctor'], { bin: join(install, 'bin/portcullis.js'), env });
    assert.equal(doctor.status, 3, doctor.stderr);
    assert.match(doctor.stdout, /^opa\s+\d+\.\d+\.\d+\s+MISSING$/m);
    assert.match(doctor.stderr, /npx portcullis setup opa/);
  });
});

/** A copy of the installed package without the project-local opa, to see what a machine without opa gets. */
async function isolatedInstall(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-install-'));
  for (const path of ['bin', 'dist', 'package.json']) await cp(join(REPO, path), join(dir, path), { recursive: true });
  for (const tool of ['opa', 'gator', 'regal']) await mkdir(join(dir, 'tools', tool), { recursive: true });
  for (const file of ['opa/go.mod', 'opa/capabilities.json', 'gator/go.mod', 'regal/go.mod'])
    await writeFile(join(dir, 'tools', file), await readFile(join(REPO, 'tools', file)));
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}
