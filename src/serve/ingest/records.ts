import { AppError } from '../../core/index.js';
import type { AgentState, AuthIdentity, BundleReport, DecisionRecord, ReportedError, StatusRecord } from '../../store/index.js';
import type { BundleStatusV1, EventV1, UpdateRequestV1 } from './schemas.js';

/** Go's zero time: OPA sends it for events that have not happened yet. */
const ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;
const when = (t: string | undefined) => (t === undefined || ZERO_TIME.test(t) ? undefined : t);

function bundleReport(b: BundleStatusV1, source: string): BundleReport {
  const fields: Record<string, unknown> = {
    active_revision: b.active_revision || undefined,
    type: b.type || undefined,
    size: b.size,
    last_request: when(b.last_request),
    last_successful_request: when(b.last_successful_request),
    last_successful_download: when(b.last_successful_download),
    last_successful_activation: when(b.last_successful_activation),
    error: errorOf(b, source),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** OPA sets code, message, http_code or errors only on failure. */
function errorOf(e: { code?: string; message?: string; http_code?: number; errors?: readonly unknown[] }, source: string): ReportedError | undefined {
  if (!e.code && !e.message && e.http_code === undefined && !e.errors?.length) return undefined;
  return {
    source,
    ...(e.code ? { code: e.code } : {}),
    ...(e.message ? { message: e.message } : {}),
    ...(e.http_code === undefined ? {} : { http_code: e.http_code }),
    ...(e.errors?.length ? { errors: e.errors } : {}),
  };
}

const latest = (values: (string | undefined)[]) => values.filter((v): v is string => v !== undefined).sort((a, b) => Date.parse(b) - Date.parse(a))[0];

/** Normalises a status update into what the fleet view shows; Prometheus metrics are not kept. */
export function statusRecord(u: UpdateRequestV1, partition: string | undefined, auth: AuthIdentity | undefined, receivedAt: Date): StatusRecord {
  const bundles: Record<string, BundleReport> = {};
  for (const [name, b] of Object.entries(u.bundles ?? {}).sort(([a], [b]) => a.localeCompare(b))) bundles[name] = bundleReport(b, name);
  if (u.bundle && Object.keys(bundles).length === 0) bundles[u.bundle.name || 'bundle'] = bundleReport(u.bundle, u.bundle.name || 'bundle');
  const discovery = u.discovery ? bundleReport(u.discovery, 'discovery') : undefined;
  const reports = [...Object.values(bundles), ...(discovery ? [discovery] : [])];
  const plugins = u.plugins ? Object.fromEntries(Object.entries(u.plugins).map(([k, v]) => [k, { state: v.state ?? 'UNKNOWN' }])) : undefined;
  const lastError = reports.find((r) => r.error)?.error ?? (u.decision_logs ? errorOf(u.decision_logs, 'decision_logs') : undefined);
  const lastRequest = latest(reports.map((r) => r.last_request));
  const lastActivation = latest(reports.map((r) => r.last_successful_activation));
  const state: AgentState = {
    bundles,
    ...(discovery ? { discovery } : {}),
    ...(plugins ? { plugins } : {}),
    ...(lastRequest ? { last_request: lastRequest } : {}),
    ...(lastActivation ? { last_successful_activation: lastActivation } : {}),
    ...(lastError ? { last_error: lastError } : {}),
  };
  const { id, version } = u.labels;
  return {
    agentId: id,
    labels: u.labels,
    ...(version ? { opaVersion: version } : {}),
    ...(partition ? { partition } : {}),
    ...(auth ? { auth } : {}),
    receivedAt,
    state,
  };
}

/** Converts a whole batch, refusing it if any timestamp is not a real date (nothing is stored then). */
export function decisionRecords(events: readonly EventV1[], auth: AuthIdentity | undefined): DecisionRecord[] {
  const bad = events.findIndex((e) => Number.isNaN(Date.parse(e.timestamp)));
  if (bad >= 0) throw new AppError('INPUT_INVALID', `decision log batch is invalid: /${bad}/timestamp is not a valid date`);
  return events.map((e) => decisionRecord(e, auth));
}

/** Splits an event into indexed fields and the rest, kept as sent. Paths are stored without a leading '/'. */
export function decisionRecord(e: EventV1, auth: AuthIdentity | undefined): DecisionRecord {
  const { labels, decision_id, path, revision, bundles, input, result, ...rest } = e;
  return {
    agentId: labels.id,
    labels,
    timestamp: new Date(Date.parse(e.timestamp)),
    rest,
    ...(decision_id ? { decisionId: decision_id } : {}),
    ...(path ? { path: path.replace(/^\/+/, '') } : {}),
    ...(revision ? { revision } : {}),
    ...(bundles ? { bundles } : {}),
    ...(input === undefined ? {} : { input }),
    ...(result === undefined ? {} : { result }),
    ...(auth ? { auth } : {}),
  };
}
