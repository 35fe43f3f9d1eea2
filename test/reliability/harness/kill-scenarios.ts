import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadBundle } from '../../../src/bundle/index.js';
import { openStore } from '../../../src/store/index.js';
import { tinyBundle } from '../../helpers/bundles.js';
import { CLI } from '../../helpers/processes.js';
import { scratchProject } from '../../helpers/project.js';
import { info, mustBeZero, random, spawnServe, type Figure } from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function event(id: string): Record<string, unknown> {
  return { labels: { id: 'kill-agent' }, decision_id: id, path: 'tiny/allow', input: { id }, result: true, timestamp: new Date().toISOString() };
}

/**
 * kill -9 while agents upload decision logs: writers post batches as fast as
 * the server answers, and the server is killed at a random moment, round
 * after round, on the same SQLite file. Every event of every batch answered
 * 200 must be in the store afterwards (acknowledged = stored).
 */
export async function killIngestScenario(rounds: number, seed: number): Promise<Figure[]> {
  const rand = random(seed);
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-kill-ingest-'));
  await mkdir(join(dir, 'bundles'));
  await writeFile(join(dir, 'bundles', 'tiny.tar.gz'), tinyBundle('k1'));
  const acknowledged = new Set<string>();
  let batches = 0;
  let refused = 0;
  for (let round = 0; round < rounds; round += 1) {
    const server = await spawnServe(dir, ['--dir', join(dir, 'bundles')]);
    let stop = false;
    const writer = async (w: number) => {
      for (let k = 0; !stop; k += 1) {
        const ids = Array.from({ length: 25 }, (_, j) => `${round}-${w}-${k}-${j}`);
        try {
          const res = await fetch(`${server.url}/logs`, {
            method: 'POST',
            body: gzipSync(JSON.stringify(ids.map(event))),
            headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
          });
          if (res.status === 200) {
            batches += 1;
            for (const id of ids) acknowledged.add(id);
          } else refused += 1;
          await res.arrayBuffer();
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = Array.from({ length: 4 }, (_, w) => writer(w));
    await sleep(300 + rand() * 1200);
    await server.kill9();
    stop = true;
    await Promise.all(writers);
  }
  const store = await openStore({ driver: 'sqlite', path: join(dir, '.portcullis', 'portcullis.db') });
  const stored = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.queryDecisions({ labels: [], input: [], limit: 1000, order: 'asc', maxBytes: 64 * 1024 * 1024, ...(cursor ? { cursor } : {}) });
    for (const d of page.decisions) stored.add(String(d['decision_id']));
    cursor = page.next_cursor;
  } while (cursor);
  await store.close();
  const lost = [...acknowledged].filter((id) => !stored.has(id)).length;
  return [
    info('kill -9 rounds', rounds),
    info('batches acknowledged', batches),
    info('events acknowledged', acknowledged.size),
    info('events stored', stored.size),
    info('batches refused (4xx/5xx)', refused),
    mustBeZero('acknowledged events lost', lost),
  ];
}

/** The marker written into both the policy and the data of one build: a bundle holding two different markers is mixed. */
async function setMarker(project: string, marker: number): Promise<void> {
  await writeFile(join(project, 'policies/image/marker.rego'), `package portcullis.image.marker\n\nvalue := ${marker}\n`);
  const settings = join(project, 'bundles/data/image-settings.yaml');
  const text = (await readFile(settings, 'utf8')).replace(/\nmarker: \d+\n?$/, '\n');
  await writeFile(settings, `${text.trimEnd()}\nmarker: ${marker}\n`);
}

/** 'ok', 'torn' (the archive cannot be read) or 'mixed' (policy and data of different builds). */
function inspect(bytes: Uint8Array): 'ok' | 'torn' | 'mixed' {
  try {
    const bundle = loadBundle(bytes);
    const rego = bundle.files.find((f) => f.path.endsWith('/marker.rego'));
    const policyMarker = /value := (\d+)/.exec(Buffer.from(rego?.bytes ?? []).toString())?.[1];
    const settings = (bundle.data['portcullis'] as { image?: { settings?: { marker?: unknown } } } | undefined)?.image?.settings;
    // Data numbers are read as JsonNumber (their lexeme kept): compared as JSON.
    return policyMarker !== undefined && JSON.stringify(settings?.marker) === policyMarker ? 'ok' : 'mixed';
  } catch {
    return 'torn';
  }
}

/**
 * kill -9 while publishing: `portcullis build` rewrites a bundle again and
 * again and is killed at a random moment, while `serve` serves the folder
 * and a poller downloads the bundle continuously. Neither the folder nor the
 * server may ever hold a torn archive or one mixing two builds.
 */
export async function killPublishScenario(rounds: number, seed: number): Promise<Figure[]> {
  const rand = random(seed);
  const project = await scratchProject();
  // Only the image-policy definition: the test is about writing, not compiling the library.
  for (const f of await readdir(join(project, 'bundles'))) if (f.endsWith('.yaml') && f !== 'image-policy.yaml') await rm(join(project, 'bundles', f));
  const out = join(project, 'out');
  const build = (marker: number) => {
    const child = spawn(process.execPath, [CLI, 'build', '--bundles', 'bundles', '--out', 'out'], {
      cwd: project,
      env: { ...process.env, PORTCULLIS_STATE_DIR: join(project, '.state') },
      stdio: 'ignore',
    });
    return { marker, child, exited: new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))) };
  };
  await setMarker(project, 0);
  if ((await build(0).exited) !== 0) throw new Error('the first build failed');
  const server = await spawnServe(project, ['--dir', out]);
  const counts = { downloads: 0, torn: 0, mixed: 0, folderTorn: 0, folderMixed: 0, killed: 0, completed: 0, crashed: 0 };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const res = await fetch(`${server.url}/bundles/image-policy`).catch(() => undefined);
      if (res?.status === 200) {
        const verdict = inspect(new Uint8Array(await res.arrayBuffer()));
        counts.downloads += 1;
        if (verdict !== 'ok') counts[verdict] += 1;
      } else await res?.arrayBuffer();
      await sleep(10);
    }
  })();
  try {
    for (let round = 1; round <= rounds; round += 1) {
      await setMarker(project, round);
      const b = build(round);
      const delay = rand() * 1500;
      const done = await Promise.race([b.exited, sleep(delay).then(() => undefined)]);
      if (done === undefined) {
        b.child.kill('SIGKILL');
        counts.killed += 1;
      } else counts.completed += 1;
      await b.exited;
      for (const f of (await readdir(out)).filter((n) => n.endsWith('.tar.gz') && !n.startsWith('.'))) {
        const verdict = inspect(new Uint8Array(await readFile(join(out, f))));
        if (verdict === 'torn') counts.folderTorn += 1;
        if (verdict === 'mixed') counts.folderMixed += 1;
      }
    }
  } finally {
    polling = false;
    await poller;
    counts.crashed = server.alive() ? 0 : 1;
    await server.stop();
  }
  return [
    info('publish rounds', rounds),
    info('builds killed mid-way', counts.killed),
    info('builds completed', counts.completed),
    info('bundles downloaded and checked', counts.downloads),
    mustBeZero('torn bundles served', counts.torn),
    mustBeZero('mixed bundles served', counts.mixed),
    mustBeZero('torn bundles in the folder', counts.folderTorn),
    mustBeZero('mixed bundles in the folder', counts.folderMixed),
    mustBeZero('server crashes', counts.crashed),
  ];
}

/** Opens `count` connections that send part of their headers (a tenth: all headers and part of a body) and reports when each was closed. */
const OPENER = `
const net = require('node:net');
const [port, count] = process.argv.slice(1).map(Number);
const closedAt = [];
let opened = 0;
const start = Date.now();
function open(i) {
  const s = net.connect(port, '127.0.0.1', () => {
    opened += 1;
    s.write(i % 10 === 0 ? 'POST /logs HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 1000\\r\\n\\r\\n[{"lab' : 'GET /health HTTP/1.1\\r\\nHost: x\\r\\n');
  });
  s.on('error', () => {});
  // Read what the server sends (its 408), or its close would wait behind the unread bytes.
  s.resume();
  s.on('close', () => closedAt.push(Date.now() - start));
}
(async () => {
  for (let i = 0; i < count; i += 1) { open(i); if (i % 250 === 249) await new Promise((r) => setTimeout(r, 50)); }
  const deadline = Date.now() + 120000;
  while (closedAt.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  process.stdout.write(JSON.stringify({ opened, closed: closedAt.length, lastClosedMs: Math.max(0, ...closedAt) }));
})();
`;

/**
 * Thousands of clients that never finish their headers or their body,
 * against `serve` with its default timeouts: all must be disconnected by
 * the server, and /health must keep answering meanwhile.
 */
export async function slowClientScenario(connections: number): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-slow-'));
  await mkdir(join(dir, 'bundles'));
  await writeFile(join(dir, 'bundles', 'tiny.tar.gz'), tinyBundle('s1'));
  const server = await spawnServe(dir, ['--dir', join(dir, 'bundles')]);
  try {
    const { port } = new URL(server.url);
    const child = spawn(
      'sh',
      ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" -e "$1" "$2" "$3"', process.execPath, OPENER, port, String(connections)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // While they are held, the server still answers.
    await sleep(3000);
    const health = await fetch(`${server.url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    await exited;
    const result = JSON.parse(out || '{}') as { opened?: number; closed?: number; lastClosedMs?: number };
    const opened = result.opened ?? 0;
    return [
      { name: 'stalled connections opened', value: opened, threshold: `= ${connections}`, ok: opened === connections },
      mustBeZero('stalled connections still open after 120 s', opened - (result.closed ?? 0)),
      info('seconds until the server had closed them all', Math.round((result.lastClosedMs ?? 0) / 1000)),
      mustBeZero('/health not answered while they were held', health === 200 ? 0 : 1),
      mustBeZero('server crashes', server.alive() ? 0 : 1),
    ];
  } finally {
    await server.stop();
  }
}
