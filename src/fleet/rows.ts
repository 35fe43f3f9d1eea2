// The columns of the fleet listings: shared by the server's CSV, the CLI's table and the console so all show the same fields.
import type { Column } from '../core/index.js';
import type { Agent, Decision } from '../store/index.js';

const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
const pairs = (o: Readonly<Record<string, string>>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');

export const AGENT_COLUMNS: readonly Column<Agent>[] = [
  { header: 'id', cell: (a) => a.id },
  { header: 'opa_version', cell: (a) => a.opa_version ?? '' },
  {
    header: 'revisions',
    cell: (a) =>
      Object.entries(a.bundles)
        .map(([n, b]) => `${n}=${b.active_revision ?? ''}`)
        .join(';'),
  },
  { header: 'last_request', cell: (a) => a.last_request ?? '' },
  { header: 'last_successful_activation', cell: (a) => a.last_successful_activation ?? '' },
  {
    header: 'last_error',
    cell: (a) =>
      a.last_error ? [a.last_error.source, a.last_error.http_code, a.last_error.message ?? a.last_error.code].filter((x) => x !== undefined).join(': ') : '',
  },
  { header: 'last_seen', cell: (a) => a.last_seen },
  { header: 'token_agent', cell: (a) => a.auth?.agent ?? a.auth?.group ?? '' },
  { header: 'labels', cell: (a) => pairs(a.labels) },
];

const revisions = (d: Decision) => {
  const bundles = d['bundles'] as Record<string, { revision?: string }> | undefined;
  if (bundles)
    return Object.entries(bundles)
      .map(([n, b]) => `${n}=${b.revision ?? ''}`)
      .join(';');
  return str(d['revision']);
};

export const DECISION_COLUMNS: readonly Column<Decision>[] = [
  { header: 'id', cell: (d) => d.id },
  { header: 'timestamp', cell: (d) => str(d['timestamp']) },
  { header: 'agent_id', cell: (d) => d.agent_id },
  { header: 'decision_id', cell: (d) => str(d['decision_id']) },
  { header: 'path', cell: (d) => str(d['path']) },
  { header: 'revisions', cell: (d) => revisions(d) },
  { header: 'result', cell: (d) => json(d['result']) },
  { header: 'input', cell: (d) => json(d['input']) },
  { header: 'error', cell: (d) => json(d['error']) },
  { header: 'received_at', cell: (d) => d.received_at },
];
