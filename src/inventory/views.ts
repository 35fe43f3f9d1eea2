// The CVE-first and image-first views: typed parameters, read from the store,
// shaped once here so the JSON API, the CLI and the console show the same.

import { AppError } from '../core/index.js';
import type { FindingPage, FindingState, RunningRecord, ScanHead, Store, UnitRecord, VulnerabilityView } from '../store/index.js';
import { FINDING_STATES } from './query.js';

type Params = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VulnerabilityQuery {
  readonly id: string;
  /** Default: open and excepted. */
  readonly states: readonly FindingState[];
  /** Each list of the view is cut at this many entries (default 100); the view counts every entry. */
  readonly limit: number;
}

/** The most entries a list of the view may ask for; the full lists page through GET /v1/findings?id=&group_by= instead. */
export const VULNERABILITY_LIMIT = 1000;
export const VULNERABILITY_DEFAULT_LIMIT = 100;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `GET /v1/vulnerabilities/<id>?state=&limit=`; unknown, repeated or malformed parameters are errors naming them. */
export function parseVulnerabilityQuery(id: string, params: Params): VulnerabilityQuery {
  if (id.length === 0 || id.length > 256) throw new AppError('REQUEST_INVALID', 'the vulnerability id must be 1 to 256 characters');
  for (const name of Object.keys(params)) {
    if (name !== 'state' && name !== 'limit') throw new AppError('REQUEST_INVALID', `unknown query parameter '${name}' (known: state, limit)`);
    if (Array.isArray(params[name])) throw new AppError('REQUEST_INVALID', `query parameter '${name}' is given more than once`);
  }
  const state = params['state'] as string | undefined;
  const limit = params['limit'] as string | undefined;
  return { id, states: statesOf(state || undefined), limit: limitOf(limit || undefined) };
}

/** The URL of a vulnerability query: parseVulnerabilityQuery(id, params) gives it back. */
export function vulnerabilityPath(q: VulnerabilityQuery): string {
  const params = new URLSearchParams({ state: q.states.join(','), limit: String(q.limit) });
  return `/v1/vulnerabilities/${encodeURIComponent(q.id)}?${params.toString()}`;
}

/** Everything one vulnerability affects in what runs now; FILE_NOT_FOUND (404) when nothing running has it. */
export async function vulnerabilityView(store: Store, q: VulnerabilityQuery): Promise<VulnerabilityView> {
  const view = await store.inventory.vulnerability(q.id, q.states, q.limit);
  if (!view) throw new AppError('FILE_NOT_FOUND', `no running workload has a finding for ${q.id} (states: ${q.states.join(', ')})`);
  return view;
}

export function assertDigest(digest: string): string {
  if (!DIGEST.test(digest)) throw new AppError('REQUEST_INVALID', `the digest must be sha256:<64 hex digits>, got '${digest.slice(0, 80)}'`);
  return digest;
}

/** A scan as the image view lists it: who scanned what and when, what it found, and what it could not fully read. */
export interface ScanSummary {
  readonly image: string;
  readonly stored_at: string;
  readonly reports: readonly {
    readonly format: string | null;
    readonly scanner: unknown;
    readonly created: string | null;
    /** Entries the parser could not fully read, by code (docs/input-format.md); findings rest on what was read. */
    readonly input_warnings: Readonly<Record<string, number>>;
  }[];
  readonly input_warnings: number;
  readonly vulnerabilities: unknown;
  /** The verdict at upload, without namespace context. */
  readonly decision: string | null;
}

export interface ImageView {
  readonly digest: string;
  /** Newest first. */
  readonly scans: readonly ScanSummary[];
  /** One per namespace context the digest runs in. */
  readonly evaluations: readonly UnitRecord[];
  readonly running: readonly RunningRecord[];
  readonly gone: readonly RunningRecord[];
  /** The first 100 open or excepted findings, worst first. */
  readonly findings: FindingPage;
}

/** `GET /v1/images/<digest>`; FILE_NOT_FOUND when neither a scan nor a container of it is known. */
export async function imageView(store: Store, digest: string, now: Date): Promise<ImageView> {
  assertDigest(digest);
  const [scans, evaluations, running, findings] = await Promise.all([
    store.scanHistory(digest, 50),
    store.inventory.unitsOf(digest),
    store.inventory.runningOf({ digest, live: false }, 10_000),
    store.inventory.queryFindings({ digest, states: ['open', 'excepted'], sort: 'severity', order: 'desc', limit: 100, now }),
  ]);
  if (scans.length === 0 && running.length === 0) throw new AppError('FILE_NOT_FOUND', `nothing is known about ${digest}: no scan, no running container`);
  return {
    digest,
    scans: scans.map(scanSummary),
    evaluations,
    running: running.filter((r) => r.gone_at === null),
    gone: running.filter((r) => r.gone_at !== null),
    findings,
  };
}

/** A scan as the image view lists it, from the summary stored with it. */
export function scanSummary(s: ScanHead): ScanSummary {
  const { reports, vulnerabilities } = s.summary;
  return {
    image: s.image,
    stored_at: s.storedAt.toISOString(),
    reports,
    input_warnings: reports.reduce((n, r) => n + Object.values(r.input_warnings).reduce((a, b) => a + b, 0), 0),
    vulnerabilities,
    decision: (s.decision as { decision?: string } | null)?.decision ?? null,
  };
}

function statesOf(value: string | undefined): FindingState[] {
  if (value === undefined) return ['open', 'excepted'];
  if (value === 'all') return [...FINDING_STATES];
  return value.split(',').map((s) => {
    const state = s.trim();
    if (!(FINDING_STATES as readonly string[]).includes(state))
      throw new AppError('REQUEST_INVALID', `'state' must be open, resolved, excepted, all or a comma-separated list, got '${state}'`);
    return state as FindingState;
  });
}

function limitOf(value: string | undefined): number {
  if (value === undefined) return VULNERABILITY_DEFAULT_LIMIT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > VULNERABILITY_LIMIT)
    throw new AppError('REQUEST_INVALID', `'limit' must be an integer from 1 to ${VULNERABILITY_LIMIT}`);
  return n;
}

type Column<T> = { readonly header: string; readonly cell: (row: T) => string };

/** The workloads a vulnerability affects, as a table (CLI) or CSV. */
export const VULNERABILITY_WORKLOAD_COLUMNS: readonly Column<VulnerabilityView['workloads'][number]>[] = [
  { header: 'enforcement', cell: (w) => w.enforcement },
  { header: 'state', cell: (w) => w.state },
  { header: 'cluster', cell: (w) => w.cluster },
  { header: 'namespace', cell: (w) => w.namespace },
  { header: 'workload', cell: (w) => `${w.kind}/${w.name}` },
  { header: 'container', cell: (w) => w.container },
  { header: 'digest', cell: (w) => w.digest ?? '' },
  { header: 'first_seen', cell: (w) => w.first_seen },
];

/** Where an image runs, as a table. */
export const RUNNING_COLUMNS: readonly Column<RunningRecord>[] = [
  { header: 'cluster', cell: (r) => r.cluster },
  { header: 'namespace', cell: (r) => r.namespace },
  { header: 'environment', cell: (r) => r.environment ?? '' },
  { header: 'workload', cell: (r) => `${r.kind}/${r.name}` },
  { header: 'container', cell: (r) => r.container },
  { header: 'replicas', cell: (r) => String(r.replicas) },
  { header: 'source', cell: (r) => r.source },
  { header: 'first_seen', cell: (r) => r.first_seen },
  { header: 'gone_at', cell: (r) => r.gone_at ?? '' },
];

/** The headline of a vulnerability view: one line per fact. */
export function vulnerabilityFacts(v: VulnerabilityView): [string, string][] {
  return [
    ['id', v.id],
    ['title', v.title ?? ''],
    ['severity', v.severity],
    ['max_cvss_score', v.max_cvss_score === null ? '' : String(v.max_cvss_score)],
    ['published', v.published ?? ''],
    ['first_seen', v.first_seen],
    ['fixed_versions', v.fixed_versions.join(', ') || 'none'],
    ['packages', v.packages.map((p) => `${p.name} ${p.installed_version}`).join(', ')],
    ['findings', String(v.counts.findings)],
    ['images', String(v.counts.images)],
    [
      'namespaces',
      `${v.namespaces.map((n) => `${n.cluster}/${n.namespace}`).join(', ')}${v.counts.namespaces > v.namespaces.length ? `, ... (${v.counts.namespaces})` : ''}`,
    ],
    [
      'workloads',
      `${v.counts.workloads}${v.truncated ? ` (the first ${v.workloads.length} below; use --limit, or findings --id ${v.id} --group-by workload)` : ''}`,
    ],
  ];
}

/** The headline of an image view. */
export function imageFacts(i: ImageView): [string, string][] {
  const latest = i.scans[0];
  return [
    ['digest', i.digest],
    ['scans', String(i.scans.length)],
    ['latest_scan', latest ? `${latest.stored_at} (${latest.reports.map((r) => r.format ?? '?').join(', ')})` : 'none'],
    ['input_warnings', latest ? String(latest.input_warnings) : '0'],
    ['evaluations', i.evaluations.map((e) => `${e.namespace ?? '-'}: ${e.decision ?? 'pending'}${e.pending ? ' (pending)' : ''}`).join(', ')],
    ['open_findings', `${i.findings.total}${i.findings.total_exact ? '' : '+'}`],
  ];
}
