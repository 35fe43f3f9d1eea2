import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isAppError } from '../../src/core/index.js';
import { loadDecisions, parseEvents } from '../../src/review/index.js';

const EVENTS = Array.from({ length: 5 }, (_, i) => ({ decision_id: `d-${i}`, path: 'data.portcullis.scan.decision', input: { n: i } }));

describe('decision-log events to replay', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];

  before(async () => {
    // Two events a page, chained by next_cursor, as GET /v1/decisions pages them.
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      seen.push(`${url.search} ${req.headers.authorization ?? ''}`);
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const page = { decisions: EVENTS.slice(from, from + 2), ...(from + 2 < EVENTS.length ? { next_cursor: String(from + 2) } : {}) };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(page));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('follows next_cursor across pages, keeping the URL filters and sending the token', async () => {
    const loaded = await loadDecisions({
      from: `${base}/v1/decisions?path=portcullis/scan/decision`,
      entrypoint: 'portcullis/scan/decision',
      token: 't0k',
      maxEvents: 100,
    });
    assert.deepEqual(
      loaded.cases.map((c) => c.id),
      ['d-0', 'd-1', 'd-2', 'd-3', 'd-4'],
    );
    assert.equal(loaded.cases[3]?.input, '{"n":3}');
    assert.equal(seen.length, 3);
    assert.ok(seen.every((s) => s.includes('path=portcullis') && s.endsWith('Bearer t0k')));
  });

  it('stops at maxEvents', async () => {
    const loaded = await loadDecisions({ from: `${base}/v1/decisions`, entrypoint: 'portcullis/scan/decision', maxEvents: 3 });
    assert.equal(loaded.cases.length, 3);
  });

  it('reads a JSON array, a query page and NDJSON, and names the bad line', () => {
    const ndjson = EVENTS.map((e) => JSON.stringify(e)).join('\n');
    assert.equal(parseEvents(JSON.stringify(EVENTS), 'a.json').length, 5);
    assert.equal(parseEvents(JSON.stringify({ decisions: EVENTS }), 'page.json').length, 5);
    assert.equal(parseEvents(`${ndjson}\n\n`, 'log.ndjson').length, 5);
    assert.throws(
      () => parseEvents(`${ndjson}\n{not json`, 'log.ndjson'),
      (err: unknown) => isAppError(err) && err.code === 'INPUT_INVALID' && err.message.startsWith('log.ndjson:6:'),
    );
  });

  it('leaves out events of other entrypoints and reports events without input', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-events-'));
    try {
      const file = join(dir, 'events.json');
      await writeFile(
        file,
        JSON.stringify([
          { decision_id: 'x', path: 'other/rule' },
          { decision_id: 'y', path: 'portcullis/scan/decision' },
          { decision_id: 'z', input: {} },
        ]),
      );
      const loaded = await loadDecisions({ from: file, entrypoint: 'portcullis/scan/decision', maxEvents: 10 });
      assert.deepEqual(
        loaded.cases.map((c) => c.id),
        ['z'],
      );
      assert.deepEqual(
        loaded.skipped.map((s) => s.id),
        ['y'],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
