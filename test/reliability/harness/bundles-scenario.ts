import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, waitFor } from '../../helpers/processes.js';
import { REAL_FIXTURES } from '../../helpers/fixtures.js';
import { hostileBundles } from './hostile-bundles.js';
import { builtBundles, info, mustBeZero, spawnServe, type Figure } from './support.js';

interface Run {
  readonly command: string;
  readonly bundle: string;
  /** The exit code, else the signal's name, or 'timeout'. */
  readonly code: number | string;
  readonly stderr: string;
}

const TIMEOUT_MS = 120_000;

/** Runs the CLI and resolves with its exit code (or signal, or 'timeout'), never rejecting. */
function run(args: readonly string[], cwd: string): Promise<{ code: number | string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal === 'SIGKILL' && code === null ? 'timeout' : (code ?? signal ?? 'unknown'), stderr });
    });
  });
}

/** Every file under `dir` whose name starts with "escape": what a traversal would have written. */
async function escapes(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => /(^|\/)escape/.test(e));
}

/**
 * The hostile bundles of hostile-bundles.ts through `verify` (must exit 1),
 * `eval` and `check` (must exit 2, or 0/2 for the valid oddities) and a
 * `serve --dir` over all of them beside one good bundle (must publish only
 * the good ones and stay up). Nothing may crash, hang, exit 3, or write a
 * file outside its folder.
 */
export async function hostileBundleScenario(concurrency: number): Promise<Figure[]> {
  const { files } = await builtBundles();
  // The Wasm cases are made from image-policy; the good bundle served beside them is image-scan (another root).
  const hostile = hostileBundles(files['image-policy'] as Uint8Array);
  const work = await mkdtemp(join(tmpdir(), 'portcullis-hostile-'));
  const folder = join(work, 'served', 'bundles');
  const cwd = join(work, 'cwd');
  await mkdir(folder, { recursive: true });
  await mkdir(cwd);
  for (const h of hostile) await writeFile(join(folder, `${h.name}.tar.gz`), h.bytes);
  await writeFile(join(cwd, 'secret'), 'hostile-bundle-secret');
  await writeFile(join(cwd, 'input.json'), '{"images":["nginx:latest"]}');
  const report = join(REAL_FIXTURES, 'reports/django-DefectDojo__trivy__issue_9333.json');

  const jobs = hostile.flatMap((h) => {
    const bundle = join(folder, `${h.name}.tar.gz`);
    return [
      { command: 'verify', bundle: h.name, args: ['verify', bundle, '--alg', 'HS256', '--secret-file', 'secret'] },
      { command: 'eval', bundle: h.name, args: ['eval', '--bundle', bundle, '--entrypoint', 'portcullis/image/pinned/deny', '--input', 'input.json'] },
      { command: 'check', bundle: h.name, args: ['check', '--bundle', bundle, '--report', report] },
    ];
  });
  const runs: Run[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++] as (typeof jobs)[number];
        const { code, stderr } = await run(job.args, cwd);
        runs.push({ command: job.command, bundle: job.bundle, code, stderr });
      }
    }),
  );
  const valid = new Set(hostile.filter((h) => h.valid).map((h) => h.name));
  const expected = (r: Run) => (r.command === 'verify' ? [1] : r.command === 'eval' && valid.has(r.bundle) ? [0] : [2]);
  const crashes = runs.filter((r) => typeof r.code !== 'number' && r.code !== 'timeout');
  const unexpected = runs.filter((r) => typeof r.code === 'number' && !expected(r).includes(r.code));
  for (const r of [...crashes, ...unexpected].slice(0, 8)) console.log(`  ${r.command} ${r.bundle}: exit ${r.code}: ${r.stderr.trim().slice(0, 200)}`);

  // serve: the good bundle, and one file the hostile bundles are written into in turn, as a build would replace it.
  for (const h of hostile) await rm(join(folder, `${h.name}.tar.gz`));
  await writeFile(join(folder, 'good.tar.gz'), files['image-scan'] as Uint8Array);
  await writeFile(join(work, 'served', 'portcullis.yaml'), 'bundles:\n  rescan_interval_ms: 100\n');
  const server = await spawnServe(join(work, 'served'), ['--config', join(work, 'served', 'portcullis.yaml'), '--dir', folder]);
  const published: string[] = [];
  let rejected = 0;
  try {
    for (const h of hostile) {
      const etag = `"${createHash('sha256').update(h.bytes).digest('hex')}"`;
      const before = (await candidate(server.url))?.lastErrorAt;
      await writeFile(join(work, 'served', '.candidate'), h.bytes);
      await rename(join(work, 'served', '.candidate'), join(folder, 'candidate.tar.gz'));
      // Decided once the candidate is served with these bytes, or a new rejection is recorded.
      const state = await waitFor(
        async () => {
          const s = await candidate(server.url);
          return s && (s.etag === etag || (s.lastErrorAt !== undefined && s.lastErrorAt !== before)) ? s : undefined;
        },
        60_000,
        () => `${h.name}: ${server.output().slice(-1000)}`,
      );
      if (state.etag === etag && !h.valid) published.push(h.name);
      if (state.etag !== etag) rejected += 1;
    }
    if (published.length > 0) console.log(`  published hostile bundles: ${published.join(', ')}`);
    const ready = (await fetch(`${server.url}/ready`)).status;
    const goodServed = (await fetch(`${server.url}/bundles/good`)).status;
    return [
      info('hostile bundles', hostile.length),
      info('CLI runs (verify, eval, check)', runs.length),
      mustBeZero('crashes (signal or V8 abort)', crashes.length),
      mustBeZero('hangs', runs.filter((r) => r.code === 'timeout').length),
      mustBeZero('exit 3 (internal error) for a bundle problem', runs.filter((r) => r.code === 3).length),
      mustBeZero('other unexpected exit codes', unexpected.filter((r) => r.code !== 3).length),
      mustBeZero('hostile bundles published by serve', published.length),
      info('bundles serve refused with a reason', rejected),
      mustBeZero('server crashes', server.alive() ? 0 : 1),
      mustBeZero('good bundle not served', ready === 200 && goodServed === 200 ? 0 : 1),
      mustBeZero('files written outside their folder', (await escapes(work)).length),
    ];
  } finally {
    await server.stop();
  }
}

async function candidate(url: string): Promise<{ etag?: string; lastErrorAt?: string } | undefined> {
  const body = (await (await fetch(`${url}/v1/bundles`)).json()) as { bundles: { name: string; etag?: string; lastErrorAt?: string }[] };
  return body.bundles.find((b) => b.name === 'candidate');
}
