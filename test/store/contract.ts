import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DecisionQuery, DecisionRecord, StatusRecord, Store } from '../../src/store/index.js';
import { mintToken, verifyToken } from '../../src/store/index.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const query = (q: Partial<DecisionQuery> = {}): DecisionQuery => ({ labels: [], input: [], limit: 100, order: 'asc', ...q });

function decision(i: number, extra: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    agentId: i % 2 ? 'agent-odd' : 'agent-even',
    decisionId: `d${i}`,
    timestamp: new Date(T0 + i * 60_000),
    path: i % 3 ? 'portcullis/image/pinned/deny' : 'portcullis/image/pinned/allow',
    bundles: { 'image-policy': { revision: i < 5 ? 'r1' : 'r2' } },
    labels: { id: i % 2 ? 'agent-odd' : 'agent-even', env: i % 2 ? 'prod' : 'dev' },
    input: { images: [`nginx:${i}`], user: { name: i === 7 ? 'alice' : 'bob', admin: i === 7 }, n: i },
    result: i % 3 ? [{ rule: 'pinned', msg: `m${i}` }] : i % 2 === 0,
    rest: { timestamp: new Date(T0 + i * 60_000).toISOString(), requested_by: '127.0.0.1:1', metrics: { timer_rego_query_eval_ns: i } },
    ...extra,
  };
}

function status(id: string, revision: string, at: Date): StatusRecord {
  return {
    agentId: id,
    labels: { id, version: '1.10.0', env: 'prod' },
    opaVersion: '1.10.0',
    receivedAt: at,
    state: { bundles: { 'image-policy': { active_revision: revision, last_request: at.toISOString() } }, last_request: at.toISOString() },
  };
}

/** The behaviour every store must have, run against each driver. */
export function storeContract(label: string, open: () => Promise<Store>): void {
  describe(`${label} store`, () => {
    let store: Store;
    before(async () => {
      store = await open();
      await store.recordDecisions(
        Array.from({ length: 10 }, (_, i) => decision(i)),
        new Date(T0 + 3_600_000),
      );
    });
    after(() => store.close());

    const ids = async (q: Partial<DecisionQuery>) => (await store.queryDecisions(query(q))).decisions.map((d) => d['decision_id']);

    it('keeps the latest status per agent and when it was first seen', async () => {
      await store.recordStatus(status('a1', 'r1', new Date(T0)));
      await store.recordStatus(status('a1', 'r2', new Date(T0 + 1000)));
      await store.recordStatus(status('a0', 'r1', new Date(T0 + 2000)));
      const agents = await store.listAgents();
      assert.deepEqual(
        agents.map((a) => a.id),
        ['a0', 'a1'],
      );
      const a1 = agents[1];
      assert.equal(a1?.bundles['image-policy']?.active_revision, 'r2');
      assert.equal(a1?.first_seen, new Date(T0).toISOString());
      assert.equal(a1?.last_seen, new Date(T0 + 1000).toISOString());
      assert.equal(a1?.opa_version, '1.10.0');
      assert.deepEqual(a1?.labels, { id: 'a1', version: '1.10.0', env: 'prod' });
    });

    it('returns events as sent, with server id, agent and arrival time', async () => {
      const [d] = (await store.queryDecisions(query({ limit: 1 }))).decisions;
      assert.equal(d?.['decision_id'], 'd0');
      assert.equal(d?.agent_id, 'agent-even');
      assert.deepEqual(d?.['input'], decision(0).input);
      assert.equal(d?.['result'], true);
      assert.deepEqual(d?.['metrics'], { timer_rego_query_eval_ns: 0 });
      assert.equal(d?.received_at, new Date(T0 + 3_600_000).toISOString());
    });

    it('filters by time range, path and agent', async () => {
      assert.deepEqual(await ids({ since: new Date(T0 + 2 * 60_000), until: new Date(T0 + 4 * 60_000) }), ['d2', 'd3', 'd4']);
      assert.deepEqual(await ids({ path: 'portcullis/image/pinned/allow' }), ['d0', 'd3', 'd6', 'd9']);
      assert.deepEqual(await ids({ agent: 'agent-odd', path: 'portcullis/image/pinned/allow' }), ['d3', 'd9']);
    });

    it('filters by result, compared as JSON (object key order does not matter)', async () => {
      assert.deepEqual(await ids({ result: true }), ['d0', 'd6']);
      assert.deepEqual(await ids({ result: false }), ['d3', 'd9']);
      assert.deepEqual(await ids({ result: [{ msg: 'm4', rule: 'pinned' }] }), ['d4']);
    });

    it('filters by bundle revision, agent label and input fields', async () => {
      assert.deepEqual(await ids({ revision: 'r1' }), ['d0', 'd1', 'd2', 'd3', 'd4']);
      assert.deepEqual(await ids({ labels: [['env', 'prod']], revision: 'r2' }), ['d5', 'd7', 'd9']);
      assert.deepEqual(await ids({ input: [[['user', 'name'], 'alice']] }), ['d7']);
      assert.deepEqual(await ids({ input: [[['user', 'admin'], true]] }), ['d7']);
      assert.deepEqual(await ids({ input: [[['n'], 3]] }), ['d3']);
      assert.deepEqual(await ids({ input: [[['n'], '3']] }), []);
      assert.deepEqual(await ids({ input: [[['images', '0'], 'nginx:4']] }), ['d4']);
      assert.deepEqual(await ids({ input: [[['user', 'name'], 'bob']], labels: [['env', 'dev']], limit: 2 }), ['d0', 'd2']);
    });

    it('pages with cursors in both orders, without gaps or repeats', async () => {
      for (const order of ['asc', 'desc'] as const) {
        const seen: unknown[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.queryDecisions(query({ order, limit: 3, ...(cursor ? { cursor } : {}) }));
          seen.push(...page.decisions.map((d) => d['decision_id']));
          cursor = page.next_cursor;
        } while (cursor);
        const all = Array.from({ length: 10 }, (_, i) => `d${i}`);
        assert.deepEqual(seen, order === 'asc' ? all : all.reverse());
      }
    });

    it('cuts a page at its byte budget, one event at least, and continues from there', async () => {
      for (const order of ['asc', 'desc'] as const) {
        const seen: unknown[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        do {
          // Each stored event is a few hundred bytes of JSON: a 700-byte budget holds one or two.
          const page = await store.queryDecisions(query({ order, limit: 10, maxBytes: 700, ...(cursor ? { cursor } : {}) }));
          assert.ok(page.decisions.length >= 1);
          sizes.push(page.decisions.length);
          seen.push(...page.decisions.map((d) => d['decision_id']));
          cursor = page.next_cursor;
        } while (cursor);
        const all = Array.from({ length: 10 }, (_, i) => `d${i}`);
        assert.deepEqual(seen, order === 'asc' ? all : all.reverse());
        assert.ok(Math.max(...sizes) < 10, `pages of ${sizes.join(', ')}`);
      }
    });

    it('writes a batch in one transaction: a bad row leaves none of the batch', async () => {
      const before = await store.countDecisions();
      const bad = { ...decision(50), agentId: null as unknown as string };
      await assert.rejects(store.recordDecisions([decision(51), decision(52), bad], new Date()));
      assert.equal(await store.countDecisions(), before);
    });

    it('stores NUL characters that JSON allows (PostgreSQL keeps them as U+FFFD)', async () => {
      const before = await store.countDecisions();
      await store.recordDecisions([decision(60, { path: 'nul\u0000path', input: { s: 'a\u0000b', 'k\u0000': 1 } })], new Date(T0 + 3_600_000));
      await store.recordStatus(status('nul\u0000agent', 'r1', new Date()));
      assert.equal(await store.countDecisions(), before + 1);
      assert.equal((await store.listAgents()).length, 3);
    });

    it('returns results and inputs that are JSON strings or numbers as sent', async () => {
      await store.recordDecisions(
        [decision(70, { path: 'scalars/revision', input: 'plain text', result: 'r1' }), decision(71, { path: 'scalars/revision', input: 3, result: 42 })],
        new Date(T0 + 3_600_000),
      );
      const found = (await store.queryDecisions(query({ path: 'scalars/revision' }))).decisions;
      assert.deepEqual(
        found.map((d) => [d['input'], d['result']]),
        [
          ['plain text', 'r1'],
          [3, 42],
        ],
      );
    });

    it('stores tokens hashed, verifies them and revokes them', async () => {
      const { token, record } = mintToken({ name: 'ci', agent: 'agent-1', bundles: ['image-policy'], scopes: ['bundles', 'status'] });
      await store.createToken(record);
      assert.ok(!JSON.stringify(await store.listTokens()).includes(token.slice(-43)));
      assert.equal((await verifyToken(store, token))?.id, record.id);
      assert.equal(await verifyToken(store, `${token.slice(0, -1)}x`), undefined);
      assert.equal(await verifyToken(store, 'pcl_000000000000_' + 'A'.repeat(43)), undefined);
      assert.equal(await store.revokeToken(record.id, new Date()), true);
      assert.equal(await store.revokeToken(record.id, new Date()), false);
      assert.equal(await verifyToken(store, token), undefined);
      assert.ok((await store.findToken(record.id))?.revokedAt);
    });

    it('keeps scan results by digest: the newest answers, the earlier ones stay as history', async () => {
      const scan = (digest: string, n: number) => ({
        digest,
        image: `registry.example.com/app:${n}`,
        input: { image: { digest }, n, note: 'ü\u2028' },
        decision: { decision: n % 2 ? 'deny' : 'allow', violations: [] },
        storedAt: new Date(T0 + n * 1000),
      });
      const a = 'sha256:' + 'a'.repeat(64);
      const b = 'sha256:' + 'b'.repeat(64);
      for (const [digest, n] of [
        [a, 1],
        [b, 2],
        [a, 3],
      ] as const)
        await store.putScan(scan(digest, n));
      const latest = await store.latestScans([a, b, 'sha256:' + 'c'.repeat(64)]);
      assert.deepEqual(latest.map((s) => [s.digest, s.image]).sort(), [
        [a, 'registry.example.com/app:3'],
        [b, 'registry.example.com/app:2'],
      ]);
      const newestA = latest.find((s) => s.digest === a);
      assert.deepEqual(newestA?.input, { image: { digest: a }, n: 3, note: 'ü\u2028' });
      assert.deepEqual(newestA?.decision, { decision: 'deny', violations: [] });
      assert.equal(newestA?.storedAt.getTime(), T0 + 3000);
      assert.deepEqual(
        (await store.scanHistory(a, 10)).map((s) => s.image),
        ['registry.example.com/app:3', 'registry.example.com/app:1'],
      );
      assert.deepEqual(await store.scanHistory(a, 1).then((h) => h.length), 1);
      const seqs = await store.latestScanSeqs([a, b, 'sha256:' + 'c'.repeat(64)]);
      assert.deepEqual([...seqs.keys()].sort(), [a, b], 'the sequence numbers of the newest scans, none for an unknown digest');
      assert.equal(seqs.get(a), newestA?.seq);
      assert.equal(seqs.get(b), latest.find((s) => s.digest === b)?.seq);
    });

    it("lists a digest's history from the summary stored with each scan, not its input", async () => {
      const digest = 'sha256:' + 'd'.repeat(64);
      const warning = (code: string) => ({ code, message: 'm', path: 'p' });
      const input = {
        image: { digest },
        vulnerabilities: [{ id: 'CVE-2024-3094' }],
        reports: [
          { file: 't.json', format: 'trivy', scanner: { name: 'Trivy', version: '0.50.1' }, created: '2026-11-01T00:00:00Z', warnings: [] },
          {
            file: 'g.json',
            format: 'grype',
            scanner: { name: 'grype', version: null },
            warnings: [warning('SEVERITY_MISSING'), warning('SEVERITY_MISSING'), warning('FIX_UNREADABLE')],
          },
        ],
        summary: { vulnerabilities: { total: 1, fixable: 0, by_severity: { CRITICAL: 1 } } },
      };
      await store.putScan({ digest, image: 'registry.example.com/app:x', input, decision: { decision: 'deny' }, storedAt: new Date(T0) });
      const [head, ...rest] = await store.scanHistory(digest, 10);
      assert.equal(rest.length, 0);
      assert.ok(head && !('input' in head), 'a history entry carries no input');
      assert.deepEqual(head.decision, { decision: 'deny' });
      assert.deepEqual(head.summary, {
        reports: [
          { format: 'trivy', scanner: { name: 'Trivy', version: '0.50.1' }, created: '2026-11-01T00:00:00Z', input_warnings: {} },
          { format: 'grype', scanner: { name: 'grype', version: null }, created: null, input_warnings: { SEVERITY_MISSING: 2, FIX_UNREADABLE: 1 } },
        ],
        vulnerabilities: input.summary,
      });
    });

    it('prunes by age and by count, keeping the newest', async () => {
      const now = new Date(T0 + 10 * 3_600_000);
      await store.recordDecisions([decision(100), decision(101), decision(102)], now);
      await store.recordDecisions([decision(103)], new Date(now.getTime() + 1000));
      const olderThanAnHour = await store.prune({ maxAgeMs: 3_600_000 }, now);
      assert.equal(olderThanAnHour, 13);
      assert.equal(await store.prune({ maxDecisions: 2 }, now), 2);
      assert.deepEqual(await ids({}), ['d102', 'd103']);
    });
  });
}
