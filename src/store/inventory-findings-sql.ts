import { AppError } from '../core/index.js';
import type {
  Enforcement,
  FindingFilter,
  FindingGroup,
  FindingPage,
  FindingQuerySpec,
  FindingRecord,
  FindingState,
  GroupField,
  GroupPage,
  GroupQuerySpec,
  SortField,
} from './inventory-types.js';
import { SEVERITY_RANKS } from './inventory-counts.js';
import { str, num, sql, type Dialect, type Row, type Work } from './sql-runner.js';

const DAY_MS = 86_400_000;
/** Totals are counted exactly up to this many findings. */
export const TOTAL_CAP = 10_000;
const SEVERITY_NAMES = ['UNKNOWN', 'NEGLIGIBLE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

interface Where {
  readonly clauses: string[];
  readonly params: unknown[];
}

/** A `*`/`?` glob as SQL: exact match without wildcards, GLOB in SQLite, LIKE in PostgreSQL. */
function glob(d: Dialect, column: string, pattern: string, w: Where): void {
  if (!/[*?]/.test(pattern)) {
    w.clauses.push(`${column} = ?`);
    w.params.push(pattern);
    return;
  }
  if (d === 'sqlite') {
    w.clauses.push(`${column} GLOB ?`);
    w.params.push(pattern.replace(/\[/g, '[[]'));
    return;
  }
  w.clauses.push(`${column} LIKE ? ESCAPE '\\'`);
  w.params.push(
    pattern
      .replace(/[\\%_]/g, (c) => `\\${c}`)
      .replace(/\*/g, '%')
      .replace(/\?/g, '_'),
  );
}

/** The WHERE clauses of a filter, every value a bound parameter. */
export function filterClauses(d: Dialect, f: FindingFilter, now: Date): Where {
  const w: Where = { clauses: [], params: [] };
  const eq = (column: string, value: unknown) => {
    w.clauses.push(`${column} = ?`);
    w.params.push(value);
  };
  if (f.states !== undefined) {
    // Spelled out rather than a list parameter: the planner then uses the indexes led by state, and their order.
    w.clauses.push(f.states.length === 1 ? 'state = ?' : `state IN (${f.states.map(() => '?').join(', ')})`);
    w.params.push(...f.states);
  }
  if (f.cluster !== undefined) glob(d, 'cluster', f.cluster, w);
  if (f.namespace !== undefined) glob(d, 'namespace', f.namespace, w);
  if (f.environment !== undefined) eq('environment', f.environment);
  if (f.workload !== undefined) {
    const slash = f.workload.indexOf('/');
    if (slash > 0) eq('kind', f.workload.slice(0, slash));
    glob(d, 'workload', slash > 0 ? f.workload.slice(slash + 1) : f.workload, w);
  }
  if (f.repository !== undefined) glob(d, 'repository', f.repository, w);
  if (f.digest !== undefined) eq('digest', f.digest);
  if (f.rule !== undefined) eq('rule', f.rule);
  if (f.severityAtLeast !== undefined) {
    w.clauses.push('severity_rank >= ?');
    w.params.push(f.severityAtLeast);
  }
  if (f.vulnerabilityId !== undefined) eq('vuln_id', f.vulnerabilityId);
  if (f.package !== undefined) glob(d, 'package', f.package, w);
  if (f.fixable !== undefined) eq('fixable', f.fixable ? 1 : 0);
  if (f.minAgeDays !== undefined) {
    w.clauses.push('age_anchor <= ?');
    w.params.push(now.getTime() - f.minAgeDays * DAY_MS);
  }
  if (f.firstSeenBefore !== undefined) {
    w.clauses.push('first_seen < ?');
    w.params.push(f.firstSeenBefore.getTime());
  }
  if (f.firstSeenAfter !== undefined) {
    w.clauses.push('first_seen > ?');
    w.params.push(f.firstSeenAfter.getTime());
  }
  if (f.enforcement !== undefined) eq('enforcement', f.enforcement);
  return w;
}

const whereOf = (w: Where) => (w.clauses.length ? `WHERE ${w.clauses.join(' AND ')}` : '');

/** Each sort field's column and what `desc` means for it (age desc: oldest first). */
const SORTS: Readonly<Record<SortField, { readonly column: string; readonly text: boolean; readonly invert: boolean }>> = {
  severity: { column: 'severity_rank', text: false, invert: false },
  age: { column: 'age_anchor', text: false, invert: true },
  first_seen: { column: 'first_seen', text: false, invert: false },
  namespace: { column: 'namespace', text: true, invert: false },
  workload: { column: 'workload', text: true, invert: false },
  image: { column: 'repository', text: true, invert: false },
  vulnerability: { column: 'vuln_id', text: true, invert: false },
  package: { column: 'package', text: true, invert: false },
};

const COLUMNS = `f.id, f.fingerprint, f.state, f.enforcement, f.rule, f.severity, f.severity_rank, f.vuln_id, f.package, f.installed_version, f.fixed_version, f.fixable,
  f.published, f.age_anchor, f.score, f.title, f.message, f.exception, f.cluster, f.namespace, f.environment, f.kind, f.workload, f.container, f.image,
  f.repository, f.digest, f.revision, f.first_seen, f.last_seen, f.resolved_at, u.evaluated_at`;

/** One page of findings in a stable order, with the total that matches, and a cursor for the next page. */
export function* queryFindings(d: Dialect, q: FindingQuerySpec): Work<FindingPage> {
  const filter = filterClauses(d, q, q.now);
  const sort = SORTS[q.sort];
  const direction = (q.order === 'desc') !== sort.invert ? 'DESC' : 'ASC';
  const page: Where = { clauses: [...filter.clauses], params: [...filter.params] };
  if (q.cursor !== undefined) {
    const [value, id] = decodeFindingCursor(q.cursor, sort.text);
    page.clauses.push(`(${sort.column}, id) ${direction === 'DESC' ? '<' : '>'} (?, ?)`);
    page.params.push(value, id);
  }
  const rows: Row[] = yield sql(
    `SELECT ${COLUMNS} FROM (SELECT * FROM inv_findings ${whereOf(page)} ORDER BY ${sort.column} ${direction}, id ${direction} LIMIT ?) f
     LEFT JOIN inv_running r ON r.id = f.running_id LEFT JOIN inv_units u ON u.id = r.unit_id
     ORDER BY f.${sort.column} ${direction}, f.id ${direction}`,
    ...page.params,
    q.limit + 1,
  );
  // Counting every match of a broad query costs more than the page: past TOTAL_CAP the total is a lower bound, unless asked for exactly.
  const total: Row[] = q.exactTotal
    ? yield sql(`SELECT count(*) AS n FROM inv_findings ${whereOf(filter)}`, ...filter.params)
    : yield sql(`SELECT count(*) AS n FROM (SELECT 1 FROM inv_findings ${whereOf(filter)} LIMIT ?) capped`, ...filter.params, TOTAL_CAP + 1);
  const counted = num(total[0]?.['n'] ?? 0);
  const shown = rows.slice(0, q.limit);
  const last = shown[shown.length - 1];
  const column = sort.column;
  return {
    findings: shown.map((r) => toFindingRecord(r, q.now)),
    total: Math.min(counted, q.exactTotal ? counted : TOTAL_CAP),
    total_exact: q.exactTotal === true || counted <= TOTAL_CAP,
    ...(rows.length > q.limit && last ? { next_cursor: encodeFindingCursor(last[column], last['id']) } : {}),
  };
}

function encodeFindingCursor(value: unknown, id: unknown): string {
  return Buffer.from(JSON.stringify(['f', typeof value === 'string' ? value : num(value), num(id)])).toString('base64url');
}

function decodeFindingCursor(cursor: string, text: boolean): [string | number, number] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== 'f' ||
    typeof parsed[2] !== 'number' ||
    typeof parsed[1] !== (text ? 'string' : 'number')
  ) {
    throw new AppError('REQUEST_INVALID', 'cursor is not one this server returned for this sort');
  }
  return [parsed[1] as string | number, parsed[2]];
}

const iso = (ms: unknown): string => new Date(num(ms)).toISOString();
const orNull = (value: unknown): string | null => (value === null || value === undefined || value === '' ? null : str(value));

export function toFindingRecord(r: Row, now: Date): FindingRecord {
  const state = str(r['state']) as FindingState;
  const lastSeen = state === 'resolved' || r['evaluated_at'] === null || r['evaluated_at'] === undefined ? r['last_seen'] : r['evaluated_at'];
  return {
    id: num(r['id']),
    fingerprint: str(r['fingerprint']),
    state,
    enforcement: str(r['enforcement']) as Enforcement,
    rule: str(r['rule']),
    severity: str(r['severity']),
    vulnerability_id: orNull(r['vuln_id']),
    package: orNull(r['package']),
    installed_version: orNull(r['installed_version']),
    fixed_version: orNull(r['fixed_version']),
    fixable: num(r['fixable']) === 1,
    published: r['published'] === null ? null : iso(r['published']),
    age_days: Math.max(0, Math.floor((now.getTime() - num(r['age_anchor'])) / DAY_MS)),
    cvss_score: r['score'] === null ? null : Number(r['score']),
    title: orNull(r['title']),
    message: str(r['message']),
    exception: r['exception'] === null ? null : (JSON.parse(str(r['exception'])) as { reason: string; expires: string }),
    cluster: str(r['cluster']),
    namespace: str(r['namespace']),
    environment: orNull(r['environment']),
    workload_kind: str(r['kind']),
    workload_name: str(r['workload']),
    container: str(r['container']),
    image: str(r['image']),
    repository: str(r['repository']),
    digest: orNull(r['digest']),
    revision: str(r['revision']),
    first_seen: iso(r['first_seen']),
    last_seen: iso(lastSeen),
    resolved_at: r['resolved_at'] === null ? null : iso(r['resolved_at']),
  };
}

const GROUP_KEYS: Readonly<Record<GroupField, readonly (readonly [column: string, name: string])[]>> = {
  cve: [['vuln_id', 'vulnerability_id']],
  image: [
    ['digest', 'digest'],
    ['repository', 'repository'],
  ],
  workload: [
    ['cluster', 'cluster'],
    ['namespace', 'namespace'],
    ['kind', 'workload_kind'],
    ['workload', 'workload_name'],
  ],
  namespace: [
    ['cluster', 'cluster'],
    ['namespace', 'namespace'],
  ],
  package: [['package', 'package']],
};

/**
 * Deny-level findings of a group, the cheapest way each dialect counts them (a grouping reads every open finding, so each
 * expression per row counts); enforcement is deny or warn, so the warn-level ones are the rest.
 */
const DENY_COUNT: Readonly<Record<Dialect, string>> = { sqlite: "sum(enforcement = 'deny')", postgres: "count(*) FILTER (WHERE enforcement = 'deny')" };

/** The filters a kept summary answers exactly (inventory-rollups.ts): those on columns a finding copies from its container. */
const CONTAINER_FILTERS = new Set<keyof FindingFilter>(['states', 'cluster', 'namespace', 'environment', 'workload', 'repository', 'digest']);
const SUMMED_GROUPS = new Set<GroupField>(['workload', 'namespace', 'image']);
/** Every filter a query can carry: a Record, so a new filter does not compile until it is listed here, and so is never missed below. */
const FILTER_FIELDS: Readonly<Record<keyof FindingFilter, true>> = {
  cluster: true,
  namespace: true,
  environment: true,
  workload: true,
  repository: true,
  digest: true,
  rule: true,
  severityAtLeast: true,
  vulnerabilityId: true,
  package: true,
  fixable: true,
  minAgeDays: true,
  firstSeenBefore: true,
  firstSeenAfter: true,
  enforcement: true,
  states: true,
};
const filtersOf = (q: GroupQuerySpec) => (Object.keys(FILTER_FIELDS) as (keyof FindingFilter)[]).filter((k) => q[k] !== undefined);
/** The worst severity of a summed group from its per-rank counts. */
const maxRank = (count: (rank: number) => string) =>
  `CASE ${[...SEVERITY_RANKS]
    .reverse()
    .map((r) => `WHEN ${count(r)} > 0 THEN ${r}`)
    .join(' ')} ELSE 0 END`;

/**
 * Where a grouping's counts come from: a kept summary when it answers the query exactly (every finding's count summed per
 * container, or per CVE and state, by triggers), else the findings themselves. Each gives `n`, `deny`, `max_rank` and
 * `workloads` (distinct containers) per group of `columns`.
 */
function groupSource(d: Dialect, q: GroupQuerySpec): { from: string; aggregate: string; grouped: boolean } {
  const filters = filtersOf(q);
  if (SUMMED_GROUPS.has(q.groupBy) && filters.every((f) => CONTAINER_FILTERS.has(f))) {
    return {
      from: 'inv_container_rollup',
      aggregate: `sum(findings) AS n, sum(deny) AS deny, ${maxRank((r) => `sum(r${r})`)} AS max_rank, count(DISTINCT running_id) AS workloads`,
      grouped: true,
    };
  }
  // A container counted once per state would be counted twice across states, so the CVE summary answers one state at a time.
  if (q.groupBy === 'cve' && q.states?.length === 1 && filters.every((f) => f === 'states' || f === 'vulnerabilityId')) {
    return { from: 'inv_vuln_rollup', aggregate: `findings AS n, deny, ${maxRank((r) => `r${r}`)} AS max_rank, containers AS workloads`, grouped: false };
  }
  return {
    from: 'inv_findings',
    aggregate: `count(*) AS n, ${DENY_COUNT[d]} AS deny, max(severity_rank) AS max_rank, count(DISTINCT running_id) AS workloads`,
    grouped: true,
  };
}

/** Counts per group, largest first; the cursor is an offset. */
export function* groupFindings(d: Dialect, q: GroupQuerySpec): Work<GroupPage> {
  const keys = GROUP_KEYS[q.groupBy];
  const columns = keys.map(([c]) => c).join(', ');
  const source = groupSource(d, q);
  const filter = filterClauses(d, q, q.now);
  // Summary rows whose count fell to zero stay behind; a group is only there while it has findings.
  if (source.from !== 'inv_findings') filter.clauses.push('findings > 0');
  const offset = q.cursor === undefined ? 0 : decodeOffset(q.cursor);
  const rows: Row[] = yield sql(
    `SELECT ${columns}, ${source.aggregate}
     FROM ${source.from} ${whereOf(filter)} ${source.grouped ? `GROUP BY ${columns}` : ''} ORDER BY n DESC, ${columns} LIMIT ? OFFSET ?`,
    ...filter.params,
    q.limit + 1,
    offset,
  );
  const groups = rows.slice(0, q.limit).map((r): FindingGroup => ({
    key: Object.fromEntries(keys.map(([c, name]) => [name, orNull(r[c])])),
    findings: num(r['n']),
    deny: num(r['deny']),
    warn: num(r['n']) - num(r['deny']),
    max_severity: SEVERITY_NAMES[num(r['max_rank'])] ?? 'UNKNOWN',
    workloads: num(r['workloads']),
  }));
  return { groups, ...(rows.length > q.limit ? { next_cursor: Buffer.from(`g:${offset + q.limit}`).toString('base64url') } : {}) };
}

function decodeOffset(cursor: string): number {
  const match = /^g:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AppError('REQUEST_INVALID', 'cursor is not one this server returned for this grouping');
  return Number(match[1]);
}
