#!/usr/bin/env node
// bench/fleet part (c): decision-log ingestion rate into SQLite (target >= 20,000 events/s).
// A real `portcullis serve` (auth on, default SQLite store in WAL mode) receives
// OPA-shaped batches over HTTP: gzip JSON arrays of EventV1 of about OPA's
// default chunk size (upload_size_limit_bytes 32 KiB compressed), from several
// concurrent uploaders, as a fleet's decision-log plugins would send them.
// Parts (a) and (b) are in bench/fleet-serve.mjs.
// Usage: node bench/fleet.mjs [--events 300000] [--batch 1600] [--concurrency 8]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/portcullis.js');
const arg = (name, fallback) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const EVENTS = arg('events', 300_000);
const BATCH = arg('batch', 1600);
const CONCURRENCY = arg('concurrency', 8);
const AGENTS = 50;

const { packBundle } = await import(join(ROOT, 'dist/src/bundle/index.js'));
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-ingest-'));
mkdirSync(join(work, 'bundles'));
writeFileSync(
  join(work, 'bundles', 'image-policy.tar.gz'),
  packBundle({ manifest: { revision: 'r1', roots: ['portcullis'], rego_version: 1 }, data: { portcullis: {} }, modules: [], maxFileBytes: 1 << 20 }),
);
const config = join(work, 'portcullis.yaml');
writeFileSync(config, 'auth:\n  required: true\nstate:\n  dir: state\n');

/** One decision as OPA's decision-log plugin reports it (EventV1). */
function event(agent, i) {
  const id = i.toString(16).padStart(12, '0');
  return {
    labels: { id: `00000000-0000-4000-8000-${agent.toString(16).padStart(12, '0')}`, version: '1.10.0', region: agent % 2 ? 'eu' : 'us' },
    decision_id: `6d1c2e6a-0b9f-4c1e-9b7a-${id}`,
    bundles: { 'image-policy': { revision: 'r1' } },
    path: 'portcullis/image/pinned/deny',
    input: { images: [`registry.example.com/team-${i % 40}/service:${i % 7 ? '1.2.3' : 'latest'}`], namespace: `ns-${i % 12}` },
    result: i % 7 ? [] : [{ rule: 'pinned', image: `registry.example.com/team-${i % 40}/service:latest`, msg: 'image is not pinned by a sha256 digest' }],
    requested_by: '10.0.0.1:53412',
    timestamp: new Date(Date.UTC(2026, 10, 28, 12, 0, 0) + i).toISOString().replace('Z', '123456Z'),
    metrics: { counter_server_query_cache_hit: 1, timer_rego_input_parse_ns: 25000, timer_rego_query_eval_ns: 180000, timer_server_handler_ns: 260000 },
    req_id: i,
  };
}

function batches() {
  const out = [];
  for (let start = 0; start < EVENTS; start += BATCH) {
    const count = Math.min(BATCH, EVENTS - start);
    const agent = (start / BATCH) % AGENTS;
    out.push({ count, body: gzipSync(JSON.stringify(Array.from({ length: count }, (_, k) => event(agent, start + k)))) });
  }
  return out;
}

function post(url, token, body, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/logs`,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': body.length, Authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`POST /logs answered ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function startServer() {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config, '--dir', join(work, 'bundles'), '--listen', '127.0.0.1:0'], {
    cwd: work,
    env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"msg":"listening".*"url":"([^"]+)"/.exec(out) ?? /"url":"([^"]+)".*"msg":"listening"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}\n${out}`)));
    setTimeout(() => reject(new Error(`serve did not start\n${out}`)), 20_000).unref();
  });
  return { child, url };
}

const token = JSON.parse(
  execFileSync(process.execPath, [CLI, 'tokens', 'create', '--name', 'bench', '--scopes', 'logs,admin', '--json', '--config', config], {
    cwd: work,
    encoding: 'utf8',
  }),
).token;
const all = batches();
const compressed = all.reduce((n, b) => n + b.body.length, 0);
const { child, url } = await startServer();
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
try {
  await post(url, token, all[0].body, agent); // warm-up, not counted
  let next = 1;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < all.length) await post(url, token, all[next++].body, agent);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sent = all.slice(1).reduce((n, b) => n + b.count, 0);
  const count = await new Promise((resolve, reject) => {
    http
      .get(`${url}/v1/decisions?limit=1`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d)).on('end', () => resolve(JSON.parse(text).decisions[0]?.req_id));
      })
      .on('error', reject);
  });
  const rate = sent / seconds;
  console.log(
    `(c) decision-log ingestion into SQLite: ${sent} events in ${all.length - 1} gzip batches of ${BATCH} (avg ${(compressed / all.length / 1024).toFixed(1)} KiB compressed), ${CONCURRENCY} concurrent uploaders`,
  );
  console.log(
    `    ${seconds.toFixed(2)} s -> ${Math.round(rate).toLocaleString('en-US')} events/s (target >= 20,000: ${rate >= 20_000 ? 'met' : 'NOT met'}); newest stored req_id ${count}`,
  );
} finally {
  agent.destroy();
  child.kill('SIGTERM');
}
