import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { contextOf, namespaceMetadata, planFindings, unresolvedDigestFinding, WebhookDeliverer } from '../../src/inventory/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { waitFor } from '../helpers/processes.js';

const SECRET = Buffer.from('webhook-secret');

interface Received {
  readonly body: string;
  readonly signature: string | undefined;
  readonly delivery: string | undefined;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('the change webhook', () => {
  let store: Store;
  const received: Received[] = [];
  let failures = 1;
  const server = createServer((req, res) => {
    void body(req).then((text) => {
      received.push({ body: text, signature: req.headers['x-portcullis-signature'] as string, delivery: req.headers['x-portcullis-delivery'] as string });
      // The first attempt fails, so a retry must follow.
      res.statusCode = failures-- > 0 ? 503 : 204;
      res.end();
    });
  });
  let url = '';

  before(async () => {
    store = await openStore({ driver: 'sqlite', path: join(await mkdtemp(join(tmpdir(), 'portcullis-webhook-')), 'db.sqlite') });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    await store.close();
    server.close();
  });

  it('delivers each queued change signed with HMAC-SHA256, retries failures with backoff, and records every attempt', async () => {
    const metadata = namespaceMetadata('c1', 'shop', {}, { environmentLabel: 'env', namespaceLabels: {}, clusters: {} });
    await store.inventory.applyWrite(
      {
        cluster: 'c1',
        source: 'snapshot',
        completeness: 'snapshot',
        namespaces: [],
        running: [
          {
            namespace: 'shop',
            kind: 'Deployment',
            name: 'web',
            container: 'app',
            containerType: 'container',
            image: 'nginx:1.25',
            repository: 'docker.io/library/nginx',
            digest: null,
            replicas: 1,
            findings: [unresolvedDigestFinding('nginx:1.25', 'no status', 'deny')],
          },
        ],
        contexts: new Map([['shop', contextOf(metadata)]]),
        at: new Date(),
        revision: 'r1',
      },
      planFindings,
      true,
    );
    const outcomes: string[] = [];
    const deliverer = new WebhookDeliverer({
      inventory: store.inventory,
      settings: { url, secret: SECRET, timeoutMs: 5000, maxAttempts: 3, retryBaseMs: 200 },
      owner: 'test',
      logger: pino({ level: 'silent' }),
      userAgent: 'portcullis/test',
      observer: { delivered: (o) => outcomes.push(o) },
    });
    deliverer.start();
    try {
      await waitFor(
        () => (outcomes.includes('delivered') ? true : undefined),
        10_000,
        () => JSON.stringify(outcomes),
      );
    } finally {
      await deliverer.stop();
    }
    assert.deepEqual(outcomes, ['retry', 'delivered']);
    assert.equal(received.length, 2);
    const [first, second] = received;
    assert.equal(first?.body, second?.body, 'a retry sends the same body');
    assert.equal(first?.delivery, second?.delivery, 'under the same delivery id');
    const expected = `sha256=${createHmac('sha256', SECRET)
      .update(second?.body ?? '')
      .digest('hex')}`;
    assert.equal(second?.signature, expected);
    const event = JSON.parse(second?.body ?? '{}') as { type: string; workload: { name: string }; opened: { rule: string }[] };
    assert.equal(event.type, 'findings.changed');
    assert.equal(event.workload.name, 'web');
    assert.deepEqual(
      event.opened.map((f) => f.rule),
      ['unresolved_digest'],
    );
    const log = await store.inventory.deliveries();
    assert.deepEqual(
      log.map((d) => [d.attempt, d.status]),
      [
        [1, 503],
        [2, 204],
      ],
    );
    assert.ok(Date.parse(log[1]?.at ?? '') - Date.parse(log[0]?.at ?? '') >= 150, 'the retry waited for its backoff');
  });
});
