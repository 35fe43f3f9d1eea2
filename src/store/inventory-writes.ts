import { bulk, changeEvent, fanOut, findingsOf, queueEvents, resolveFindings, TARGET_COLUMNS, toTarget, type TargetRow } from './inventory-fanout.js';
import type {
  ChangeEvent,
  ClaimedUnit,
  ContextSpec,
  CurrentFinding,
  EventFinding,
  FindingContent,
  FindingPlanner,
  InventoryWrite,
  InventoryWriteResult,
  RunningSpec,
  UnitResult,
} from './inventory-types.js';
import { newestScanSeqs } from './scan-seqs.js';
import { inList, str, JsonParam, listParam, num, recordset, sql, type Dialect, type Row, type Work } from './sql-runner.js';

const DUPLICATE: InventoryWriteResult = { added: 0, updated: 0, unchanged: 0, gone: 0, units: 0, duplicate: true };

/** What a deny-level change says about a finding. */
export function toEventFinding(
  f: Pick<CurrentFinding, 'fingerprint' | 'rule' | 'severity' | 'vulnId' | 'package' | 'installedVersion' | 'fixedVersion' | 'message'>,
): EventFinding {
  return {
    fingerprint: f.fingerprint,
    rule: f.rule,
    severity: f.severity,
    vulnerability_id: f.vulnId || null,
    package: f.package || null,
    installed_version: f.installedVersion || null,
    fixed_version: f.fixedVersion || null,
    message: f.message,
  };
}

const keyOf = (ns: string, kind: string, name: string, container: string, digestKey: string) => JSON.stringify([ns, kind, name, container, digestKey]);

interface ExistingRow {
  readonly id: number;
  readonly key: string;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly source: string;
  readonly gone: boolean;
  readonly same: (spec: RunningSpec, contextId: number, source: string) => boolean;
}

function toExisting(row: Row): ExistingRow {
  const [namespace, kind, name] = [str(row['namespace']), str(row['kind']), str(row['name'])];
  return {
    id: num(row['id']),
    key: keyOf(namespace, kind, name, str(row['container']), str(row['digest_key'])),
    namespace,
    kind,
    name,
    source: str(row['source']),
    gone: row['gone_at'] !== null,
    same: (spec, contextId, source) =>
      row['container_type'] === spec.containerType &&
      row['image'] === spec.image &&
      row['repository'] === spec.repository &&
      num(row['replicas']) === spec.replicas &&
      row['source'] === source &&
      num(row['context_id']) === contextId,
  };
}

const RUNNING_COLUMNS = [
  ['namespace', 'text'],
  ['kind', 'text'],
  ['name', 'text'],
  ['container', 'text'],
  ['container_type', 'text'],
  ['image', 'text'],
  ['repository', 'text'],
  ['digest', 'text'],
  ['digest_key', 'text'],
  ['replicas', 'int'],
  ['source', 'text'],
  ['context_id', 'int'],
] as const;

/** Applies one import or admission record atomically: containers, namespaces, gone containers, units and findings. */
export function* applyWrite(d: Dialect, w: InventoryWrite, planner: FindingPlanner, eventsEnabled: boolean): Work<InventoryWriteResult> {
  const at = w.at.getTime();
  const snapshot = w.completeness === 'snapshot';
  const cluster: Row[] = yield sql('SELECT last_snapshot_hash FROM inv_clusters WHERE name = ?', w.cluster);
  if (snapshot && w.snapshotHash !== undefined && cluster[0]?.['last_snapshot_hash'] === w.snapshotHash) return DUPLICATE;
  yield sql(
    `INSERT INTO inv_clusters (name, first_seen, last_snapshot_at, last_snapshot_hash) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET last_snapshot_at = COALESCE(excluded.last_snapshot_at, inv_clusters.last_snapshot_at),
       last_snapshot_hash = COALESCE(excluded.last_snapshot_hash, inv_clusters.last_snapshot_hash)`,
    w.cluster,
    at,
    snapshot ? at : null,
    snapshot ? (w.snapshotHash ?? null) : null,
  );
  yield* upsertNamespaces(d, w.cluster, w.namespaces, at);
  for (const scan of w.scans ?? []) {
    yield sql(
      `INSERT INTO scans (digest, image, input, decision, stored_at) VALUES (?, ?, ?${d === 'postgres' ? '::jsonb' : ''}, ?${d === 'postgres' ? '::jsonb' : ''}, ?)`,
      scan.digest,
      scan.image,
      new JsonParam(scan.input),
      new JsonParam(scan.decision),
      at,
    );
  }
  const contextIds = yield* ensureContexts(d, [...w.contexts.values()]);
  const contextOf = (namespace: string): number => {
    const spec = w.contexts.get(namespace);
    const id = spec && contextIds.get(spec.key);
    if (id === undefined) throw new Error(`no context for namespace ${namespace}`);
    return id;
  };
  const existing = (yield sql(
    'SELECT id, namespace, kind, name, container, digest_key, container_type, image, repository, replicas, source, context_id, gone_at FROM inv_running WHERE cluster = ?',
    w.cluster,
  )).map(toExisting);
  const byKey = new Map(existing.map((e) => [e.key, e]));
  const seen = new Set<number>();
  const inserts: Record<string, unknown>[] = [];
  const updates: Record<string, unknown>[] = [];
  let unchanged = 0;
  for (const spec of w.running) {
    const contextId = contextOf(spec.namespace);
    const digestKey = spec.digest ?? `unresolved:${spec.image}`;
    const record = { ...runningRecord(spec, w.source, contextId), digest_key: digestKey };
    const prior = byKey.get(keyOf(spec.namespace, spec.kind, spec.name, spec.container, digestKey));
    if (!prior) {
      inserts.push(record);
    } else if (!seen.has(prior.id)) {
      seen.add(prior.id);
      // An operator report only confirms what a snapshot or admission recorded; it never rewrites it.
      const confirmsOnly = w.source === 'operator' && prior.source !== 'operator' && !prior.gone;
      const same = confirmsOnly || (!prior.gone && prior.same(spec, contextId, w.source));
      if (same) unchanged += 1;
      if (!confirmsOnly) updates.push({ ...record, id: prior.id, changed: same ? 0 : 1 });
    }
  }
  const inserted = yield* insertRunning(d, w.cluster, inserts, at);
  yield* updateRunning(d, updates, at);
  const removed = new Set((w.completeWorkloads ?? []).map((r) => JSON.stringify([r.namespace, r.kind, r.name])));
  const gone = existing
    .filter((e) => !e.gone && !seen.has(e.id))
    .filter(
      (e) =>
        w.completeness === 'snapshot' || (w.completeness === 'source' && e.source === w.source) || removed.has(JSON.stringify([e.namespace, e.kind, e.name])),
    )
    .map((e) => e.id);
  yield* markGone(d, gone, at, eventsEnabled);
  const touched = [...inserted, ...updates.filter((u) => u['changed'] === 1).map((u) => num(u['id']))];
  const units = yield* assignUnits(d, touched, at, w.revision, planner, eventsEnabled);
  yield* writeOwnFindings(d, w, at, planner, eventsEnabled);
  return { added: inserted.length, updated: updates.filter((u) => u['changed'] === 1).length, unchanged, gone: gone.length, units, duplicate: false };
}

function runningRecord(spec: RunningSpec, source: string, contextId: number): Record<string, unknown> {
  return {
    namespace: spec.namespace,
    kind: spec.kind,
    name: spec.name,
    container: spec.container,
    container_type: spec.containerType,
    image: spec.image,
    repository: spec.repository,
    digest: spec.digest,
    replicas: spec.replicas,
    source,
    context_id: contextId,
  };
}

function* upsertNamespaces(d: Dialect, cluster: string, namespaces: InventoryWrite['namespaces'], at: number): Work<void> {
  if (namespaces.length === 0) return;
  yield sql(
    `INSERT INTO inv_namespaces (cluster, name, labels, updated_at) SELECT ?, name, labels, ? FROM ${recordset(d, [
      ['name', 'text'],
      ['labels', 'text'],
    ])} WHERE true ON CONFLICT (cluster, name) DO UPDATE SET labels = excluded.labels, updated_at = excluded.updated_at`,
    cluster,
    at,
    new JsonParam(namespaces.map((n) => ({ name: n.name, labels: JSON.stringify(n.labels) }))),
  );
}

/** The id of each context, created when new; contexts are immutable, identified by their key. */
export function* ensureContexts(d: Dialect, contexts: readonly ContextSpec[]): Work<Map<string, number>> {
  if (contexts.length === 0) return new Map();
  const records = contexts.map((c) => ({ key: c.key, environment: c.environment, metadata: JSON.stringify(c.metadata) }));
  yield sql(
    `INSERT INTO inv_contexts (key, environment, metadata) SELECT key, environment, metadata FROM ${recordset(d, [
      ['key', 'text'],
      ['environment', 'text'],
      ['metadata', 'text'],
    ])} WHERE true ON CONFLICT (key) DO NOTHING`,
    new JsonParam(records),
  );
  const rows: Row[] = yield sql(
    `SELECT id, key FROM inv_contexts WHERE ${inList(d, 'key')}`,
    listParam(
      d,
      contexts.map((c) => c.key),
    ),
  );
  return new Map(rows.map((r) => [str(r['key']), num(r['id'])]));
}

function* insertRunning(d: Dialect, cluster: string, records: readonly Record<string, unknown>[], at: number): Work<number[]> {
  if (records.length === 0) return [];
  const names = RUNNING_COLUMNS.map(([c]) => c).join(', ');
  const rows: Row[] = yield sql(
    `INSERT INTO inv_running (cluster, ${names}, first_seen, last_seen) SELECT ?, ${names}, ?, ? FROM ${recordset(d, RUNNING_COLUMNS)} WHERE true RETURNING id`,
    cluster,
    at,
    at,
    new JsonParam(records),
  );
  return rows.map((r) => num(r['id']));
}

function* updateRunning(d: Dialect, records: readonly Record<string, unknown>[], at: number): Work<void> {
  if (records.length === 0) return;
  const columns = [['id', 'int'] as const, ...RUNNING_COLUMNS.filter(([c]) => !['namespace', 'kind', 'name', 'container', 'digest', 'digest_key'].includes(c))];
  const set = columns
    .filter(([c]) => c !== 'id')
    .map(([c]) => `${c} = x.${c}`)
    .join(', ');
  yield sql(
    `UPDATE inv_running SET ${set}, last_seen = ?, gone_at = NULL FROM ${recordset(d, columns)} WHERE inv_running.id = x.id`,
    at,
    new JsonParam(records),
  );
}

/** Containers no longer running: their open findings are resolved, deny-level ones announced. */
export function* markGone(d: Dialect, ids: readonly number[], at: number, eventsEnabled: boolean): Work<void> {
  if (ids.length === 0) return;
  const list = listParam(d, ids);
  const targets = (yield sql(`SELECT ${TARGET_COLUMNS} FROM inv_running r JOIN inv_contexts c ON c.id = r.context_id WHERE ${inList(d, 'r.id')}`, list)).map(
    toTarget,
  );
  const findings: Row[] = yield sql(
    `SELECT id, running_id, fingerprint, state, enforcement, rule, severity, vuln_id, package, installed_version, fixed_version, message
     FROM inv_findings WHERE ${inList(d, 'running_id')} AND state <> 'resolved'`,
    list,
  );
  yield sql(`UPDATE inv_running SET gone_at = ?, synced_hash = NULL WHERE ${inList(d, 'id')}`, at, list);
  yield* resolveFindings(
    d,
    findings.map((f) => num(f['id'])),
    at,
  );
  if (!eventsEnabled) return;
  const events: ChangeEvent[] = [];
  for (const target of targets) {
    const resolved = findings
      .filter((f) => num(f['running_id']) === target.id && f['state'] === 'open' && f['enforcement'] === 'deny')
      .map((f) => ({ ...toEventFinding(rowFinding(f)), reason: 'workload_gone' }));
    if (resolved.length > 0) events.push(changeEvent(target, at, [], resolved));
  }
  yield* queueEvents(d, events);
}

function rowFinding(f: Row): Parameters<typeof toEventFinding>[0] {
  return {
    fingerprint: str(f['fingerprint']),
    rule: str(f['rule']),
    severity: str(f['severity']),
    vulnId: str(f['vuln_id']),
    package: str(f['package']),
    installedVersion: str(f['installed_version']),
    fixedVersion: str(f['fixed_version']),
    message: str(f['message']),
  };
}

/**
 * Puts containers with a digest into the unit of their (digest, context).
 * A container joining a unit that is already decided gets the decision at
 * once, copied from a container in sync with it; otherwise the unit is
 * queued for evaluation.
 */
export function* assignUnits(d: Dialect, ids: readonly number[], at: number, revision: string, planner: FindingPlanner, eventsEnabled: boolean): Work<number> {
  if (ids.length === 0) return 0;
  const rows: Row[] = yield sql(
    `SELECT id, digest, context_id FROM inv_running WHERE ${inList(d, 'id')} AND digest IS NOT NULL AND gone_at IS NULL`,
    listParam(d, ids),
  );
  if (rows.length === 0) return 0;
  const pairs = [
    ...new Map(rows.map((r) => [`${str(r['digest'])} ${num(r['context_id'])}`, { digest: str(r['digest']), context_id: num(r['context_id']) }])).values(),
  ];
  const pairSet = recordset(d, [
    ['digest', 'text'],
    ['context_id', 'int'],
  ]);
  yield sql(
    `INSERT INTO inv_units (digest, context_id, priority) SELECT digest, context_id, 1 FROM ${pairSet} WHERE true ON CONFLICT (digest, context_id) DO NOTHING`,
    new JsonParam(pairs),
  );
  const units: Row[] = yield sql(
    `SELECT u.id, u.digest, u.context_id, u.hash FROM inv_units u JOIN ${pairSet} ON u.digest = x.digest AND u.context_id = x.context_id`,
    new JsonParam(pairs),
  );
  const unitOf = new Map(units.map((u) => [`${str(u['digest'])} ${num(u['context_id'])}`, u]));
  const assignments = rows.map((r) => ({ id: num(r['id']), unit_id: num(unitOf.get(`${str(r['digest'])} ${num(r['context_id'])}`)?.['id']) }));
  yield sql(
    `UPDATE inv_running SET unit_id = x.unit_id FROM ${recordset(d, [
      ['id', 'int'],
      ['unit_id', 'int'],
    ])} WHERE inv_running.id = x.id`,
    new JsonParam(assignments),
  );
  for (const unit of units) {
    const members = assignments.filter((a) => a.unit_id === num(unit['id'])).map((a) => a.id);
    yield* syncFromSibling(d, num(unit['id']), unit['hash'] === null ? null : str(unit['hash']), members, at, revision, planner, eventsEnabled);
  }
  return units.length;
}

function* syncFromSibling(
  d: Dialect,
  unitId: number,
  hash: string | null,
  members: readonly number[],
  at: number,
  revision: string,
  planner: FindingPlanner,
  eventsEnabled: boolean,
): Work<void> {
  const sibling: Row[] =
    hash === null
      ? []
      : yield sql(
          `SELECT id FROM inv_running WHERE unit_id = ? AND synced_hash = ? AND gone_at IS NULL AND NOT (${inList(d, 'id')}) LIMIT 1`,
          unitId,
          hash,
          listParam(d, members),
        );
  if (hash === null || sibling[0] === undefined) {
    yield sql('UPDATE inv_units SET dirty = 1, dirty_gen = dirty_gen + 1, priority = 1 WHERE id = ?', unitId);
    return;
  }
  const content = yield* findingsOf(num(sibling[0]['id']));
  const targets = yield* loadTargets(d, members);
  yield* fanOut(d, targets, () => content, { at, revision, eventsEnabled, planner });
  yield sql(`UPDATE inv_running SET synced_hash = ? WHERE ${inList(d, 'id')}`, hash, listParam(d, members));
}

export function* loadTargets(d: Dialect, ids: readonly number[]): Work<TargetRow[]> {
  if (ids.length === 0) return [];
  const rows: Row[] = yield sql(
    `SELECT ${TARGET_COLUMNS} FROM inv_running r JOIN inv_contexts c ON c.id = r.context_id WHERE ${inList(d, 'r.id')} AND r.gone_at IS NULL ORDER BY r.id`,
    listParam(d, ids),
  );
  return rows.map(toTarget);
}

/** Containers without a resolvable digest carry their own findings (unresolved_digest), written with the import. */
function* writeOwnFindings(d: Dialect, w: InventoryWrite, at: number, planner: FindingPlanner, eventsEnabled: boolean): Work<void> {
  const own = w.running.filter((r) => r.digest === null);
  if (own.length === 0) return;
  const rows: Row[] = yield sql(
    `SELECT ${TARGET_COLUMNS} FROM inv_running r JOIN inv_contexts c ON c.id = r.context_id WHERE r.cluster = ? AND r.digest IS NULL AND r.gone_at IS NULL`,
    w.cluster,
  );
  const spec = new Map(own.map((r) => [keyOf(r.namespace, r.kind, r.name, r.container, `unresolved:${r.image}`), r]));
  const targets = rows.map(toTarget).filter((t) => spec.has(keyOf(t.namespace, t.kind, t.name, t.container, `unresolved:${t.image}`)));
  yield* fanOut(d, targets, (t) => spec.get(keyOf(t.namespace, t.kind, t.name, t.container, `unresolved:${t.image}`))?.findings ?? [], {
    at,
    revision: w.revision,
    eventsEnabled,
    planner,
  });
}

/** Moves live containers of these namespaces to their new contexts; their units change and are synced or queued. */
export function* updateContexts(
  d: Dialect,
  cluster: string,
  contexts: ReadonlyMap<string, ContextSpec>,
  at: number,
  revision: string,
  planner: FindingPlanner,
): Work<number> {
  const ids = yield* ensureContexts(d, [...contexts.values()]);
  const moved: number[] = [];
  for (const [namespace, spec] of contexts) {
    const contextId = ids.get(spec.key);
    const rows: Row[] = yield sql(
      'SELECT id FROM inv_running WHERE cluster = ? AND namespace = ? AND context_id <> ? AND gone_at IS NULL',
      cluster,
      namespace,
      contextId,
    );
    if (rows.length === 0) continue;
    const list = rows.map((r) => num(r['id']));
    yield sql(`UPDATE inv_running SET context_id = ? WHERE ${inList(d, 'id')}`, contextId, listParam(d, list));
    yield sql(`UPDATE inv_findings SET environment = ? WHERE ${inList(d, 'running_id')}`, spec.environment ?? '', listParam(d, list));
    moved.push(...list);
  }
  yield* assignUnits(d, moved, at, revision, planner, true);
  return moved.length;
}

export function* markDirty(d: Dialect, scope: { readonly all: true } | { readonly digests: readonly string[] }, priority: number): Work<number> {
  const where = 'all' in scope ? '' : `WHERE ${inList(d, 'digest')}`;
  const params = 'all' in scope ? [] : [listParam(d, scope.digests)];
  const rows: Row[] = yield sql(
    `UPDATE inv_units SET dirty = 1, dirty_gen = dirty_gen + 1, priority = CASE WHEN dirty = 1 AND priority > ? THEN priority ELSE ? END ${where} RETURNING id`,
    priority,
    priority,
    ...params,
  );
  return rows.length;
}

/** Claims dirty units with live containers, most urgent first; other processes skip what is claimed. */
export function* claimUnits(d: Dialect, owner: string, limit: number, leaseMs: number, now: number): Work<ClaimedUnit[]> {
  const rows: Row[] = yield sql(
    `UPDATE inv_units SET claimed_by = ?, claim_until = ? WHERE id IN (
       SELECT u.id FROM inv_units u WHERE u.dirty = 1 AND (u.claim_until IS NULL OR u.claim_until < ?)
         AND EXISTS (SELECT 1 FROM inv_running r WHERE r.unit_id = u.id AND r.gone_at IS NULL)
       ORDER BY u.priority DESC, u.id LIMIT ?${d === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''})
     RETURNING id, digest, context_id, dirty_gen`,
    owner,
    now + leaseMs,
    now,
    limit,
  );
  if (rows.length === 0) return [];
  const contexts: Row[] = yield sql(
    `SELECT id, key, environment, metadata FROM inv_contexts WHERE ${inList(d, 'id')}`,
    listParam(
      d,
      rows.map((r) => num(r['context_id'])),
    ),
  );
  const contextOf = new Map(contexts.map((c) => [num(c['id']), c]));
  const scanOf = yield* newestScanSeqs(
    d,
    rows.map((r) => str(r['digest'])),
  );
  return rows
    .map((r): ClaimedUnit => {
      const context = contextOf.get(num(r['context_id']));
      return {
        id: num(r['id']),
        digest: str(r['digest']),
        contextKey: str(context?.['key']),
        environment: context?.['environment'] === null || context?.['environment'] === undefined ? null : str(context['environment']),
        metadata: JSON.parse(str(context?.['metadata'] ?? '{}')) as Record<string, unknown>,
        generation: num(r['dirty_gen']),
        scanSeq: scanOf.get(str(r['digest'])) ?? null,
      };
    })
    .sort((a, b) => a.id - b.id);
}

/**
 * Writes a batch of units' results in one transaction and syncs their live
 * containers; units whose claim another process took over are left alone.
 * Returns the ids of the units written. The results of one batch share their
 * evaluation time and revision.
 */
export function* completeUnits(
  d: Dialect,
  owner: string,
  items: readonly { readonly unit: ClaimedUnit; readonly result: UnitResult }[],
  planner: FindingPlanner,
  eventsEnabled: boolean,
): Work<number[]> {
  const first = items[0];
  if (!first) return [];
  const lock = d === 'postgres' ? ' FOR UPDATE' : '';
  const held: Row[] = yield sql(
    `SELECT id, claimed_by FROM inv_units WHERE ${inList(d, 'id')}${lock}`,
    listParam(
      d,
      items.map((i) => i.unit.id),
    ),
  );
  const mine = new Set(held.filter((h) => h['claimed_by'] === owner).map((h) => num(h['id'])));
  const owned = items.filter((i) => mine.has(i.unit.id));
  if (owned.length === 0) return [];
  const resultOf = new Map(owned.map((i) => [i.unit.id, i.result]));
  const rows: Row[] = yield sql(
    `SELECT ${TARGET_COLUMNS} FROM inv_running r JOIN inv_contexts c ON c.id = r.context_id WHERE ${inList(d, 'r.unit_id')} AND r.gone_at IS NULL ORDER BY r.id${
      d === 'postgres' ? ' FOR UPDATE OF r' : ''
    }`,
    listParam(d, [...mine]),
  );
  const stale = rows.filter((r) => r['synced_hash'] !== resultOf.get(num(r['unit_id']))?.hash);
  const unitOf = new Map(stale.map((r) => [num(r['id']), num(r['unit_id'])]));
  const targets = stale.map(toTarget);
  const none: readonly FindingContent[] = [];
  const at = first.result.evaluatedAt.getTime();
  yield* fanOut(d, targets, (t) => resultOf.get(unitOf.get(t.id) ?? -1)?.findings ?? none, { at, revision: first.result.revision, eventsEnabled, planner });
  yield* bulk(
    d,
    targets.map((t) => ({ synced_hash: resultOf.get(unitOf.get(t.id) ?? -1)?.hash ?? null, id: t.id })),
    [
      ['synced_hash', 'text'],
      ['id', 'int'],
    ],
    'UPDATE inv_running SET synced_hash = ? WHERE id = ?',
    (set) => `UPDATE inv_running SET synced_hash = x.synced_hash FROM ${set} WHERE inv_running.id = x.id`,
  );
  const columns = [
    ['generation', 'int'],
    ['revision_etag', 'text'],
    ['revision', 'text'],
    ['evaluated_at', 'int'],
    ['scan_seq', 'int'],
    ['decision', 'text'],
    ['summary', 'text'],
    ['violations', 'int'],
    ['warnings', 'int'],
    ['hash', 'text'],
    ['id', 'int'],
  ] as const;
  // The same assignments twice: parameters in the order of `columns` (SQLite), columns of the record set (PostgreSQL).
  const set = (v: (column: string) => string) =>
    `dirty = CASE WHEN dirty_gen = ${v('generation')} THEN 0 ELSE 1 END, claimed_by = NULL, claim_until = NULL, ` +
    `${['revision_etag', 'revision', 'evaluated_at', 'scan_seq', 'decision', 'summary', 'violations', 'warnings', 'hash'].map((c) => `${c} = ${v(c)}`).join(', ')}, ` +
    'evaluations = evaluations + 1';
  yield* bulk(
    d,
    owned.map(({ unit, result }) => ({
      generation: unit.generation,
      revision_etag: result.revisionEtag,
      revision: result.revision,
      evaluated_at: result.evaluatedAt.getTime(),
      scan_seq: result.scanSeq,
      decision: result.decision,
      summary: result.summary,
      violations: result.violations,
      warnings: result.warnings,
      hash: result.hash,
      id: unit.id,
    })),
    columns,
    `UPDATE inv_units SET ${set(() => '?')} WHERE id = ?`,
    (recordsetSql) => `UPDATE inv_units SET ${set((c) => `x.${c}`)} FROM ${recordsetSql} WHERE inv_units.id = x.id`,
  );
  return owned.map((i) => i.unit.id);
}
