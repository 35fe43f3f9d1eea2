// The inventory half of the store, run against each driver: the same
// statements serve SQLite and PostgreSQL, so both must behave alike.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { contextOf, findingsHash, namespaceMetadata, planFindings, unresolvedDigestFinding, withHash } from '../../src/inventory/index.js';
import type { ChangeEvent, ContextSpec, FindingContent, InventoryWrite, RunningSpec, Store, UnitResult } from '../../src/store/index.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const OPTIONS = { environmentLabel: 'env', namespaceLabels: {}, clusters: {} };

function context(namespace: string, env?: string): ContextSpec {
  return contextOf(namespaceMetadata('c1', namespace, env ? { env } : {}, OPTIONS));
}

function container(namespace: string, name: string, digest: string | null, extra: Partial<RunningSpec> = {}): RunningSpec {
  return {
    namespace,
    kind: 'Deployment',
    name,
    container: 'app',
    containerType: 'container',
    image: `registry.example.com/${name}:1.0`,
    repository: `registry.example.com/${name}`,
    digest,
    replicas: 2,
    findings: digest === null ? [unresolvedDigestFinding(`registry.example.com/${name}:1.0`, 'no digest', 'deny')] : [],
    ...extra,
  };
}

function write(running: readonly RunningSpec[], at: number, extra: Partial<InventoryWrite> = {}): InventoryWrite {
  const namespaces = new Set(running.map((r) => r.namespace));
  return {
    cluster: 'c1',
    source: 'snapshot',
    completeness: 'snapshot',
    namespaces: [],
    running,
    contexts: new Map([...namespaces].map((n) => [n, context(n, n.startsWith('prod') ? 'prod' : 'dev')])),
    at: new Date(at),
    revision: 'r1',
    ...extra,
  };
}

function vuln(id: string, severity: string, enforcement: 'deny' | 'warn', message = `${id} found`): FindingContent {
  return withHash({
    fingerprint: `fp-${id}`,
    rule: 'vulnerability_severity',
    enforcement,
    state: 'open',
    severity,
    severityRank: { CRITICAL: 5, HIGH: 4, MEDIUM: 3, LOW: 2 }[severity] ?? 0,
    vulnId: id,
    package: 'openssl',
    installedVersion: '3.0.0',
    fixedVersion: '3.0.9',
    fixable: true,
    published: T0 - 40 * 86_400_000,
    score: 9.8,
    title: `${id} title`,
    message,
    exception: null,
  });
}

function result(findings: readonly FindingContent[], at: number, revision = 'r1'): UnitResult {
  return {
    decision: findings.some((f) => f.enforcement === 'deny' && f.state === 'open') ? 'deny' : 'allow',
    summary: 'test',
    violations: findings.filter((f) => f.enforcement === 'deny').length,
    warnings: findings.filter((f) => f.enforcement === 'warn').length,
    findings,
    hash: findingsHash(findings),
    revisionEtag: `"${revision}"`,
    revision,
    evaluatedAt: new Date(at),
    scanSeq: null,
  };
}

/**
 * The groupings read from the kept summaries equal the same groupings aggregated from the findings: a filter that keeps
 * every finding (severity of at least 0) makes the store aggregate them afresh.
 */
export async function assertSummariesMatch(store: Store): Promise<void> {
  const now = new Date(T0);
  const stateSets = [['open'], ['excepted'], ['resolved'], ['open', 'excepted'], undefined] as const;
  const filters: readonly Record<string, string>[] = [{}, { namespace: 'prod*' }, { cluster: 'c1', workload: 'Deployment/w*' }];
  for (const groupBy of ['cve', 'workload', 'namespace', 'image', 'package'] as const) {
    for (const states of stateSets) {
      for (const filter of filters) {
        const spec = { groupBy, limit: 1000, now, ...(states ? { states } : {}), ...filter };
        const kept = await store.inventory.groupFindings(spec);
        const fresh = await store.inventory.groupFindings({ ...spec, severityAtLeast: 0 });
        assert.deepEqual(kept, fresh, `group_by=${groupBy} states=${states?.join(',') ?? 'all'} ${JSON.stringify(filter)}`);
        // Paged the same way: the second page of two groups starts where the first ended.
        const first = await store.inventory.groupFindings({ ...spec, limit: 2 });
        assert.deepEqual(first.groups, fresh.groups.slice(0, 2));
        if (first.next_cursor)
          assert.deepEqual((await store.inventory.groupFindings({ ...spec, limit: 2, cursor: first.next_cursor })).groups, fresh.groups.slice(2, 4));
      }
    }
  }
}

export function inventoryContract(label: string, open: () => Promise<Store>): void {
  describe(`${label} inventory store`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(() => store.close());
    // Every test's writes (imports, decisions, changed results, exceptions, snapshots that resolve) leave the kept summaries
    // equal to a fresh aggregate of the findings.
    afterEach(() => assertSummariesMatch(store));

    const decideAll = async (findingsOf: (digest: string) => readonly FindingContent[], at: number, revision = 'r1') => {
      const units = await store.inventory.claimUnits('me', 100, 60_000, new Date(at));
      for (const unit of units)
        assert.equal(await store.inventory.completeUnit('me', unit, result(findingsOf(unit.digest), at, revision), planFindings, true), true);
      return units;
    };
    const open_ = async (extra: Record<string, unknown> = {}) =>
      (await store.inventory.queryFindings({ states: ['open'], sort: 'severity', order: 'desc', limit: 1000, now: new Date(T0 + 100 * 86_400_000), ...extra }))
        .findings;
    const events = async (): Promise<ChangeEvent[]> => {
      const items = await store.inventory.claimOutbox('reader', 1000, 60_000, new Date(Date.now() + 1000));
      for (const i of items)
        await store.inventory.recordDelivery('reader', {
          outboxId: i.id,
          attempt: 1,
          at: new Date(),
          status: 200,
          error: null,
          durationMs: 1,
          outcome: { kind: 'delivered' },
        });
      return items.map((i) => JSON.parse(i.body) as ChangeEvent);
    };

    it('refuses nothing on a first snapshot, registers the cluster, and queues one unit per digest and namespace context', async () => {
      assert.equal(await store.inventory.knownCluster('c1'), false);
      const r = await store.inventory.applyWrite(
        write([container('prod-a', 'web', D1), container('prod-a', 'api', D1), container('dev-a', 'web', D1), container('dev-a', 'tool', null)], T0),
        planFindings,
        true,
      );
      assert.deepEqual(r, { added: 4, updated: 0, unchanged: 0, gone: 0, units: 2, duplicate: false });
      assert.equal(await store.inventory.knownCluster('c1'), true);
      const status = await store.inventory.status();
      assert.equal(status.running, 4);
      assert.equal(status.units, 2, 'prod-a and dev-a differ in metadata: two units for one digest');
      assert.equal(status.pending_units, 2);
    });

    it('writes a container without digest its own unresolved_digest finding at import', async () => {
      const found = await open_({ rule: 'unresolved_digest' });
      assert.equal(found.length, 1);
      assert.equal(found[0]?.workload_name, 'tool');
      assert.equal(found[0]?.environment, 'dev');
      assert.equal(found[0]?.digest, null);
    });

    // The counts the findings' triggers keep must equal counting the open findings themselves after every change below.
    const countsAgree = async () => {
      const now = new Date(T0);
      const open = (await store.inventory.queryFindings({ states: ['open'], sort: 'severity', order: 'desc', limit: 1000, now })).findings;
      const tally = (key: (f: (typeof open)[number]) => string) => {
        const m = new Map<string, number>();
        for (const f of open) m.set(key(f), (m.get(key(f)) ?? 0) + 1);
        return [...m].sort();
      };
      const counts = (await store.inventory.findingCounts()).map((c) => [`${c.cluster}/${c.namespace}/${c.severity}/${c.enforcement}`, c.count] as const);
      assert.deepEqual(
        counts.sort(),
        tally((f) => `${f.cluster}/${f.namespace}/${f.severity}/${f.enforcement}`),
      );
      const ranks: Record<string, number> = { UNKNOWN: 0, NEGLIGIBLE: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
      const summary = (await store.inventory.openFindingSummary()).map((c) => [`${c.namespace}/${c.severityRank}/${c.enforcement}`, c.count] as const);
      assert.deepEqual(
        summary.sort(),
        tally((f) => `${f.namespace}/${ranks[f.severity] ?? 0}/${f.enforcement}`),
      );
    };
    afterEach(countsAgree);

    it('decides each unit once and fans the result out to every container of it', async () => {
      const units = await decideAll((d) => (d === D1 ? [vuln('CVE-1', 'CRITICAL', 'deny'), vuln('CVE-2', 'MEDIUM', 'warn')] : []), T0 + 1000);
      assert.equal(units.length, 2);
      assert.equal((await store.inventory.claimUnits('me', 100, 60_000, new Date(T0 + 2000))).length, 0, 'nothing left to claim');
      const cve1 = await open_({ vulnerabilityId: 'CVE-1' });
      assert.deepEqual(cve1.map((f) => `${f.namespace}/${f.workload_name}`).sort(), ['dev-a/web', 'prod-a/api', 'prod-a/web']);
      assert.ok(cve1.every((f) => f.first_seen === new Date(T0 + 1000).toISOString() && f.revision === 'r1' && f.fixable && f.cvss_score === 9.8));
      const opened = (await events()).filter((e) => e.opened.length > 0);
      assert.deepEqual(opened.map((e) => `${e.workload.namespace}/${e.workload.name}`).sort(), ['dev-a/tool', 'dev-a/web', 'prod-a/api', 'prod-a/web']);
      assert.ok(
        opened.every((e) => e.opened.every((f) => f.rule !== 'vulnerability_severity' || f.vulnerability_id === 'CVE-1')),
        'only deny-level findings are announced',
      );
    });

    it('filters with AND, globs, ages and states, sorts and pages with a cursor', async () => {
      const now = new Date(T0 + 100 * 86_400_000);
      const base = { states: ['open'] as const, sort: 'severity' as const, order: 'desc' as const, now };
      assert.equal(
        (await store.inventory.queryFindings({ ...base, limit: 100, namespace: 'prod*', severityAtLeast: 4, minAgeDays: 30, fixable: true })).total,
        2,
      );
      assert.equal((await store.inventory.queryFindings({ ...base, limit: 100, namespace: 'prod*', minAgeDays: 200 })).total, 0);
      assert.equal((await store.inventory.queryFindings({ ...base, limit: 100, workload: 'Deployment/w*' })).total, 4);
      assert.equal((await store.inventory.queryFindings({ ...base, limit: 100, enforcement: 'warn', environment: 'dev' })).total, 1);
      const first = await store.inventory.queryFindings({ ...base, limit: 3 });
      assert.equal(first.findings.length, 3);
      assert.equal(first.total, 7);
      assert.ok(first.next_cursor);
      const rest = await store.inventory.queryFindings({ ...base, limit: 3, cursor: first.next_cursor });
      const last = await store.inventory.queryFindings({ ...base, limit: 3, cursor: rest.next_cursor as string });
      const ids = [...first.findings, ...rest.findings, ...last.findings].map((f) => f.id);
      assert.equal(new Set(ids).size, 7, 'every finding once across the pages');
      assert.equal(last.next_cursor, undefined);
      const ranks = [...first.findings, ...rest.findings, ...last.findings].map((f) => f.severity);
      assert.deepEqual(
        ranks,
        [...ranks].sort((a, b) => ['MEDIUM', 'HIGH', 'CRITICAL'].indexOf(b) - ['MEDIUM', 'HIGH', 'CRITICAL'].indexOf(a)),
      );
      const groups = await store.inventory.groupFindings({ states: ['open'], groupBy: 'cve', limit: 10, now });
      assert.deepEqual(
        groups.groups.map((g) => [g.key['vulnerability_id'], g.findings, g.workloads]),
        [
          ['CVE-1', 3, 3],
          ['CVE-2', 3, 3],
          [null, 1, 1],
        ],
      );
    });

    it('writes only what changed: an unchanged result rewrites nothing, a changed one updates in place and keeps first_seen', async () => {
      await store.inventory.markDirty({ all: true }, 0);
      const before_ = await open_({ vulnerabilityId: 'CVE-1' });
      await decideAll((d) => (d === D1 ? [vuln('CVE-1', 'CRITICAL', 'deny'), vuln('CVE-2', 'MEDIUM', 'warn')] : []), T0 + 5000);
      assert.deepEqual(
        await open_({ vulnerabilityId: 'CVE-1' }),
        before_.map((f) => ({ ...f, last_seen: new Date(T0 + 5000).toISOString() })),
      );
      assert.equal((await events()).length, 0, 'no change, no event');
      await store.inventory.markDirty({ digests: [D1] }, 2);
      await decideAll(
        (d) => (d === D1 ? [vuln('CVE-1', 'CRITICAL', 'deny', 'CVE-1 found under r2'), vuln('CVE-2', 'MEDIUM', 'deny'), vuln('CVE-3', 'HIGH', 'deny')] : []),
        T0 + 9000,
        'r2',
      );
      const cve1 = await open_({ vulnerabilityId: 'CVE-1' });
      assert.deepEqual(
        cve1.map((f) => f.id),
        before_.map((f) => f.id),
        'same rows',
      );
      assert.ok(cve1.every((f) => f.message === 'CVE-1 found under r2' && f.revision === 'r2' && f.first_seen === new Date(T0 + 1000).toISOString()));
      const changed = await events();
      assert.equal(changed.length, 3);
      assert.ok(
        changed.every(
          (e) =>
            e.opened
              .map((f) => f.vulnerability_id)
              .sort()
              .join() === 'CVE-2,CVE-3',
        ),
        'warn to deny counts as opened',
      );
    });

    it('gives a container joining a decided unit its findings at once, without a new evaluation', async () => {
      await store.inventory.applyWrite(
        write(
          [
            container('prod-a', 'web', D1),
            container('prod-a', 'api', D1),
            container('dev-a', 'web', D1),
            container('dev-a', 'tool', null),
            container('prod-a', 'worker', D1),
          ],
          T0 + 10_000,
        ),
        planFindings,
        true,
      );
      assert.equal((await store.inventory.status()).pending_units, 0);
      assert.equal((await open_({ workload: 'worker' })).length, 3);
      assert.equal((await events()).length, 1);
    });

    it('marks what a snapshot misses as gone, resolves its findings and announces the deny-level ones', async () => {
      const r = await store.inventory.applyWrite(write([container('prod-a', 'web', D1), container('dev-a', 'web', D1)], T0 + 20_000), planFindings, true);
      assert.equal(r.gone, 3);
      assert.equal((await open_({ workload: 'api' })).length, 0);
      const resolved = await store.inventory.queryFindings({
        states: ['resolved'],
        workload: 'api',
        sort: 'severity',
        order: 'desc',
        limit: 10,
        now: new Date(T0),
      });
      assert.equal(resolved.total, 3);
      assert.ok(resolved.findings.every((f) => f.resolved_at === new Date(T0 + 20_000).toISOString()));
      const gone = await events();
      assert.deepEqual(gone.map((e) => e.workload.name).sort(), ['api', 'tool', 'worker']);
      assert.ok(gone.every((e) => e.resolved.every((f) => f.reason === 'workload_gone')));
    });

    it('recognises the same snapshot again and changes nothing', async () => {
      const w = { ...write([container('prod-a', 'web', D1)], T0 + 30_000), snapshotHash: 'h1' };
      assert.equal((await store.inventory.applyWrite(w, planFindings, true)).duplicate, false);
      assert.equal((await store.inventory.applyWrite(w, planFindings, true)).duplicate, true);
    });

    it('moves containers to a new context when namespace metadata changes, and the unit is decided again', async () => {
      const moved = await store.inventory.updateContexts('c1', new Map([['prod-a', context('prod-a', 'staging')]]), new Date(T0 + 40_000), 'r2', planFindings);
      assert.equal(moved, 1);
      assert.equal((await store.inventory.status()).pending_units, 1);
      const units = await store.inventory.claimUnits('me', 10, 60_000, new Date(T0 + 41_000));
      assert.equal(units[0]?.environment, 'staging');
      assert.equal(units[0]?.metadata['namespace'], 'prod-a');
      await store.inventory.completeUnit('me', units[0], result([], T0 + 41_000), planFindings, false);
      assert.equal((await open_({ workload: 'web', namespace: 'prod-a' })).length, 0);
    });

    it('shares work safely: a unit claimed by one process is not claimed by another until its lease runs out', async () => {
      await store.inventory.applyWrite(write([container('prod-b', 'x', D2)], T0 + 50_000, { completeness: 'none' }), planFindings, false);
      const a = await store.inventory.claimUnits('a', 10, 60_000, new Date(T0 + 50_000));
      const b = await store.inventory.claimUnits('b', 10, 60_000, new Date(T0 + 50_001));
      assert.equal(a.length, 1);
      assert.equal(b.length, 0);
      const later = await store.inventory.claimUnits('b', 10, 60_000, new Date(T0 + 200_000));
      assert.equal(later.length, 1, 'an expired lease is taken over');
      assert.equal(await store.inventory.completeUnit('a', a[0] as never, result([], T0), planFindings, false), false, 'the old owner cannot write');
      assert.equal(await store.inventory.completeUnit('b', later[0] as never, result([], T0), planFindings, false), true);
    });

    it('re-queues a unit that was marked again while it was being evaluated', async () => {
      await store.inventory.markDirty({ digests: [D2] }, 2);
      const [unit] = await store.inventory.claimUnits('me', 10, 60_000, new Date(T0 + 300_000));
      await store.inventory.markDirty({ digests: [D2] }, 2);
      await store.inventory.completeUnit('me', unit as never, result([], T0), planFindings, false);
      assert.equal((await store.inventory.claimUnits('me', 10, 60_000, new Date(T0 + 300_001))).length, 1);
    });

    it('coordinates processes through compare-and-set state', async () => {
      assert.equal(await store.inventory.compareAndSetState('k', undefined, 'v1'), true);
      assert.equal(await store.inventory.compareAndSetState('k', undefined, 'v2'), false);
      assert.equal(await store.inventory.compareAndSetState('k', 'v0', 'v2'), false);
      assert.equal(await store.inventory.compareAndSetState('k', 'v1', 'v2'), true);
      assert.equal(await store.inventory.getState('k'), 'v2');
    });

    it('keeps an outbox: leased claims, retries scheduled, every attempt recorded', async () => {
      await store.inventory.applyWrite(write([container('prod-c', 'y', null)], T0, { completeness: 'none' }), planFindings, true);
      const [item] = await store.inventory.claimOutbox('a', 10, 60_000, new Date());
      assert.ok(item);
      assert.equal((await store.inventory.claimOutbox('b', 10, 60_000, new Date())).length, 0);
      await store.inventory.recordDelivery('a', {
        outboxId: item.id,
        attempt: 1,
        at: new Date(),
        status: 500,
        error: 'answered HTTP 500',
        durationMs: 3,
        outcome: { kind: 'retry', at: new Date(Date.now() + 60_000) },
      });
      assert.equal((await store.inventory.claimOutbox('b', 10, 60_000, new Date())).length, 0, 'not before its retry time');
      const [again] = await store.inventory.claimOutbox('b', 10, 60_000, new Date(Date.now() + 61_000));
      assert.equal(again?.attempts, 1);
      const log = await store.inventory.deliveries(item.id);
      assert.deepEqual(
        log.map((d) => [d.attempt, d.status]),
        [[1, 500]],
      );
    });

    it('keeps the counts through exceptions granted and expired', async () => {
      await store.inventory.applyWrite(write([container('prod-d', 'z', D1)], T0 + 400_000, { completeness: 'none' }), planFindings, false);
      const excepted = { ...vuln('CVE-1', 'CRITICAL', 'deny'), state: 'excepted' as const, exception: { reason: 'accepted', expires: '2027-01-01T00:00:00Z' } };
      await decideAll(() => [withHash(excepted), vuln('CVE-4', 'LOW', 'warn')], T0 + 401_000);
      const groups = await store.inventory.groupFindings({ states: ['excepted'], groupBy: 'cve', limit: 10, now: new Date(T0) });
      assert.ok(
        groups.groups.some((g) => g.key['vulnerability_id'] === 'CVE-1'),
        'the excepted finding is counted under excepted',
      );
      await countsAgree();
      await store.inventory.markDirty({ all: true }, 2);
      await decideAll(() => [vuln('CVE-1', 'CRITICAL', 'deny'), vuln('CVE-4', 'LOW', 'warn')], T0 + 402_000);
    });

    it('answers the CVE-first view', async () => {
      const view = await store.inventory.vulnerability('CVE-1', ['open', 'resolved'], 100);
      assert.ok(view);
      assert.equal(view.severity, 'CRITICAL');
      assert.deepEqual(view.fixed_versions, ['3.0.9']);
      assert.equal(view.images[0]?.digest, D1);
      assert.ok(view.workloads.some((w) => w.name === 'api' && w.state === 'resolved'));
      assert.equal(await store.inventory.vulnerability('CVE-none', ['open'], 100), undefined);
    });

    it("counts the trend of open deny-level findings per day as the findings' times add up", async () => {
      const DAY = 86_400_000;
      const now = new Date(T0 + 2 * DAY);
      const all = (
        await store.inventory.queryFindings({ states: ['open', 'resolved'], enforcement: 'deny', sort: 'severity', order: 'desc', limit: 1000, now })
      ).findings;
      assert.ok(
        all.some((f) => f.state === 'resolved'),
        'the fixture has resolved deny-level findings',
      );
      const trend = await store.inventory.denyTrend(now, 5);
      const first = Math.floor(now.getTime() / DAY) - 4;
      assert.deepEqual(
        trend,
        Array.from({ length: 5 }, (_, i) => {
          const end = (first + i + 1) * DAY;
          const open = all.filter((f) => Date.parse(f.first_seen) < end && (f.resolved_at === null || Date.parse(f.resolved_at) >= end)).length;
          return { day: new Date((first + i) * DAY).toISOString().slice(0, 10), open };
        }),
      );
      assert.ok(trend.some((p) => p.open > 0));
    });

    it('aggregates the CVE-first view exactly as the findings themselves add up, and cuts its lists at the limit', async () => {
      const states = ['open', 'excepted', 'resolved'] as const;
      const now = new Date(T0);
      const findings = (
        await store.inventory.queryFindings({ states: [...states], vulnerabilityId: 'CVE-1', sort: 'severity', order: 'desc', limit: 1000, now })
      ).findings;
      assert.ok(findings.length > 1, 'the fixture has several findings of CVE-1');
      const distinct = (key: (f: (typeof findings)[number]) => string) => [...new Set(findings.map(key))].sort();
      const workloads = distinct((f) => `${f.cluster}/${f.namespace}/${f.workload_kind}/${f.workload_name}/${f.container}/${f.digest ?? ''}`);
      const namespaces = distinct((f) => `${f.cluster}/${f.namespace}`);
      const images = distinct((f) => `${f.digest ?? ''} ${f.repository}`);
      const view = await store.inventory.vulnerability('CVE-1', states, 1000);
      assert.ok(view);
      assert.deepEqual(view.counts, {
        findings: findings.length,
        packages: distinct((f) => `${f.package}/${f.installed_version}/${f.fixed_version}`).length,
        images: images.length,
        namespaces: namespaces.length,
        workloads: workloads.length,
      });
      assert.equal(view.truncated, false);
      assert.deepEqual(view.workloads.map((w) => `${w.cluster}/${w.namespace}/${w.kind}/${w.name}/${w.container}/${w.digest ?? ''}`).sort(), workloads);
      assert.deepEqual(
        view.namespaces.map((n) => `${n.cluster}/${n.namespace}`),
        namespaces,
      );
      for (const n of view.namespaces) {
        assert.equal(n.findings, findings.filter((f) => f.cluster === n.cluster && f.namespace === n.namespace).length, `${n.namespace}'s findings`);
      }
      for (const i of view.images) {
        const of = findings.filter((f) => f.digest === i.digest && f.repository === i.repository);
        assert.equal(i.workloads, new Set(of.map((f) => `${f.namespace}/${f.workload_name}/${f.container}`)).size, `${i.repository}'s workloads`);
        assert.equal(i.namespaces, new Set(of.map((f) => f.namespace)).size, `${i.repository}'s namespaces`);
        assert.equal(i.first_seen, of.map((f) => f.first_seen).sort()[0]);
      }
      for (const w of view.workloads) {
        const of = findings.filter((f) => f.namespace === w.namespace && f.workload_name === w.name && f.container === w.container);
        assert.equal(w.enforcement, of.some((f) => f.enforcement === 'deny') ? 'deny' : 'warn');
        assert.equal(w.state, of.some((f) => f.state === 'open') ? 'open' : of.some((f) => f.state === 'excepted') ? 'excepted' : 'resolved');
        assert.equal(w.first_seen, of.map((f) => f.first_seen).sort()[0]);
      }
      assert.equal(view.first_seen, findings.map((f) => f.first_seen).sort()[0]);

      const cut = await store.inventory.vulnerability('CVE-1', states, 1);
      assert.ok(cut);
      assert.deepEqual(cut.counts, view.counts, 'the counts do not depend on the cut');
      assert.equal(cut.truncated, true);
      assert.deepEqual(cut.workloads, view.workloads.slice(0, 1));
      assert.deepEqual(cut.namespaces, view.namespaces.slice(0, 1));
      assert.deepEqual(cut.images, view.images.slice(0, 1));
      assert.deepEqual(cut.fixed_versions, view.fixed_versions, 'fixed versions come from every package, not the first');
    });
    it('prunes the history before a cut-off, in batches: gone containers with their findings, resolved findings, finished events', async () => {
      const D3 = `sha256:${'3'.repeat(64)}`;
      const D4 = `sha256:${'4'.repeat(64)}`;
      const T1 = T0 + 600_000;
      const old = Array.from({ length: 60 }, (_, i) => container('prod-p', `old-${i}`, D3));
      const live = container('prod-p', 'live', D4);
      await store.inventory.applyWrite(write([...old, live], T1, { cluster: 'c9' }), planFindings, true);
      const findingsOf = (d: string) =>
        d === D3 ? [vuln('CVE-7', 'CRITICAL', 'deny'), vuln('CVE-8', 'LOW', 'warn')] : d === D4 ? [vuln('CVE-9', 'HIGH', 'deny')] : [];
      await decideAll(findingsOf, T1 + 1_000);
      const resolvedIn = async (cluster: string) =>
        (await store.inventory.queryFindings({ states: ['resolved'], cluster, sort: 'severity', order: 'desc', limit: 1000, now: new Date(T1) })).findings;
      // The 60 old containers go at T1 + 10 s; the live one's finding is resolved at T1 + 20 s.
      await store.inventory.applyWrite(write([live], T1 + 10_000, { cluster: 'c9' }), planFindings, true);
      await store.inventory.markDirty({ digests: [D4] }, 2);
      await decideAll(() => [], T1 + 20_000);
      assert.equal((await resolvedIn('c9')).length, 121);
      const delivered = (await events()).length;
      assert.ok(delivered > 0);

      // Earlier tests' history (before T1) goes too.
      const goneEarlier = (await store.inventory.runningOf({ cluster: 'c1', live: false }, 1000)).filter((r) => r.gone_at !== null).length;
      const resolvedEarlier = (await resolvedIn('c1')).length;
      assert.ok(goneEarlier > 0 && resolvedEarlier > 0);
      assert.deepEqual(await store.inventory.pruneHistory(new Date(T1 + 15_000)), {
        containers: 60 + goneEarlier,
        findings: 120 + resolvedEarlier,
        events: 0,
      });
      assert.deepEqual(
        (await resolvedIn('c9')).map((f) => [f.workload_name, f.vulnerability_id]),
        [['live', 'CVE-9']],
        'resolved after the cut-off: kept',
      );
      assert.deepEqual(
        (await store.inventory.runningOf({ cluster: 'c9', live: false }, 100)).map((r) => r.name),
        ['live'],
      );
      assert.deepEqual(await store.inventory.unitsOf(D3), [], 'the unit only the gone containers used');
      assert.equal((await store.inventory.unitsOf(D4)).length, 1);
      const [event] = await store.inventory.deliveries();
      assert.ok(event);

      const all = await store.inventory.pruneHistory(new Date(Date.now() + 60_000));
      assert.ok(all.events >= delivered, 'every delivered event, whenever it was delivered');
      assert.equal(all.containers, 0);
      assert.equal(all.findings, 1);
      assert.deepEqual(await resolvedIn('c9'), []);
      assert.equal((await store.inventory.queryFindings({ states: ['resolved'], sort: 'severity', order: 'desc', limit: 10, now: new Date(T1) })).total, 0);
      assert.deepEqual(await store.inventory.deliveries(event.outbox_id), [], "an event's attempts go with it");
      assert.equal((await store.inventory.runningOf({ live: false }, 1000)).length, (await store.inventory.runningOf({ live: true }, 1000)).length);
      assert.deepEqual(await store.inventory.pruneHistory(new Date(Date.now() + 60_000)), { containers: 0, findings: 0, events: 0 });
    });
  });
}
