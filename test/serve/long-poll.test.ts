import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { writeFileAtomic } from '../../src/compile/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { LongPollWaiters } from '../../src/serve/long-poll.js';
import { parsePrefer } from '../../src/serve/prefer.js';
import { tinyBundle } from '../helpers/bundles.js';
import { waitFor } from '../helpers/processes.js';

const VND = 'application/vnd.openpolicyagent.bundles';

describe('parsePrefer', () => {
  it('reads modes and wait the way OPA sends them', () => {
    assert.deepEqual(parsePrefer('modes=snapshot,delta;wait=30'), { modes: ['snapshot', 'delta'], waitSeconds: 30 });
    assert.deepEqual(parsePrefer('modes=snapshot,delta'), { modes: ['snapshot', 'delta'] });
    assert.deepEqual(parsePrefer(undefined), { modes: ['snapshot'] });
    assert.deepEqual(parsePrefer('wait=0'), { modes: ['snapshot'] });
    assert.deepEqual(parsePrefer('wait=abc'), { modes: ['snapshot'] });
  });
});

describe('long polling', () => {
  let dir: string;
  let registry: BundleRegistry;
  let waiters: LongPollWaiters;
  let server: Server;
  let url: string;
  let revision = 1;

  const publish = async () => {
    revision++;
    await writeFileAtomic(join(dir, 'tiny.tar.gz'), tinyBundle(`r${revision}`));
    await registry.refresh();
  };
  const etag = async () => (await fetch(`${url}/bundles/tiny`)).headers.get('etag') as string;
  const poll = (tag: string, wait?: number, signal?: AbortSignal) =>
    fetch(`${url}/bundles/tiny`, {
      headers: { 'If-None-Match': tag, Prefer: wait === undefined ? 'modes=snapshot,delta' : `modes=snapshot,delta;wait=${wait}` },
      ...(signal ? { signal } : {}),
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-longpoll-'));
    await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r1'));
    registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger: pino({ level: 'silent' }), rescanIntervalMs: 60_000 });
    await registry.refresh();
    waiters = new LongPollWaiters();
    server = createApp({ registry, logger: pino({ level: 'silent' }), waiters, maxLongPollSeconds: 5 }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    waiters.releaseAll();
    server.close();
  });

  it('answers a stale ETag at once with the bundle and the long-polling content type', async () => {
    const res = await poll('"stale"', 30);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), VND);
    assert.equal(res.headers.get('content-encoding'), null);
  });

  it('keeps application/gzip for clients that do not long-poll', async () => {
    const res = await poll('"stale"');
    assert.equal(res.headers.get('content-type'), 'application/gzip');
  });

  it('holds a current ETag until a new revision is published, then answers 200', async () => {
    const current = await etag();
    const held = poll(current, 30);
    await waitFor(() => (waiters.size === 1 ? true : undefined), 5000);
    await publish();
    const res = await held;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), VND);
    assert.notEqual(res.headers.get('etag'), current);
    assert.equal(waiters.size, 0);
  });

  it('answers 304 with the ETag when nothing changes within wait, never at once', async () => {
    const current = await etag();
    const started = Date.now();
    const res = await poll(current, 1);
    assert.equal(res.status, 304);
    assert.equal(res.headers.get('etag'), current);
    assert.ok(Date.now() - started >= 900, 'the request was held, not answered at once');
  });

  it('answers a current ETag without wait= at once with 304', async () => {
    const res = await poll(await etag());
    assert.equal(res.status, 304);
  });

  it('caps wait at the configured maximum', async () => {
    const started = Date.now();
    const res = await poll(await etag(), 3600);
    assert.equal(res.status, 304);
    assert.ok(Date.now() - started < 30_000);
  });

  it('forgets a held request when the client goes away', async () => {
    const abort = new AbortController();
    const held = poll(await etag(), 30, abort.signal).catch(() => 'aborted');
    await waitFor(() => (waiters.size === 1 ? true : undefined), 5000);
    abort.abort();
    assert.equal(await held, 'aborted');
    await waitFor(() => (waiters.size === 0 ? true : undefined), 5000);
  });

  it('wakes every held client of a bundle with one publish', async () => {
    const current = await etag();
    const held = Array.from({ length: 50 }, () => poll(current, 30));
    await waitFor(() => (waiters.size === 50 ? true : undefined), 5000);
    await publish();
    const statuses = await Promise.all(held.map(async (p) => (await p).status));
    assert.deepEqual(new Set(statuses), new Set([200]));
  });

  it('releases held requests with 304 on shutdown', async () => {
    const held = poll(await etag(), 30);
    await waitFor(() => (waiters.size === 1 ? true : undefined), 5000);
    waiters.releaseAll();
    assert.equal((await held).status, 304);
  });
});
