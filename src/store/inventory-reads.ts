import type {
  ContainerType,
  Delivery,
  DeliveryRecord,
  Enforcement,
  FindingCount,
  FindingTrendPoint,
  OpenFindingCount,
  InventorySource,
  InventoryStatus,
  OutboxItem,
  RunningDecision,
  RunningDecisionCount,
  RunningRecord,
  UnitRecord,
} from './inventory-types.js';
import { SEVERITY_RANKS } from './inventory-counts.js';
import { inList, str, listParam, num, optNum, sql, type Dialect, type Row, type Work } from './sql-runner.js';

const iso = (ms: unknown): string => new Date(num(ms)).toISOString();
const optIso = (ms: unknown): string | null => (ms === null || ms === undefined ? null : iso(ms));
const orNull = (value: unknown): string | null => (value === null || value === undefined || value === '' ? null : str(value));

export function* runningOf(
  f: { readonly digest?: string; readonly cluster?: string; readonly namespace?: string; readonly live: boolean },
  limit: number,
): Work<RunningRecord[]> {
  const equal = Object.entries({ digest: f.digest, cluster: f.cluster, namespace: f.namespace }).filter(([, v]) => v !== undefined);
  const clauses = [...equal.map(([k]) => `r.${k} = ?`), ...(f.live ? ['r.gone_at IS NULL'] : [])];
  const params = equal.map(([, v]) => v);
  const rows: Row[] = yield sql(
    `SELECT r.*, c.environment FROM inv_running r JOIN inv_contexts c ON c.id = r.context_id ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}
     ORDER BY r.cluster, r.namespace, r.kind, r.name, r.container, r.id LIMIT ?`,
    ...params,
    limit,
  );
  return rows.map((r): RunningRecord => ({
    cluster: str(r['cluster']),
    namespace: str(r['namespace']),
    environment: orNull(r['environment']),
    kind: str(r['kind']),
    name: str(r['name']),
    container: str(r['container']),
    container_type: str(r['container_type']) as ContainerType,
    image: str(r['image']),
    repository: str(r['repository']),
    digest: orNull(r['digest']),
    replicas: num(r['replicas']),
    source: str(r['source']) as InventorySource,
    first_seen: iso(r['first_seen']),
    last_seen: iso(r['last_seen']),
    gone_at: optIso(r['gone_at']),
  }));
}

const UNIT_COLUMNS = `u.digest, c.key, c.environment, c.metadata, u.decision, u.summary, u.revision_etag, u.revision, u.evaluated_at, u.dirty, u.violations, u.warnings`;

function toUnit(r: Row): UnitRecord {
  const metadata = JSON.parse(str(r['metadata'])) as { namespace?: unknown; cluster?: unknown };
  return {
    digest: str(r['digest']),
    context_key: str(r['key']),
    environment: orNull(r['environment']),
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : null,
    cluster: typeof metadata.cluster === 'string' ? metadata.cluster : null,
    decision: r['decision'] === null ? null : (str(r['decision']) as UnitRecord['decision']),
    summary: orNull(r['summary']),
    revision_etag: orNull(r['revision_etag']),
    revision: orNull(r['revision']),
    evaluated_at: optIso(r['evaluated_at']),
    pending: num(r['dirty']) === 1,
    violations: num(r['violations']),
    warnings: num(r['warnings']),
  };
}

export function* unitsOf(digest: string): Work<UnitRecord[]> {
  const rows: Row[] = yield sql(`SELECT ${UNIT_COLUMNS} FROM inv_units u JOIN inv_contexts c ON c.id = u.context_id WHERE u.digest = ? ORDER BY c.key`, digest);
  return rows.map(toUnit);
}

export function* unitFor(digest: string, contextKey: string): Work<UnitRecord | undefined> {
  const rows: Row[] = yield sql(
    `SELECT ${UNIT_COLUMNS} FROM inv_units u JOIN inv_contexts c ON c.id = u.context_id WHERE u.digest = ? AND c.key = ?`,
    digest,
    contextKey,
  );
  return rows[0] ? toUnit(rows[0]) : undefined;
}

export function* status(): Work<InventoryStatus> {
  const clusters: Row[] = yield sql(
    `SELECT k.name, k.first_seen, k.last_snapshot_at, (SELECT count(*) FROM inv_running r WHERE r.cluster = k.name AND r.gone_at IS NULL) AS running
     FROM inv_clusters k ORDER BY k.name`,
  );
  const counts: Row[] = yield sql(
    `SELECT (SELECT count(*) FROM inv_running WHERE gone_at IS NULL) AS running, (SELECT count(*) FROM inv_units) AS units,
       (SELECT count(*) FROM inv_units u WHERE u.dirty = 1 AND EXISTS (SELECT 1 FROM inv_running r WHERE r.unit_id = u.id AND r.gone_at IS NULL)) AS pending,
       (SELECT coalesce(sum(findings), 0) FROM inv_finding_counts WHERE state = 'open') AS open_findings,
       (SELECT count(*) FROM inv_outbox WHERE delivered_at IS NULL AND dead_at IS NULL) AS outbox`,
  );
  const state: Row[] = yield sql(`SELECT key, value FROM inv_state WHERE key IN ('revision', 'last_tick_at')`);
  const value = (key: string) => state.find((s) => s['key'] === key)?.['value'];
  const c = counts[0] ?? {};
  const tick = value('last_tick_at');
  return {
    clusters: clusters.map((k) => ({
      name: str(k['name']),
      first_seen: iso(k['first_seen']),
      last_snapshot_at: optIso(k['last_snapshot_at']),
      running: num(k['running']),
    })),
    running: num(c['running']),
    units: num(c['units']),
    pending_units: num(c['pending']),
    open_findings: num(c['open_findings']),
    ...revisionOf(value('revision')),
    last_tick_at: tick === undefined ? null : iso(tick),
    outbox_pending: num(c['outbox']),
  };
}

function revisionOf(raw: unknown): { revision_etag: string | null; revision: string | null } {
  const recorded = raw === undefined ? {} : (JSON.parse(str(raw)) as { etag?: string; revision?: string });
  return { revision_etag: recorded.etag ?? null, revision: recorded.revision ?? null };
}

/** Open findings per cluster, namespace, severity and enforcement, from the counts the findings' triggers keep. */
export function* findingCounts(): Work<FindingCount[]> {
  const rows: Row[] = yield sql(
    `SELECT cluster, namespace, severity, enforcement, findings AS n FROM inv_finding_counts WHERE state = 'open' AND findings > 0`,
  );
  return rows.map((r) => ({
    cluster: str(r['cluster']),
    namespace: str(r['namespace']),
    severity: str(r['severity']),
    enforcement: str(r['enforcement']) as Enforcement,
    count: num(r['n']),
  }));
}

export function* runningByDecision(): Work<RunningDecisionCount[]> {
  const rows: Row[] = yield sql(
    `SELECT CASE WHEN r.digest IS NULL THEN 'unresolved' WHEN u.decision IS NULL THEN 'pending' WHEN u.decision = 'deny' THEN 'deny'
       WHEN u.decision = 'unscanned' THEN 'unscanned' WHEN u.warnings > 0 THEN 'warn' ELSE 'allow' END AS decision, count(*) AS n
     FROM inv_running r LEFT JOIN inv_units u ON u.id = r.unit_id WHERE r.gone_at IS NULL GROUP BY 1`,
  );
  return rows.map((r) => ({ decision: str(r['decision']) as RunningDecision, count: num(r['n']) }));
}

const DAY_MS = 86_400_000;

/**
 * Open deny-level findings at the end of each day: those first seen by then
 * and not resolved by then, counted per day on the trend index; findings
 * excepted now are left out, since when they were excepted is not kept.
 */
export function* denyTrend(now: number, days: number): Work<FindingTrendPoint[]> {
  const first = Math.floor(now / DAY_MS) - days + 1;
  const start = first * DAY_MS;
  const live = `enforcement = 'deny' AND state IN ('open', 'resolved') AND (resolved_at IS NULL OR resolved_at >= ?)`;
  const before: Row[] = yield sql(`SELECT count(*) AS n FROM inv_findings WHERE ${live} AND first_seen < ?`, start, start);
  // One range count per day on the index (cheaper than grouping every row by a computed day), all in one statement:
  // one round trip instead of one per day, which is most of the overview's time on PostgreSQL.
  const dayCounts = Array.from({ length: days }, (_, d) => `(SELECT count(*) FROM inv_findings WHERE ${live} AND first_seen >= ? AND first_seen < ?) AS d${d}`);
  const perDay: Row[] = yield sql(
    `SELECT ${dayCounts.join(', ')}`,
    ...Array.from({ length: days }, (_, d) => [start, start + d * DAY_MS, start + (d + 1) * DAY_MS]).flat(),
  );
  const opened: Row[] = Array.from({ length: days }, (_, d) => ({ d, n: perDay[0]?.[`d${d}`] ?? 0 }));
  const resolved: Row[] = yield sql(
    `SELECT CAST((resolved_at - ?) / ${DAY_MS} AS INTEGER) AS d, count(*) AS n FROM inv_findings WHERE enforcement = 'deny' AND state = 'resolved' AND resolved_at >= ? GROUP BY 1`,
    start,
    start,
  );
  // change[i]: how the count moves on day i.
  const change = new Array<number>(days).fill(0);
  const add = (r: Row, sign: number) => {
    // SQLite binds a JS number as a real, so a day computed from one is a real too: whole days only.
    const i = Math.min(days - 1, Math.floor(num(r['d'])));
    change[i] = (change[i] ?? 0) + sign * num(r['n']);
  };
  opened.forEach((r) => add(r, 1));
  resolved.forEach((r) => add(r, -1));
  let open = num(before[0]?.['n']);
  return change.map((delta, i) => {
    open += delta;
    return { day: new Date((first + i) * DAY_MS).toISOString().slice(0, 10), open };
  });
}

/** Open findings by namespace (across clusters), severity rank and enforcement, from the kept per-rank counts. */
export function* openFindingSummary(): Work<OpenFindingCount[]> {
  const rows: Row[] = yield sql(
    `SELECT namespace, enforcement, ${SEVERITY_RANKS.map((r) => `sum(r${r}) AS r${r}`).join(', ')} FROM inv_finding_counts
     WHERE state = 'open' AND findings > 0 GROUP BY namespace, enforcement`,
  );
  return rows.flatMap((r) =>
    SEVERITY_RANKS.filter((rank) => num(r[`r${rank}`]) > 0).map((rank) => ({
      namespace: str(r['namespace']),
      severityRank: rank,
      enforcement: str(r['enforcement']) as Enforcement,
      count: num(r[`r${rank}`]),
    })),
  );
}

export function* getState(key: string): Work<string | undefined> {
  const rows: Row[] = yield sql('SELECT value FROM inv_state WHERE key = ?', key);
  return rows[0] === undefined ? undefined : str(rows[0]['value']);
}

export function* compareAndSetState(key: string, expected: string | undefined, value: string): Work<boolean> {
  const rows: Row[] =
    expected === undefined
      ? yield sql('INSERT INTO inv_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING RETURNING key', key, value)
      : yield sql('UPDATE inv_state SET value = ? WHERE key = ? AND value = ? RETURNING key', value, key, expected);
  return rows.length === 1;
}

export function* claimOutbox(d: Dialect, owner: string, limit: number, leaseMs: number, now: number): Work<OutboxItem[]> {
  const rows: Row[] = yield sql(
    `UPDATE inv_outbox SET claimed_by = ?, claim_until = ? WHERE id IN (
       SELECT id FROM inv_outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ? AND (claim_until IS NULL OR claim_until < ?)
       ORDER BY id LIMIT ?${d === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''}) RETURNING id, body, attempts`,
    owner,
    now + leaseMs,
    now,
    now,
    limit,
  );
  return rows.map((r) => ({ id: num(r['id']), body: str(r['body']), attempts: num(r['attempts']) })).sort((a, b) => a.id - b.id);
}

export function* recordDelivery(owner: string, r: DeliveryRecord): Work<void> {
  const at = r.at.getTime();
  yield sql(
    'INSERT INTO inv_deliveries (outbox_id, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)',
    r.outboxId,
    r.attempt,
    at,
    r.status,
    r.error,
    Math.round(r.durationMs),
  );
  const o = r.outcome;
  yield sql(
    `UPDATE inv_outbox SET attempts = ?, delivered_at = ?, dead_at = ?, next_attempt_at = ?, claimed_by = NULL, claim_until = NULL
     WHERE id = ? AND claimed_by = ?`,
    r.attempt,
    o.kind === 'delivered' ? at : null,
    o.kind === 'dead' ? at : null,
    o.kind === 'retry' ? o.at.getTime() : at,
    r.outboxId,
    owner,
  );
}

export function* deliveries(outboxId: number | undefined): Work<Delivery[]> {
  const rows: Row[] =
    outboxId === undefined
      ? yield sql('SELECT * FROM inv_deliveries ORDER BY id')
      : yield sql('SELECT * FROM inv_deliveries WHERE outbox_id = ? ORDER BY id', outboxId);
  return rows.map((r) => ({
    outbox_id: num(r['outbox_id']),
    attempt: num(r['attempt']),
    at: iso(r['at']),
    status: optNum(r['status']),
    error: orNull(r['error']),
    duration_ms: num(r['duration_ms']),
  }));
}

export function* scanInputs(d: Dialect, seqs: readonly number[]): Work<Map<number, string>> {
  if (seqs.length === 0) return new Map();
  const rows: Row[] = yield sql(`SELECT seq, ${d === 'postgres' ? 'input::text' : 'input'} AS input FROM scans WHERE ${inList(d, 'seq')}`, listParam(d, seqs));
  return new Map(rows.map((r) => [num(r['seq']), str(r['input'])]));
}

export function* namespaceLabels(cluster: string): Work<Map<string, Record<string, string>>> {
  const rows: Row[] = yield sql('SELECT name, labels FROM inv_namespaces WHERE cluster = ?', cluster);
  return new Map(rows.map((r) => [str(r['name']), JSON.parse(str(r['labels'])) as Record<string, string>]));
}

export function* namespaces(): Work<{ cluster: string; name: string }[]> {
  const rows: Row[] = yield sql(
    `SELECT DISTINCT cluster, namespace AS name FROM inv_running WHERE gone_at IS NULL UNION SELECT cluster, name FROM inv_namespaces ORDER BY 1, 2`,
  );
  return rows.map((r) => ({ cluster: str(r['cluster']), name: str(r['name']) }));
}

export function* knownCluster(name: string): Work<boolean> {
  const rows: Row[] = yield sql('SELECT 1 AS one FROM inv_clusters WHERE name = ?', name);
  return rows.length > 0;
}
