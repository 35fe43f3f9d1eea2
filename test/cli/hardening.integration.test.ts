import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadBundle, writeTarGz } from '../../src/bundle/index.js';
import { syntheticTrivyReport } from '../helpers/synthetic-reports.js';
import { buildWithOpa } from '../helpers/opa.js';
import { CLI, freePort } from '../helpers/processes.js';
import { scratchProject } from '../helpers/project.js';
import { REAL_FIXTURES } from '../helpers/fixtures.js';

// Defects of issue 16 seen from the command line: each run must end with the
// exit code its cause deserves (2 for the user's input, never 3 or a crash).

const NOW = '2026-11-28T12:00:00Z';
const TRIVY = join(REAL_FIXTURES, 'reports/django-DefectDojo__trivy__issue_9333.json');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], cwd: string): Run {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('hardened CLI', () => {
  let project: string;
  let bundle: string;
  const check = (args: readonly string[]) => cli(['check', '--bundle', bundle, '--now', NOW, '--output', 'json', ...args], project);

  before(async () => {
    project = await scratchProject();
    const built = (await buildWithOpa(join(project, 'bundles'))).find((r) => r.name === 'image-scan');
    assert.ok(built, 'bundles/image-scan.yaml was built');
    bundle = built.path;
  });

  it('decides on an image of 2 GiB or more (a synthetic copy of a real Trivy report, Metadata.Size = 2^31 + 5)', async () => {
    const report = JSON.parse(await readFile(TRIVY, 'utf8')) as { Metadata: Record<string, unknown> };
    report.Metadata['Size'] = 2 ** 31 + 5;
    const file = join(project, 'trivy-2gib.json');
    await writeFile(file, JSON.stringify(report));
    const run = check(['--report', file]);
    assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
    assert.match(run.stdout, /is 2147483653 bytes, more than the 1073741824 allowed/);
  });

  it('names a lone surrogate in a report instead of failing inside the policy (exit 2, not 3)', async () => {
    const report = JSON.parse(await readFile(TRIVY, 'utf8')) as { Results: { Vulnerabilities: { Title?: string }[] }[] };
    const first = report.Results.flatMap((r) => r.Vulnerabilities ?? [])[0];
    assert.ok(first);
    first.Title = 'MARKER';
    const file = join(project, 'trivy-surrogate.json');
    await writeFile(file, JSON.stringify(report).replace('"MARKER"', '"title \\ud800"'));
    const run = check(['--report', file]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /vulnerabilities\/\d+\/title.*lone UTF-16 surrogate/);
    const input = join(project, 'surrogate-input.json');
    await writeFile(input, '{"images":["nginx\\udc00"]}');
    const evaluated = cli(['eval', '--bundle', bundle, '--entrypoint', 'portcullis/scan/decision', '--input', input], project);
    assert.equal(evaluated.status, 2, evaluated.stderr);
    assert.match(evaluated.stderr, /surrogate-input\.json: lone surrogate escape \\udc00/);
  });

  it('refuses a report whose findings would overflow the Wasm heap with exit 2 naming the limit, not exit 3 after GBs', async () => {
    const file = join(project, 'synthetic-50mb.json');
    await writeFile(file, syntheticTrivyReport(50 * 1024 * 1024));
    const run = check(['--report', file]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /limits\.max_input_bytes/);
  });

  it('refuses a Dockerfile over the Dockerfile limit before parsing it', async () => {
    const file = join(project, 'Dockerfile.huge');
    await writeFile(file, `FROM debian:12\n${'RUN echo portcullis\n'.repeat(20_000)}`);
    const run = check(['--dockerfile', file]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /exceeds the limit of 262144 bytes/);
  });

  it('decides on a Dockerfile of 4,000 ENV lines holding secrets (the matching is linear, the heap is enough)', async () => {
    const lines = Array.from({ length: 4000 }, (_, i) => `ENV TOKEN${i}=auth=AKIAIOSFODNN7EXAMPL${i % 10}`);
    const file = join(project, 'Dockerfile.secrets');
    await writeFile(file, ['FROM debian:12', ...lines, 'USER app', ''].join('\n'));
    const run = check(['--dockerfile', file]);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as { violations: { rule: string }[] };
    assert.equal(report.violations.filter((v) => v.rule === 'secret_in_dockerfile').length, 4000);
  });

  it('exits 2 for a broken Wasm module given to --bundle, and verify exits 1 for an archive opa would refuse', async () => {
    const good = new Uint8Array(await readFile(bundle));
    const files = loadBundle(good).files.map((f) => (f.path === '/policy.wasm' ? { ...f, bytes: new TextEncoder().encode('garbage') } : f));
    const broken = join(project, 'broken-wasm.tar.gz');
    await writeFile(broken, writeTarGz(files));
    const evaluated = cli(['eval', '--bundle', broken, '--entrypoint', 'portcullis/scan/decision'], project);
    assert.equal(evaluated.status, 2, evaluated.stderr);
    assert.match(evaluated.stderr, /not a valid WebAssembly module/);
    const checked = cli(['check', '--bundle', broken, '--report', TRIVY], project);
    assert.equal(checked.status, 2, checked.stderr);
    // A tar size field of 2^62, as a hostile archive carries it.
    const tar = Buffer.alloc(2048);
    tar.write('data.json', 0);
    tar.write('0000644\0', 100);
    Buffer.from([0x80, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).copy(tar, 124);
    tar.write('00000000000\0', 136);
    tar.write('0', 156);
    tar.write('ustar\x0000', 257);
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i += 1) sum += tar[i] as number;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const { gzipSync } = await import('node:zlib');
    const hostile = join(project, 'size-2-62.tar.gz');
    await writeFile(hostile, gzipSync(tar));
    const key = join(project, 'secret');
    await writeFile(key, 'secret');
    const verified = cli(['verify', hostile, '--alg', 'HS256', '--secret-file', key], project);
    assert.equal(verified.status, 1, verified.stderr);
    assert.match(verified.stderr, /invalid size|cannot be read/);
  });

  it('exits 3 when the PostgreSQL store cannot be reached, instead of hanging', async () => {
    const config = join(project, 'pg.yaml');
    await writeFile(config, `store:\n  driver: postgres\n  url: postgres://portcullis@127.0.0.1:${await freePort()}/portcullis\n`);
    const child = spawn(process.execPath, [CLI, 'serve', '--config', config, '--listen', '127.0.0.1:0', '--dir', join(project, 'bundles')], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 30_000);
      child.once('exit', (status) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
    assert.equal(code, 3, `serve did not exit 3 (null: still running after 30 s):\n${output}`);
    assert.match(output, /store cannot be opened/);
  });
});
