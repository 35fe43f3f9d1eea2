// A large POST /v1/inventory body is parsed and checked in a worker thread:
// the event loop keeps turning while it is read, other requests are answered
// meanwhile, and the result and errors are those of the same body read inline.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { InventoryEngine, type ServedRevision } from '../../src/inventory/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { prepareSnapshotBody, readSnapshotBody, SNAPSHOT_WORKER_BYTES } from '../../src/serve/snapshot-body.js';
import { openStore, type Store } from '../../src/store/index.js';
import { FakeEvaluator, runningInventory, SETTINGS, T0 } from './fakes.js';
import { DIGEST, list, namespace, pod } from './kubernetes.js';

const logger = pino({ level: 'silent' });
const revision: ServedRevision = { name: 'image-scan', etag: '"e1"', bytes: new Uint8Array(), revision: 'r1', publishedAt: 1 };

/** A synthetic snapshot of `pods` pods, each with an annotation of `annotationBytes`: large to parse, cheap to store. */
function largeSnapshot(pods: number, annotationBytes: number, extra: readonly unknown[] = []): Buffer {
  const items = Array.from({ length: pods }, (_, i) => {
    const p = pod('shop', `web-${i}`, [['web', 'web:1', `docker.io/library/web@${DIGEST((i % 50) + 1)}`]]);
    const meta = p['metadata'] as Record<string, unknown>;
    return { ...p, metadata: { ...meta, annotations: { 'example.com/note': 'x'.repeat(annotationBytes) } } };
  });
  return Buffer.from(JSON.stringify(list([namespace('shop'), ...items, ...extra])));
}

const job = (bytes: Uint8Array) => ({ bytes, maxDepth: 100, invalid: 'INPUT_INVALID' as const });

describe('a large snapshot body', () => {
  it('is read off the event loop, with the result of reading it inline', async () => {
    const bytes = largeSnapshot(100, 20_000);
    assert.ok(bytes.length > SNAPSHOT_WORKER_BYTES);
    const inline = prepareSnapshotBody(job(bytes));
    let done = false;
    let turns = 0;
    const reading = readSnapshotBody(job(Buffer.from(bytes))).finally(() => (done = true));
    // Counts the event loop's turns until the read is done: a read on this thread would finish before the first.
    await new Promise<void>((resolve) => {
      const turn = (): void => {
        if (done) return resolve();
        turns += 1;
        setImmediate(turn);
      };
      setImmediate(turn);
    });
    assert.ok(turns > 0, 'the event loop did not turn while the snapshot was read');
    assert.deepEqual(await reading, inline);
    assert.equal(inline.parsed.running.length, 100);
  });

  it('is refused with the same error, naming the item, as when read inline', async () => {
    const bytes = largeSnapshot(60, 20_000, [{ apiVersion: 'v1', metadata: { name: 'nameless' } }]);
    assert.throws(() => prepareSnapshotBody(job(bytes)), { code: 'INPUT_INVALID', message: 'request body: items[61] has no kind' });
    // The worker takes the bytes over: each read gets a copy of its own.
    await assert.rejects(readSnapshotBody(job(Buffer.from(bytes))), { code: 'INPUT_INVALID', message: 'request body: items[61] has no kind' });
  });
});

describe('POST /v1/inventory with a large snapshot', () => {
  let store: Store;
  let engine: InventoryEngine;
  let server: Server;
  let base: string;

  before(async () => {
    store = await openStore({ driver: 'sqlite', path: join(await mkdtemp(join(tmpdir(), 'portcullis-inventory-large-')), 'db.sqlite') });
    engine = new InventoryEngine({ store, revision: () => revision, evaluator: new FakeEvaluator(), clock: () => new Date(T0), logger, settings: SETTINGS });
    await engine.start();
    const imports = { engine, revision: () => revision, policy: () => Promise.reject(new Error('no operator reports here')) };
    const inventory = runningInventory(engine, imports, 256 * 1024 * 1024);
    const registry = new BundleRegistry({ limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    server = createApp({ registry, logger, inventory }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await engine.stop();
    await store.close();
  });

  it('answers other requests while the snapshot is read and imported', async () => {
    const body = largeSnapshot(300, 20_000);
    let imported: { status: number; text: string } | undefined;
    let sent = false;
    const importing = new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${base}/v1/inventory?cluster=c1&new_cluster=true`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          imported = { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() };
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body, () => (sent = true));
    });
    // Once the whole body is sent, asks the inventory's status, one request at a time, until the import is answered.
    const answeredMeanwhile: number[] = [];
    const deadline = Date.now() + 120_000;
    while (!imported && Date.now() < deadline) {
      if (!sent) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const res = await fetch(`${base}/v1/inventory`);
      assert.equal(res.status, 200);
      await res.json();
      if (!imported) answeredMeanwhile.push(Date.now());
    }
    await importing;
    assert.ok(imported, 'the import was not answered within two minutes');
    assert.equal(imported.status, 200, imported.text.slice(0, 300));
    assert.equal((JSON.parse(imported.text) as { running: { added: number } }).running.added, 300);
    assert.ok(answeredMeanwhile.length > 0, 'no other request was answered while the snapshot was imported');
  });

  it('refuses a gzip snapshot that inflates more than 100 times, once past its first MiB, and takes a snapshot that inflates 10 to 20 times', async () => {
    const post = (body: Buffer) =>
      fetch(`${base}/v1/inventory?cluster=c2&new_cluster=true`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body,
      });
    // Valid JSON padded with 32 MiB of spaces: gzip shrinks it about 1,000 times, all of it in the first packets.
    const padded = Buffer.concat([Buffer.from('{"kind":"List","items":[]'), Buffer.alloc(32 * 1024 * 1024, 0x20), Buffer.from('}')]);
    const bomb = await post(gzipSync(padded, { level: 9 }));
    assert.equal(bomb.status, 413);
    assert.match(((await bomb.json()) as { message: string }).message, /expands more than 100 times/);
    // Pods that differ as real ones do (names, uids): about as repetitive as a real list.
    const pods = Array.from({ length: 3000 }, (_, i) => {
      const p = pod('shop', `web-${i}`, [['web', 'web:1', `docker.io/library/web@${DIGEST((i % 50) + 1)}`]]);
      return { ...p, metadata: { ...(p['metadata'] as Record<string, unknown>), uid: randomUUID() } };
    });
    const snapshot = Buffer.from(JSON.stringify(list([namespace('shop'), ...pods])));
    const compressed = gzipSync(snapshot);
    const ratio = snapshot.length / compressed.length;
    assert.ok(snapshot.length > 1024 * 1024 && ratio > 10 && ratio < 20, `the snapshot is ${snapshot.length} bytes and inflates ${ratio} times`);
    const accepted = await post(compressed);
    assert.equal(accepted.status, 200, await accepted.clone().text());
    assert.equal(((await accepted.json()) as { running: { added: number } }).running.added, 3000);
  });
});
