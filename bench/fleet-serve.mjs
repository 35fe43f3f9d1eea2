#!/usr/bin/env node
// bench/fleet part (a) and (b), measured in one run on this machine:
// (a) publish-to-delivery latency for N concurrent long-polling clients
//     (target p99 <= 1 s) and the server's RSS while it holds them (target <= 200 MB);
// (b) 304 throughput for conditional polls, portcullis vs nginx serving the
//     same file with ETags (target ratio >= 0.6), with wrk as the load generator.
// Usage: node bench/fleet-serve.mjs [--clients 2000] [--seconds 10]
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const CLIENTS = arg('clients', 2000);
const SECONDS = arg('seconds', 10);

const { packBundle } = await import(join(ROOT, 'dist/src/bundle/index.js'));
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-fleet-'));

/** A bundle of about 64 KiB of data, so a delivery is more than a handful of bytes. */
const bundleBytes = (revision) =>
  packBundle({
    manifest: { revision, roots: ['bench'], rego_version: 1 },
    data: { bench: { revision, padding: 'x'.repeat(64 * 1024) } },
    modules: [{ path: '/bench/policy.rego', bytes: new TextEncoder().encode('package bench\n\nallow := true\n') }],
    maxFileBytes: 1 << 30,
  });

function publish(dir, revision) {
  const temp = join(dir, `.bench.tar.gz.${revision}.tmp`);
  writeFileSync(temp, bundleBytes(revision));
  renameSync(temp, join(dir, 'bench.tar.gz'));
}

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function longPollLatency() {
  const dir = join(work, 'lp');
  execFileSync('mkdir', ['-p', dir]);
  publish(dir, 'r0');
  const { child, url } = await startServer(dir);
  const etag = (await fetch(`${url}/bundles/bench`)).headers.get('etag');
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const rssIdle = rssMb(child.pid);
  let publishedAt = 0;
  const latencies = [];
  const clients = Array.from(
    { length: CLIENTS },
    () =>
      new Promise((resolve, reject) => {
        const req = http.get(`${url}/bundles/bench`, { agent, headers: { 'If-None-Match': etag, Prefer: 'modes=snapshot,delta;wait=60' } }, (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - publishedAt);
            resolve(res.statusCode);
          });
        });
        req.on('error', reject);
      }),
  );
  await waitUntil(async () => (await heldRequests(url)) >= CLIENTS, 30_000);
  const rssHeld = rssMb(child.pid);
  publishedAt = performance.now();
  publish(dir, 'r1');
  const statuses = await Promise.all(clients);
  agent.destroy();
  child.kill('SIGTERM');
  return {
    rssIdle,
    rssHeld,
    ok: statuses.filter((s) => s === 200).length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

async function startServer(dir) {
  const child = spawn(process.execPath, [join(ROOT, 'bin/portcullis.js'), 'serve', '--listen', '127.0.0.1:0', '--dir', dir], {
    env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'info', PORTCULLIS_STATE_DIR: join(work, 'state') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      const m = line && /"url":"([^"]+)"/.exec(line);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, url: m[1] });
      }
    };
    child.stdout.on('data', onData);
  });
}

async function heldRequests(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^portcullis_long_poll_held_requests (\d+)/m.exec(text)?.[1] ?? 0);
}

async function waitUntil(probe, ms) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function wrk(url, etag) {
  const script = join(work, 'etag.lua');
  writeFileSync(script, `wrk.headers["If-None-Match"] = ${JSON.stringify(etag)}\n`);
  const out = execFileSync('wrk', ['-t2', '-c64', `-d${SECONDS}s`, '-s', script, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, non2xx };
}

async function notModifiedThroughput() {
  const dir = join(work, 'tp');
  execFileSync('mkdir', ['-p', dir]);
  publish(dir, 'r0');
  const { child, url } = await startServer(dir);
  const portcullisEtag = (await fetch(`${url}/bundles/bench`)).headers.get('etag');
  const portcullis = wrk(`${url}/bundles/bench`, portcullisEtag);
  child.kill('SIGTERM');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = join(work, 'nginx.conf');
  // nginx's workers run as an unprivileged user: let them read the bundle folder.
  chmodSync(work, 0o755);
  chmodSync(dir, 0o755);
  writeFileSync(
    conf,
    `worker_processes 1; daemon off; pid ${work}/nginx.pid; error_log ${work}/nginx.err;
events { worker_connections 1024; }
http { access_log off; etag on; server { listen 127.0.0.1:${port}; location /bundles/ { alias ${dir}/; default_type application/gzip; } } }\n`,
  );
  const nginx = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'ignore' });
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/bundles/bench.tar.gz`).catch(() => undefined))?.ok, 10_000);
  const nginxEtag = (await fetch(`http://127.0.0.1:${port}/bundles/bench.tar.gz`)).headers.get('etag');
  const ng = wrk(`http://127.0.0.1:${port}/bundles/bench.tar.gz`, nginxEtag);
  nginx.kill('SIGTERM');
  return { portcullis, nginx: ng };
}

const missing = ['wrk', 'nginx'].filter((bin) => !['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((d) => existsSync(join(d, bin))));
const a = await longPollLatency();
console.log(`bench/fleet (a): ${CLIENTS} long-polling clients, one publish`);
console.log(`  delivered 200s   ${a.ok}/${CLIENTS}`);
console.log(`  latency p50      ${a.p50.toFixed(0)} ms`);
console.log(`  latency p99      ${a.p99.toFixed(0)} ms   target <= 1000 ms  ${a.p99 <= 1000 ? 'OK' : 'MISSED'}`);
console.log(
  `  server RSS       ${a.rssIdle.toFixed(0)} MB idle, ${a.rssHeld.toFixed(0)} MB holding ${CLIENTS}   target <= 200 MB  ${a.rssHeld <= 200 ? 'OK' : 'MISSED'}`,
);
if (missing.length > 0) {
  console.log(`bench/fleet (b): skipped, ${missing.join(' and ')} not installed (apt-get install nginx-light wrk)`);
} else {
  const b = await notModifiedThroughput();
  const ratio = b.portcullis.rps / b.nginx.rps;
  console.log(`bench/fleet (b): conditional polls answered 304, wrk -t2 -c64 -d${SECONDS}s`);
  // A server answering errors instead of 304s would look fast: say how many responses were not 2xx/3xx.
  const failed = (r) => (r.non2xx > 0 ? `   (${r.non2xx} responses not 2xx/3xx)` : '');
  console.log(`  nginx            ${b.nginx.rps.toFixed(0)} req/s${failed(b.nginx)}`);
  console.log(
    `  portcullis       ${b.portcullis.rps.toFixed(0)} req/s   ratio ${ratio.toFixed(2)}   target >= 0.60  ${ratio >= 0.6 ? 'OK' : 'MISSED'}${failed(b.portcullis)}`,
  );
}
process.exit(0);
