import type { ChangeEvent, CurrentFinding, Enforcement, EventFinding, FindingContent, FindingPlanner, FindingState } from './inventory-types.js';
import { inList, str, JsonParam, listParam, num, optNum, recordset, sql, type Dialect, type Row, type Work } from './sql-runner.js';

/** A live running container with what its findings need from it. */
export interface TargetRow {
  readonly id: number;
  readonly cluster: string;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly container: string;
  readonly image: string;
  readonly repository: string;
  readonly digest: string | null;
  readonly environment: string | null;
  /** The hash of the result its findings were last made equal to; equal hashes, equal findings. */
  readonly syncedHash: string | null;
}

export const TARGET_COLUMNS =
  'r.id, r.cluster, r.namespace, r.kind, r.name, r.container, r.image, r.repository, r.digest, r.synced_hash, r.unit_id, r.context_id, c.environment';

export function toTarget(row: Row): TargetRow {
  return {
    id: num(row['id']),
    cluster: str(row['cluster']),
    namespace: str(row['namespace']),
    kind: str(row['kind']),
    name: str(row['name']),
    container: str(row['container']),
    image: str(row['image']),
    repository: str(row['repository']),
    digest: row['digest'] === null ? null : str(row['digest']),
    environment: row['environment'] === null || row['environment'] === undefined ? null : str(row['environment']),
    syncedHash: row['synced_hash'] === null || row['synced_hash'] === undefined ? null : str(row['synced_hash']),
  };
}

export interface FanOutOptions {
  readonly at: number;
  readonly revision: string;
  readonly eventsEnabled: boolean;
  readonly planner: FindingPlanner;
}

const CURRENT_COLUMNS =
  'id, running_id, fingerprint, content_hash, state, enforcement, rule, severity, vuln_id, package, installed_version, fixed_version, fixable, message, score, published';

/** A live finding with the indexed values an update may leave as they are. */
interface LiveFinding extends CurrentFinding {
  readonly score: number | null;
  readonly published: number | null;
}

function toCurrent(row: Row): LiveFinding {
  return {
    id: num(row['id']),
    fingerprint: str(row['fingerprint']),
    contentHash: str(row['content_hash']),
    state: str(row['state']) as FindingState,
    enforcement: str(row['enforcement']) as Enforcement,
    rule: str(row['rule']),
    severity: str(row['severity']),
    vulnId: str(row['vuln_id']),
    package: str(row['package']),
    installedVersion: str(row['installed_version']),
    fixedVersion: str(row['fixed_version']),
    fixable: num(row['fixable']) === 1,
    message: str(row['message']),
    score: row['score'] === null ? null : Number(row['score']),
    published: optNum(row['published']),
  };
}

/**
 * Makes each target's live findings equal `next` (the decision of their
 * shared unit, or a container's own findings), writing only what differs,
 * and queues the deny-level changes for the webhook. Containers in the same
 * state (synced to the same result, given the same list) have the same
 * findings, so the difference is worked out once per such group and written
 * to all of them; a batch of any size is a handful of statements.
 */
export function* fanOut(d: Dialect, targets: readonly TargetRow[], next: (t: TargetRow) => readonly FindingContent[], o: FanOutOptions): Work<number> {
  const lists = new Map<readonly FindingContent[], number>();
  const groups = new Map<string, { readonly list: readonly FindingContent[]; readonly targets: TargetRow[] }>();
  for (const target of targets) {
    const list = next(target);
    if (!lists.has(list)) lists.set(list, lists.size);
    const key = `${lists.get(list)}\u0000${target.syncedHash ?? ''}`;
    const group = groups.get(key) ?? { list, targets: [] };
    group.targets.push(target);
    groups.set(key, group);
  }
  if (groups.size === 0) return 0;
  const firsts = [...groups.values()].map((g) => (g.targets[0] as TargetRow).id);
  const currentOf = new Map<number, LiveFinding[]>();
  for (const row of yield sql(`SELECT ${CURRENT_COLUMNS} FROM inv_findings WHERE ${inList(d, 'running_id')} AND state <> 'resolved'`, listParam(d, firsts))) {
    const id = num(row['running_id']);
    currentOf.set(id, [...(currentOf.get(id) ?? []), toCurrent(row)]);
  }
  const upserts: Record<string, unknown>[] = [];
  const updates: Record<UpdateKind, Record<string, unknown>[]> = { text: [], light: [], full: [] };
  const resolves: Record<string, unknown>[] = [];
  const events: ChangeEvent[] = [];
  for (const { list, targets: members } of groups.values()) {
    const current = currentOf.get((members[0] as TargetRow).id) ?? [];
    const plan = o.planner(current, list);
    const before = new Map(current.map((c) => [c.fingerprint, c]));
    for (const target of members) {
      for (const f of plan.upserts) upserts.push(findingRecord(f, target, o));
      for (const f of plan.updates) updates[updateKind(before.get(f.fingerprint), f)].push(findingRecord(f, target, o));
      for (const c of plan.resolves) resolves.push({ running_id: target.id, fingerprint: c.fingerprint, resolved_at: o.at, last_seen: o.at });
      if (o.eventsEnabled && (plan.opened.length > 0 || plan.resolved.length > 0)) events.push(changeEvent(target, o.at, plan.opened, plan.resolved));
    }
  }
  yield* writeUpserts(d, upserts);
  yield* writeUpdates(d, updates.text, TEXT_COLUMNS);
  yield* writeUpdates(d, updates.light, LIGHT_COLUMNS);
  yield* writeUpdates(d, updates.full, FULL_COLUMNS);
  yield* resolveFingerprints(d, resolves);
  yield* queueEvents(d, events);
  return upserts.length + updates.text.length + updates.light.length + updates.full.length + resolves.length;
}

/**
 * Which columns an update writes: `text` when only columns no index covers
 * change (most rewrites: a message that mentions a threshold or an age), so
 * SQLite touches no index; `light` when the state, enforcement, severity and
 * fix availability stay; otherwise `full`.
 */
type UpdateKind = 'text' | 'light' | 'full';

function updateKind(before: LiveFinding | undefined, after: FindingContent): UpdateKind {
  if (
    before === undefined ||
    before.state !== after.state ||
    before.enforcement !== after.enforcement ||
    before.severity !== after.severity ||
    before.fixable !== after.fixable
  )
    return 'full';
  const same =
    before.package === after.package &&
    before.installedVersion === after.installedVersion &&
    before.fixedVersion === after.fixedVersion &&
    before.score === after.score &&
    before.published === after.published;
  return same ? 'text' : 'light';
}

export function changeEvent(
  target: TargetRow,
  at: number,
  opened: readonly EventFinding[],
  resolved: readonly (EventFinding & { readonly reason: string })[],
): ChangeEvent {
  return {
    type: 'findings.changed',
    occurred_at: new Date(at).toISOString(),
    workload: {
      cluster: target.cluster,
      namespace: target.namespace,
      kind: target.kind,
      name: target.name,
      container: target.container,
      image: target.image,
      digest: target.digest,
    },
    opened,
    resolved,
  };
}

const CONTENT_COLUMNS = [
  ['fingerprint', 'text'],
  ['content_hash', 'text'],
  ['state', 'text'],
  ['enforcement', 'text'],
  ['rule', 'text'],
  ['severity', 'text'],
  ['severity_rank', 'int'],
  ['vuln_id', 'text'],
  ['package', 'text'],
  ['installed_version', 'text'],
  ['fixed_version', 'text'],
  ['fixable', 'int'],
  ['published', 'int'],
  ['age_anchor', 'int'],
  ['score', 'real'],
  ['title', 'text'],
  ['message', 'text'],
  ['exception', 'text'],
  ['environment', 'text'],
  ['revision', 'text'],
  ['last_seen', 'int'],
] as const;

const PLACE_COLUMNS = [
  ['running_id', 'int'],
  ['cluster', 'text'],
  ['namespace', 'text'],
  ['kind', 'text'],
  ['workload', 'text'],
  ['container', 'text'],
  ['image', 'text'],
  ['repository', 'text'],
  ['digest', 'text'],
  ['first_seen', 'int'],
] as const;

function findingRecord(f: FindingContent, t: TargetRow, o: FanOutOptions): Record<string, unknown> {
  return {
    fingerprint: f.fingerprint,
    content_hash: f.contentHash,
    state: f.state,
    enforcement: f.enforcement,
    rule: f.rule,
    severity: f.severity,
    severity_rank: f.severityRank,
    vuln_id: f.vulnId,
    package: f.package,
    installed_version: f.installedVersion,
    fixed_version: f.fixedVersion,
    fixable: f.fixable ? 1 : 0,
    published: f.published,
    // Age counts from publication, or from when the finding was first seen when the scanner gives no date.
    age_anchor: f.published ?? o.at,
    score: f.score,
    title: f.title,
    message: f.message,
    exception: f.exception ? JSON.stringify(f.exception) : null,
    environment: t.environment ?? '',
    revision: o.revision,
    last_seen: o.at,
    running_id: t.id,
    cluster: t.cluster,
    namespace: t.namespace,
    kind: t.kind,
    workload: t.name,
    container: t.container,
    image: t.image,
    repository: t.repository,
    digest: t.digest ?? '',
    first_seen: o.at,
  };
}

const BATCH = 2000;

function* writeUpserts(d: Dialect, records: readonly Record<string, unknown>[]): Work<void> {
  const columns = [...CONTENT_COLUMNS, ...PLACE_COLUMNS];
  const names = columns.map(([c]) => c).join(', ');
  // A finding that comes back after being resolved keeps its first_seen; its age anchor stays its own.
  const refresh = CONTENT_COLUMNS.filter(([c]) => c !== 'age_anchor')
    .map(([c]) => `${c} = excluded.${c}`)
    .join(', ');
  const conflict = `ON CONFLICT (running_id, fingerprint) DO UPDATE SET ${refresh}, resolved_at = NULL`;
  yield* bulk(
    d,
    records,
    columns,
    `INSERT INTO inv_findings (${names}) VALUES (${columns.map(() => '?').join(', ')}) ${conflict}`,
    (set) => `INSERT INTO inv_findings (${names}) SELECT ${names} FROM ${set} WHERE true ${conflict}`,
  );
}

export type Columns = readonly (readonly [string, 'text' | 'int' | 'real'])[];

/**
 * One statement per record in SQLite (a prepared statement in process is
 * cheaper than extracting every column from JSON), one per batch of records
 * in PostgreSQL (a round trip costs more than anything else there).
 */
export function* bulk(
  d: Dialect,
  records: readonly Record<string, unknown>[],
  columns: Columns,
  perRecord: string,
  perSet: (set: string) => string,
): Work<void> {
  if (d === 'sqlite') {
    for (const r of records) yield sql(perRecord, ...columns.map(([c]) => r[c]));
    return;
  }
  for (let i = 0; i < records.length; i += BATCH) yield sql(perSet(recordset(d, columns)), new JsonParam(records.slice(i, i + BATCH)));
}

/** Columns an update writes: all content; (LIGHT) all but the state, enforcement, severity and what identifies the finding; (TEXT) only what no index covers. */
const FULL_COLUMNS = CONTENT_COLUMNS.filter(([c]) => c !== 'age_anchor' && c !== 'fingerprint');
const LIGHT_COLUMNS = FULL_COLUMNS.filter(([c]) => !['state', 'enforcement', 'severity', 'severity_rank', 'fixable', 'vuln_id', 'environment'].includes(c));
/** The columns of LIGHT_COLUMNS that no index covers. */
const TEXT_COLUMNS = LIGHT_COLUMNS.filter(([c]) => !['package', 'installed_version', 'fixed_version', 'published', 'score'].includes(c));

function* writeUpdates(d: Dialect, records: readonly Record<string, unknown>[], columns: Columns): Work<void> {
  const keyed = [...columns, ['running_id', 'int'] as const, ['fingerprint', 'text'] as const];
  yield* bulk(
    d,
    records,
    keyed,
    `UPDATE inv_findings SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE running_id = ? AND fingerprint = ?`,
    (set) =>
      `UPDATE inv_findings SET ${columns.map(([c]) => `${c} = x.${c}`).join(', ')} FROM ${set} WHERE inv_findings.running_id = x.running_id AND inv_findings.fingerprint = x.fingerprint`,
  );
}

/** Resolves each (container, fingerprint) that is still live. */
function* resolveFingerprints(d: Dialect, records: readonly Record<string, unknown>[]): Work<void> {
  const columns = [
    ['resolved_at', 'int'],
    ['last_seen', 'int'],
    ['running_id', 'int'],
    ['fingerprint', 'text'],
  ] as const;
  yield* bulk(
    d,
    records,
    columns,
    `UPDATE inv_findings SET state = 'resolved', resolved_at = ?, last_seen = ? WHERE running_id = ? AND fingerprint = ? AND state <> 'resolved'`,
    (set) =>
      `UPDATE inv_findings SET state = 'resolved', resolved_at = x.resolved_at, last_seen = x.resolved_at FROM ${set}
       WHERE inv_findings.running_id = x.running_id AND inv_findings.fingerprint = x.fingerprint AND inv_findings.state <> 'resolved'`,
  );
}

export function* resolveFindings(d: Dialect, ids: readonly number[], at: number): Work<void> {
  for (let i = 0; i < ids.length; i += BATCH) {
    yield sql(
      `UPDATE inv_findings SET state = 'resolved', resolved_at = ?, last_seen = ? WHERE ${inList(d, 'id')}`,
      at,
      at,
      listParam(d, ids.slice(i, i + BATCH)),
    );
  }
}

/** Outbox times are wall-clock times, whatever clock decided the change: delivery is scheduled in real time. */
export function* queueEvents(d: Dialect, events: readonly ChangeEvent[]): Work<void> {
  const at = Date.now();
  for (let i = 0; i < events.length; i += BATCH) {
    const records = events.slice(i, i + BATCH).map((e) => ({ body: JSON.stringify(e) }));
    yield sql(
      `INSERT INTO inv_outbox (body, created_at, next_attempt_at) SELECT body, ?, ? FROM ${recordset(d, [['body', 'text']])}`,
      at,
      at,
      new JsonParam(records),
    );
  }
}

/** The live findings of one container as content, to hand a unit's result to a container joining it. */
export function* findingsOf(runningId: number): Work<FindingContent[]> {
  const rows: Row[] = yield sql(
    `SELECT fingerprint, content_hash, state, enforcement, rule, severity, severity_rank, vuln_id, package, installed_version, fixed_version,
       fixable, published, score, title, message, exception FROM inv_findings WHERE running_id = ? AND state <> 'resolved'`,
    runningId,
  );
  return rows.map((r): FindingContent => ({
    fingerprint: str(r['fingerprint']),
    contentHash: str(r['content_hash']),
    state: str(r['state']) as 'open' | 'excepted',
    enforcement: str(r['enforcement']) as Enforcement,
    rule: str(r['rule']),
    severity: str(r['severity']),
    severityRank: num(r['severity_rank']),
    vulnId: str(r['vuln_id']),
    package: str(r['package']),
    installedVersion: str(r['installed_version']),
    fixedVersion: str(r['fixed_version']),
    fixable: num(r['fixable']) === 1,
    published: optNum(r['published']),
    score: r['score'] === null ? null : Number(r['score']),
    title: str(r['title']),
    message: str(r['message']),
    exception: r['exception'] === null ? null : (JSON.parse(str(r['exception'])) as { reason: string; expires: string }),
  }));
}
