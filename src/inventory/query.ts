// The finding query: one typed description of filters, grouping, order and
// paging that the JSON API, the CLI and the web console share. Parse it from
// URL parameters, turn it back into them, run it against the store.

import { AppError, toCsv } from '../core/index.js';
import { SEVERITY_RANK, type Severity } from '../inputs/index.js';
import type {
  FindingFilter,
  FindingPage,
  FindingRecord,
  FindingState,
  GroupField,
  GroupPage,
  InventoryStore,
  SortField,
  FindingGroup,
} from '../store/index.js';

export interface FindingQuery {
  readonly filter: FindingFilter;
  readonly sort: SortField;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly cursor?: string;
  /** Counts per group instead of findings. */
  readonly groupBy?: GroupField;
  /** Count every match, however many (otherwise the total stops at 10,000). */
  readonly exactTotal?: boolean;
}

export interface PageLimits {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

export const DEFAULT_PAGE_LIMITS: PageLimits = { defaultLimit: 100, maxLimit: 1000 };

export const SORT_FIELDS: readonly SortField[] = ['severity', 'age', 'first_seen', 'namespace', 'workload', 'image', 'vulnerability', 'package'];
export const GROUP_FIELDS: readonly GroupField[] = ['cve', 'image', 'workload', 'namespace', 'package'];
export const FINDING_STATES: readonly FindingState[] = ['open', 'resolved', 'excepted'];

/** Every filter parameter of GET /v1/findings, with what it means; the CLI's flags are the same names with dashes. */
export const FILTER_PARAMETERS = {
  cluster: 'cluster name (glob)',
  namespace: "namespace (glob, e.g. 'prod*')",
  environment: 'environment of the namespace (exact)',
  workload: "workload name (glob), or 'Kind/name'",
  repository: "image repository, e.g. 'docker.io/library/nginx' (glob)",
  digest: 'image digest, sha256:...',
  rule: 'policy rule, e.g. vulnerability_severity, unresolved_digest',
  severity_at_least: 'CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN',
  id: 'vulnerability id, e.g. CVE-2021-44228',
  package: 'package name (glob)',
  fixable: 'true: a fixed version exists; false: none does',
  age: "at least this old, e.g. '30d': days since the CVE's publication, or since first seen when the scanner gives no date",
  first_seen_before: 'first seen before this RFC 3339 time',
  first_seen_after: 'first seen after this RFC 3339 time',
  enforcement: 'deny or warn',
  state: 'open (default), resolved, excepted, all, or a comma-separated list',
} as const;

const PAGE_PARAMETERS = ['group_by', 'sort', 'order', 'limit', 'cursor', 'exact_total'] as const;
const DEFAULT_ORDER: Readonly<Record<SortField, 'asc' | 'desc'>> = {
  severity: 'desc',
  age: 'desc',
  first_seen: 'desc',
  namespace: 'asc',
  workload: 'asc',
  image: 'asc',
  vulnerability: 'asc',
  package: 'asc',
};

type Params = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Reads a finding query from URL parameters (or the CLI's flags under the
 * same names). An unknown or repeated parameter and a malformed value are
 * errors naming the parameter, so a typo never widens a query.
 */
export function parseFindingQuery(params: Params, limits: PageLimits = DEFAULT_PAGE_LIMITS, ignore: readonly string[] = ['format']): FindingQuery {
  const known = new Set<string>([...Object.keys(FILTER_PARAMETERS), ...PAGE_PARAMETERS, ...ignore]);
  for (const name of Object.keys(params)) {
    if (!known.has(name))
      throw new AppError('REQUEST_INVALID', `unknown query parameter '${name}' (known: ${[...known].filter((k) => !ignore.includes(k)).join(', ')})`);
  }
  const one = (name: string): string | undefined => {
    const value = params[name];
    if (Array.isArray(value)) throw new AppError('REQUEST_INVALID', `query parameter '${name}' is given more than once`);
    if (value === undefined || value === '') return undefined;
    if ((value as string).length > 512) throw new AppError('REQUEST_INVALID', `query parameter '${name}' is longer than 512 characters`);
    return value as string;
  };
  const text = (name: keyof typeof FILTER_PARAMETERS) => one(name);
  const sort = choice(one('sort'), SORT_FIELDS, 'sort') ?? 'severity';
  const groupBy = choice(one('group_by'), GROUP_FIELDS, 'group_by');
  const cursor = one('cursor');
  const exactTotal = bool(one('exact_total'), 'exact_total');
  const filter = compact<FindingFilter>({
    cluster: text('cluster'),
    namespace: text('namespace'),
    environment: text('environment'),
    workload: text('workload'),
    repository: text('repository'),
    digest: digestOf(text('digest')),
    rule: text('rule'),
    severityAtLeast: severityRank(text('severity_at_least')),
    vulnerabilityId: text('id'),
    package: text('package'),
    fixable: bool(text('fixable'), 'fixable'),
    minAgeDays: days(text('age')),
    firstSeenBefore: time(text('first_seen_before'), 'first_seen_before'),
    firstSeenAfter: time(text('first_seen_after'), 'first_seen_after'),
    enforcement: choice(text('enforcement'), ['deny', 'warn'] as const, 'enforcement'),
    states: states(text('state')),
  });
  return {
    filter,
    sort,
    order: choice(one('order'), ['asc', 'desc'] as const, 'order') ?? DEFAULT_ORDER[sort],
    limit: limit(one('limit'), limits),
    ...(cursor === undefined ? {} : { cursor }),
    ...(groupBy === undefined ? {} : { groupBy }),
    ...(exactTotal ? { exactTotal } : {}),
  };
}

/** The URL parameters of a query: parseFindingQuery(findingQueryParams(q)) equals q. */
export function findingQueryParams(q: FindingQuery): URLSearchParams {
  const p = new URLSearchParams();
  const f = q.filter;
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) p.set(name, value);
  };
  set('cluster', f.cluster);
  set('namespace', f.namespace);
  set('environment', f.environment);
  set('workload', f.workload);
  set('repository', f.repository);
  set('digest', f.digest);
  set('rule', f.rule);
  set('severity_at_least', f.severityAtLeast === undefined ? undefined : severityName(f.severityAtLeast));
  set('id', f.vulnerabilityId);
  set('package', f.package);
  set('fixable', f.fixable === undefined ? undefined : String(f.fixable));
  set('age', f.minAgeDays === undefined ? undefined : `${f.minAgeDays}d`);
  set('first_seen_before', f.firstSeenBefore?.toISOString());
  set('first_seen_after', f.firstSeenAfter?.toISOString());
  set('enforcement', f.enforcement);
  set('state', f.states === undefined ? 'all' : f.states.join(','));
  set('group_by', q.groupBy);
  set('sort', q.sort);
  set('order', q.order);
  set('limit', String(q.limit));
  set('cursor', q.cursor);
  set('exact_total', q.exactTotal ? 'true' : undefined);
  return p;
}

/** Runs a query: a page of findings, or with groupBy a page of groups. */
export async function runFindingQuery(store: InventoryStore, q: FindingQuery, now: Date): Promise<FindingPage | GroupPage> {
  const page = { limit: q.limit, now, ...(q.cursor === undefined ? {} : { cursor: q.cursor }) };
  if (q.groupBy !== undefined) return store.groupFindings({ ...q.filter, ...page, groupBy: q.groupBy });
  return store.queryFindings({ ...q.filter, ...page, sort: q.sort, order: q.order, ...(q.exactTotal ? { exactTotal: true } : {}) });
}

export const isGroupPage = (page: FindingPage | GroupPage): page is GroupPage => 'groups' in page;

/** One column of a finding listing, shared by the API's CSV and the CLI's table. */
export interface FindingColumn<T> {
  readonly header: string;
  readonly cell: (row: T) => string;
}

const opt = (v: string | number | null) => (v === null ? '' : String(v));

export const FINDING_COLUMNS: readonly FindingColumn<FindingRecord>[] = [
  { header: 'id', cell: (f) => String(f.id) },
  { header: 'state', cell: (f) => f.state },
  { header: 'enforcement', cell: (f) => f.enforcement },
  { header: 'severity', cell: (f) => f.severity },
  { header: 'rule', cell: (f) => f.rule },
  { header: 'vulnerability_id', cell: (f) => opt(f.vulnerability_id) },
  { header: 'package', cell: (f) => opt(f.package) },
  { header: 'installed_version', cell: (f) => opt(f.installed_version) },
  { header: 'fixed_version', cell: (f) => opt(f.fixed_version) },
  { header: 'fixable', cell: (f) => String(f.fixable) },
  { header: 'age_days', cell: (f) => String(f.age_days) },
  { header: 'cvss_score', cell: (f) => opt(f.cvss_score) },
  { header: 'cluster', cell: (f) => f.cluster },
  { header: 'namespace', cell: (f) => f.namespace },
  { header: 'environment', cell: (f) => opt(f.environment) },
  { header: 'workload', cell: (f) => `${f.workload_kind}/${f.workload_name}` },
  { header: 'container', cell: (f) => f.container },
  { header: 'image', cell: (f) => f.image },
  { header: 'digest', cell: (f) => opt(f.digest) },
  { header: 'first_seen', cell: (f) => f.first_seen },
  { header: 'last_seen', cell: (f) => f.last_seen },
  { header: 'resolved_at', cell: (f) => opt(f.resolved_at) },
  { header: 'revision', cell: (f) => f.revision },
  { header: 'message', cell: (f) => f.message },
];

/** The columns a terminal table shows. */
export const FINDING_TABLE = ['severity', 'enforcement', 'vulnerability_id', 'package', 'fixed_version', 'age_days', 'namespace', 'workload', 'container'];

export function groupColumns(groupBy: GroupField, sample: FindingGroup | undefined): FindingColumn<FindingGroup>[] {
  const keys = sample ? Object.keys(sample.key) : [groupBy];
  return [
    ...keys.map((k) => ({ header: k, cell: (g: FindingGroup) => g.key[k] ?? '' })),
    { header: 'findings', cell: (g) => String(g.findings) },
    { header: 'deny', cell: (g) => String(g.deny) },
    { header: 'warn', cell: (g) => String(g.warn) },
    { header: 'max_severity', cell: (g) => g.max_severity },
    { header: 'workloads', cell: (g) => String(g.workloads) },
  ];
}

export const FINDING_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

/** A page of a finding query as a response body: what GET /v1/findings answers and the console downloads. */
export function findingsBody(q: FindingQuery, page: FindingPage | GroupPage, format: FindingFormat): { readonly type: string; readonly body: string | object } {
  const rows = isGroupPage(page) ? page.groups : page.findings;
  if (format === 'json') return { type: 'application/json; charset=utf-8', body: page };
  if (format === 'ndjson') return { type: 'application/x-ndjson', body: rows.map((r) => `${JSON.stringify(r)}\n`).join('') };
  const csv =
    isGroupPage(page) && q.groupBy
      ? toCsv(groupColumns(q.groupBy, page.groups[0]), page.groups)
      : toCsv(FINDING_COLUMNS, isGroupPage(page) ? [] : page.findings);
  return { type: 'text/csv; charset=utf-8', body: csv };
}

function compact<T extends object>(o: { readonly [K in keyof T]-?: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function choice<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new AppError('REQUEST_INVALID', `'${name}' must be one of ${allowed.join(', ')}, got '${value}'`);
}

function severityRank(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const rank = SEVERITY_RANK[value.toUpperCase() as Severity];
  if (rank === undefined) throw new AppError('REQUEST_INVALID', `'severity_at_least' must be one of ${Object.keys(SEVERITY_RANK).join(', ')}, got '${value}'`);
  return rank;
}

function severityName(rank: number): string {
  return Object.entries(SEVERITY_RANK).find(([, r]) => r === rank)?.[0] ?? 'UNKNOWN';
}

function bool(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new AppError('REQUEST_INVALID', `'${name}' must be true or false, got '${value}'`);
}

function days(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,5})d?$/.exec(value);
  if (!match) throw new AppError('REQUEST_INVALID', `'age' must be a number of days such as 30d, got '${value}'`);
  return Number(match[1]);
}

function time(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('REQUEST_INVALID', `'${name}' must be an RFC 3339 time or epoch milliseconds, got '${value}'`);
  return new Date(ms);
}

function digestOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^sha256:[0-9a-f]{64}$/.test(value)) throw new AppError('REQUEST_INVALID', `'digest' must be sha256:<64 hex digits>, got '${value}'`);
  return value;
}

function states(value: string | undefined): readonly FindingState[] | undefined {
  if (value === undefined) return ['open'];
  if (value === 'all') return undefined;
  return value.split(',').map((s) => choice(s.trim(), FINDING_STATES, 'state') as FindingState);
}

function limit(value: string | undefined, limits: PageLimits): number {
  if (value === undefined) return limits.defaultLimit;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > limits.maxLimit) throw new AppError('REQUEST_INVALID', `'limit' must be an integer from 1 to ${limits.maxLimit}`);
  return n;
}
