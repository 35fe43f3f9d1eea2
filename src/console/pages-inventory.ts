import {
  FILTER_PARAMETERS,
  GROUP_FIELDS,
  SORT_FIELDS,
  findingQueryParams,
  imageView,
  isGroupPage,
  parseVulnerabilityQuery,
  runFindingQuery,
  vulnerabilityView,
  type FindingQuery,
} from '../inventory/index.js';
import { SEVERITIES, SEVERITY_RANK } from '../core/index.js';
import type { FindingGroup, FindingRecord, GroupPage, RunningRecord, SortField } from '../store/index.js';
import { barChart, lineChart } from './charts.js';
import { STALE_AFTER_MS, type ConsoleDependencies } from './context.js';
import { html, type Html } from './html.js';
import { decision, facts, links, severity, table } from './layout.js';

const DECISION_TONES: Readonly<Record<string, string>> = { deny: 'deny', warn: 'warn', allow: 'allow' };
const SEVERITY_NAMES = new Map(Object.entries(SEVERITY_RANK).map(([name, rank]) => [rank, name]));
const DECISION_ORDER = ['deny', 'warn', 'allow', 'unscanned', 'pending', 'unresolved'];

export async function overviewBody(deps: ConsoleDependencies): Promise<Html> {
  const inventory = deps.store.inventory;
  const now = deps.clock();
  // Totals are summed from the breakdowns rather than counted again.
  const [byDecision, counts, trend, agents] = await Promise.all([
    inventory.runningByDecision(),
    inventory.openFindingSummary(),
    inventory.denyTrend(now, 30),
    deps.store.listAgents(),
  ]);
  const decisions = [...byDecision].sort((a, b) => DECISION_ORDER.indexOf(a.decision) - DECISION_ORDER.indexOf(b.decision));
  const bySeverity = new Map<string, number>();
  const byNamespace = new Map<string, number>();
  for (const c of counts) {
    const name = SEVERITY_NAMES.get(c.severityRank) ?? 'UNKNOWN';
    bySeverity.set(name, (bySeverity.get(name) ?? 0) + c.count);
    byNamespace.set(c.namespace, (byNamespace.get(c.namespace) ?? 0) + c.count);
  }
  const namespaces = [...byNamespace].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10);
  const wall = Date.now();
  const stale = agents.filter((a) => wall - Date.parse(a.last_seen) > STALE_AFTER_MS);
  const bundles = deps.bundles().filter((b) => b.revision !== undefined);
  const sum = (rows: readonly { readonly count: number }[]) => rows.reduce((n, r) => n + r.count, 0);
  const denyNow = sum(counts.filter((c) => c.enforcement === 'deny'));
  return html`<dl class="figures" aria-label="Totals">
      <div>
        <dt>Running containers</dt>
        <dd>${sum(byDecision).toLocaleString('en-US')}</dd>
      </div>
      <div>
        <dt>Open findings</dt>
        <dd>${sum(counts).toLocaleString('en-US')}</dd>
      </div>
      <div>
        <dt>Open deny findings</dt>
        <dd>${denyNow.toLocaleString('en-US')}</dd>
      </div>
      <div>
        <dt>Agents</dt>
        <dd>${agents.length}</dd>
      </div>
      <div>
        <dt>Stale agents</dt>
        <dd>${stale.length}</dd>
      </div>
    </dl>
    <div class="grid">
      <section class="card" aria-labelledby="h-decisions">
        <h2 id="h-decisions">Running containers by decision</h2>
        ${barChart(
          'Running containers by decision',
          decisions.map((d) => ({ label: d.decision, value: d.count, tone: DECISION_TONES[d.decision] ?? 'other' })),
        )}
      </section>
      <section class="card" aria-labelledby="h-severity">
        <h2 id="h-severity">Open findings by severity</h2>
        ${barChart(
          'Open findings by severity',
          SEVERITIES.filter((s) => bySeverity.has(s)).map((s) => ({
            label: s,
            value: bySeverity.get(s) ?? 0,
            tone: s,
            href: links.findings({ severity_at_least: s }),
          })),
        )}
      </section>
      <section class="card" aria-labelledby="h-trend">
        <h2 id="h-trend">Open deny-level findings, last 30 days</h2>
        ${lineChart(
          'Open deny-level findings per day',
          trend.map((p) => ({ label: p.day, value: p.open })),
        )}
      </section>
      <section class="card" aria-labelledby="h-namespaces">
        <h2 id="h-namespaces">Open findings by namespace (top 10, all clusters)</h2>
        ${barChart(
          'Open findings by namespace',
          namespaces.map(([namespace, n]) => ({ label: namespace, value: n, tone: 'other', href: links.findings({ namespace }) })),
        )}
      </section>
    </div>
    <h2>Bundle revisions in service</h2>
    ${table(
      'Bundles and the agents running their served revision',
      ['Bundle', 'Revision', 'Published', 'Agents on it', 'Agents behind'],
      bundles.map((b) => {
        const reporting = agents.filter((a) => a.bundles[b.name] !== undefined);
        const current = reporting.filter((a) => a.bundles[b.name]?.active_revision === b.revision).length;
        return html`<tr>
          <td>${b.name}</td>
          <td class="code">${b.revision}</td>
          <td>${b.publishedAt}</td>
          <td class="num">${current}</td>
          <td class="num">${reporting.length - current}</td>
        </tr>`;
      }),
      [3, 4],
    )}
    <h2>Stale agents</h2>
    ${table(
      `Agents without a status report for ${STALE_AFTER_MS / 60_000} minutes`,
      ['Agent', 'Last seen', 'Last error'],
      stale.map(
        (a) =>
          html`<tr>
            <td>${a.id}</td>
            <td>${a.last_seen}</td>
            <td>${a.last_error?.message ?? a.last_error?.code ?? ''}</td>
          </tr>`,
      ),
    )}
    <p class="muted">As of ${now.toISOString()}; <span class="code">GET /v1/inventory</span> tells which policy revision decided it and what is pending.</p>`;
}

// --- Findings -------------------------------------------------------------------------------------------

const SELECTS: Readonly<Record<string, readonly string[]>> = {
  severity_at_least: SEVERITIES,
  fixable: ['true', 'false'],
  enforcement: ['deny', 'warn'],
  state: ['open', 'resolved', 'excepted', 'all'],
};

const LABELS: Readonly<Record<string, string>> = {
  cluster: 'Cluster',
  namespace: 'Namespace',
  environment: 'Environment',
  workload: 'Workload',
  repository: 'Repository',
  digest: 'Digest',
  rule: 'Rule',
  severity_at_least: 'Severity at least',
  id: 'Vulnerability id',
  package: 'Package',
  fixable: 'Fixable',
  age: 'Age at least (days)',
  first_seen_before: 'First seen before',
  first_seen_after: 'First seen after',
  enforcement: 'Enforcement',
  state: 'State',
};

function select(name: string, label: string, options: readonly string[], value: string | undefined, anyLabel?: string): Html {
  return html`<div>
    <label for="f-${name}">${label}</label
    ><select id="f-${name}" name="${name}">
      ${anyLabel === undefined ? '' : html`<option value="">${anyLabel}</option>`}${options.map((o) => html`<option value="${o}" ${o === value ? html`selected` : ''}>${o}</option>`)}
    </select>
  </div>`;
}

function filterForm(params: URLSearchParams, q: FindingQuery): Html {
  const fields = Object.keys(FILTER_PARAMETERS).map((name) => {
    const value = params.get(name) ?? (name === 'state' ? 'open' : undefined);
    const label = LABELS[name] ?? name;
    const options = SELECTS[name];
    if (options) return select(name, label, options, value ?? undefined, name === 'state' ? undefined : 'any');
    const hint = FILTER_PARAMETERS[name as keyof typeof FILTER_PARAMETERS];
    return html`<div>
      <label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${value ?? ''}" title="${hint}" autocomplete="off" />
    </div>`;
  });
  return html`<form class="filters" method="get" action="/ui/findings" aria-label="Filters">
    ${fields} ${select('group_by', 'Group by', GROUP_FIELDS, q.groupBy, 'no grouping')} ${select('sort', 'Sort by', SORT_FIELDS, q.sort)}
    ${select('order', 'Order', ['asc', 'desc'], q.order)} ${select('limit', 'Rows per page', ['25', '50', '100', '250', '500', '1000'], String(q.limit))}
    <div class="actions"><button type="submit">Apply</button><a class="button secondary" href="/ui/findings">Reset</a></div>
  </form>`;
}

/** The query's URL with some parameters changed (a new sort, the next page): always from the parsed query. */
export function findingsUrl(q: FindingQuery, change: Readonly<Record<string, string | undefined>>, path = '/ui/findings'): string {
  const p = findingQueryParams(q);
  p.delete('cursor');
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) p.delete(k);
    else p.set(k, v);
  }
  return `${path}?${p.toString()}`;
}

const SORT_COLUMNS: readonly (readonly [string, SortField | undefined])[] = [
  ['Severity', 'severity'],
  ['Vulnerability', 'vulnerability'],
  ['Package', 'package'],
  ['Fixed in', undefined],
  ['Age (days)', 'age'],
  ['Namespace', 'namespace'],
  ['Workload', 'workload'],
  ['Image', 'image'],
  ['Enforcement', undefined],
  ['First seen', 'first_seen'],
];

function sortHeader(q: FindingQuery, label: string, field: SortField | undefined): Html | string {
  if (field === undefined) return label;
  const active = q.sort === field;
  const order = active && q.order === 'desc' ? 'asc' : active ? 'desc' : undefined;
  const arrow = active ? (q.order === 'desc' ? ' ▼' : ' ▲') : '';
  const sortState = active ? (q.order === 'desc' ? 'descending' : 'ascending') : 'not sorted';
  return html`<a href="${findingsUrl(q, { sort: field, order })}" aria-label="${label}, ${sortState}; sort">${label}${arrow}</a>`;
}

export function findingRow(f: FindingRecord): Html {
  const workload = { cluster: f.cluster, namespace: f.namespace, kind: f.workload_kind, name: f.workload_name };
  return html`<tr>
    <td>${severity(f.severity)}</td>
    <td>
      ${f.vulnerability_id ? html`<a href="${links.vulnerability(f.vulnerability_id)}">${f.vulnerability_id}</a>` : html`<span title="${f.message}">${f.rule}</span>`}
    </td>
    <td>${f.package ?? ''} <span class="muted">${f.installed_version ?? ''}</span></td>
    <td>${f.fixed_version ?? ''}</td>
    <td class="num">${f.age_days}</td>
    <td>${f.cluster}/${f.namespace}</td>
    <td><a href="${links.workload(workload)}">${f.workload_kind}/${f.workload_name}</a> <span class="muted">${f.container}</span></td>
    <td>${f.digest ? html`<a class="code" href="${links.image(f.digest)}">${f.image}</a>` : f.image}</td>
    <td>${decision(f.enforcement)}${f.state === 'open' ? '' : html` <span class="muted">${f.state}</span>`}</td>
    <td>${f.first_seen.slice(0, 10)}</td>
  </tr>`;
}

export function findingTable(caption: string, findings: readonly FindingRecord[], q?: FindingQuery): Html {
  return table(
    caption,
    SORT_COLUMNS.map(([label, field]) => (q ? sortHeader(q, label, field) : label)),
    findings.map(findingRow),
    [4],
  );
}

function groupKeyCell(key: string, value: string | null, g: FindingGroup): Html | string {
  if (value === null || value === '') return '—';
  if (key === 'vulnerability_id') return html`<a href="${links.vulnerability(value)}">${value}</a>`;
  if (key === 'digest') return html`<a class="code" href="${links.image(value)}">${value}</a>`;
  if (key === 'workload_name' || key === 'name') {
    const k = g.key;
    const cluster = k['cluster'];
    const namespace = k['namespace'];
    const kind = k['workload_kind'] ?? k['kind'];
    if (cluster && namespace && kind) return html`<a href="${links.workload({ cluster, namespace, kind, name: value })}">${value}</a>`;
  }
  return value;
}

function groupTable(q: FindingQuery, page: GroupPage): Html {
  const keys = page.groups[0] ? Object.keys(page.groups[0].key) : [q.groupBy ?? ''];
  return table(
    `Open findings grouped by ${q.groupBy ?? ''}`,
    [...keys, 'Findings', 'Deny', 'Warn', 'Worst severity', 'Workloads'],
    page.groups.map(
      (g) =>
        html`<tr>
          ${keys.map((k) => html`<td>${groupKeyCell(k, g.key[k] ?? null, g)}</td>`)}
          <td class="num">${g.findings}</td>
          <td class="num">${g.deny}</td>
          <td class="num">${g.warn}</td>
          <td>${severity(g.max_severity)}</td>
          <td class="num">${g.workloads}</td>
        </tr>`,
    ),
    [keys.length, keys.length + 1, keys.length + 2, keys.length + 4],
  );
}

export async function findingsBodyHtml(deps: ConsoleDependencies, params: URLSearchParams, q: FindingQuery): Promise<Html> {
  const page = await runFindingQuery(deps.store.inventory, q, deps.clock());
  const grouped = isGroupPage(page);
  const count = grouped ? page.groups.length : page.findings.length;
  const total = grouped ? '' : html` of ${page.total.toLocaleString('en-US')}${page.total_exact ? '' : '+'}`;
  const next =
    page.next_cursor === undefined ? '' : html`<a class="button secondary" rel="next" href="${findingsUrl(q, { cursor: page.next_cursor })}">Next page</a>`;
  const first = q.cursor === undefined ? '' : html`<a class="button secondary" href="${findingsUrl(q, {})}">First page</a>`;
  return html`${filterForm(params, q)}
    <div class="bar" role="status">
      <span>Showing ${count.toLocaleString('en-US')}${total} ${grouped ? 'groups' : 'findings'}</span>
      <a href="${findingsUrl(q, { limit: undefined }, '/ui/findings.csv')}" download>Download CSV</a>
      <a href="${findingsUrl(q, { limit: undefined }, '/ui/findings.json')}" download>Download JSON</a>
      <span class="muted">(every matching row; the API: <span class="code">GET ${findingsUrl(q, {}, '/v1/findings')}</span>)</span>
    </div>
    ${grouped ? groupTable(q, page) : findingTable('Findings', page.findings, q)}
    <div class="bar">${first}${next}</div>`;
}

// --- One vulnerability, one image, one workload -----------------------------------------------------------

/** A list of the CVE page is its first entries; the grouping of the CVE's findings pages through all of them. */
function more(id: string, shown: number, total: number, groupBy: string, noun: string): Html | string {
  if (shown >= total) return '';
  return html`<p class="muted">
    The first ${shown} of ${total.toLocaleString('en-US')} ${noun};
    <a href="${links.findings({ id, group_by: groupBy })}">all of them, grouped by ${groupBy}</a>.
  </p>`;
}

export async function vulnerabilityBody(deps: ConsoleDependencies, id: string): Promise<Html> {
  const v = await vulnerabilityView(deps.store, parseVulnerabilityQuery(id, {}));
  return html`${facts([
      ['Title', v.title],
      ['Severity', severity(v.severity)],
      ['Highest CVSS score', v.max_cvss_score === null ? '' : String(v.max_cvss_score)],
      ['Published', v.published],
      ['First seen running', v.first_seen],
      ['Fixed versions', v.fixed_versions.join(', ') || 'none known'],
      ['Packages', v.packages.map((p) => `${p.name} ${p.installed_version}${p.fixed_version ? ` → ${p.fixed_version}` : ''}`).join(', ')],
    ])}
    <p><a href="${links.findings({ id: v.id })}">Every finding of ${v.id}</a> (${v.counts.findings.toLocaleString('en-US')})</p>
    <h2>Affected images</h2>
    ${more(v.id, v.images.length, v.counts.images, 'image', 'images')}
    ${table(
      `Images with ${v.id}`,
      ['Image', 'Digest', 'Workloads', 'Namespaces', 'First seen'],
      v.images.map(
        (i) =>
          html`<tr>
            <td>${i.image}</td>
            <td>${i.digest ? html`<a class="code" href="${links.image(i.digest)}">${i.digest}</a>` : '—'}</td>
            <td class="num">${i.workloads}</td>
            <td class="num">${i.namespaces}</td>
            <td>${i.first_seen}</td>
          </tr>`,
      ),
      [2, 3],
    )}
    <h2>Namespaces</h2>
    ${more(v.id, v.namespaces.length, v.counts.namespaces, 'namespace', 'namespaces')}
    ${table(
      `Namespaces running ${v.id}`,
      ['Cluster', 'Namespace', 'Environment', 'Findings'],
      v.namespaces.map(
        (n) =>
          html`<tr>
            <td>${n.cluster}</td>
            <td><a href="${links.findings({ id: v.id, cluster: n.cluster, namespace: n.namespace })}">${n.namespace}</a></td>
            <td>${n.environment ?? ''}</td>
            <td class="num">${n.findings}</td>
          </tr>`,
      ),
      [3],
    )}
    <h2>Workloads</h2>
    ${more(v.id, v.workloads.length, v.counts.workloads, 'workload', 'containers')}
    ${table(
      `Workloads running ${v.id}`,
      ['Workload', 'Container', 'Namespace', 'Enforcement', 'State', 'First seen'],
      v.workloads.map(
        (w) =>
          html`<tr>
            <td><a href="${links.workload(w)}">${w.kind}/${w.name}</a></td>
            <td>${w.container}</td>
            <td>${w.cluster}/${w.namespace}</td>
            <td>${decision(w.enforcement)}</td>
            <td>${w.state}</td>
            <td>${w.first_seen}</td>
          </tr>`,
      ),
    )}`;
}

function runningTable(caption: string, rows: readonly RunningRecord[]): Html {
  return table(
    caption,
    ['Workload', 'Container', 'Namespace', 'Environment', 'Replicas', 'Source', 'First seen'],
    rows.map(
      (r) =>
        html`<tr>
          <td><a href="${links.workload(r)}">${r.kind}/${r.name}</a></td>
          <td>${r.container}</td>
          <td>${r.cluster}/${r.namespace}</td>
          <td>${r.environment ?? ''}</td>
          <td class="num">${r.replicas}</td>
          <td>${r.source}</td>
          <td>${r.first_seen}</td>
        </tr>`,
    ),
    [4],
  );
}

export async function imageBody(deps: ConsoleDependencies, digest: string): Promise<Html> {
  const view = await imageView(deps.store, digest, deps.clock());
  const name = view.running[0]?.image ?? view.scans[0]?.image ?? '';
  return html`${facts([
      ['Image', name],
      ['Digest', html`<span class="code">${view.digest}</span>`],
      ['Open findings', `${view.findings.total}${view.findings.total_exact ? '' : '+'}`],
      ['Running containers', String(view.running.length)],
    ])}
    <p><a href="${links.findings({ digest: view.digest })}">Every finding of this image</a></p>
    <h2>Decisions</h2>
    ${table(
      'Decisions per namespace context',
      ['Namespace', 'Environment', 'Decision', 'Violations', 'Warnings', 'Revision', 'Evaluated'],
      view.evaluations.map(
        (e) =>
          html`<tr>
            <td>${e.cluster ?? ''}/${e.namespace ?? ''}</td>
            <td>${e.environment ?? ''}</td>
            <td>${decision(e.decision ?? 'pending')}${e.pending ? ' (pending)' : ''}</td>
            <td class="num">${e.violations}</td>
            <td class="num">${e.warnings}</td>
            <td class="code">${e.revision ?? ''}</td>
            <td>${e.evaluated_at ?? ''}</td>
          </tr>`,
      ),
      [3, 4],
    )}
    <h2>Where it runs</h2>
    ${runningTable('Running containers of this image', view.running)}
    <h2>Findings</h2>
    ${findingTable(`The worst ${view.findings.findings.length} open or excepted findings`, view.findings.findings)}
    <h2>Scans over time</h2>
    ${table(
      'Scans of this digest, newest first',
      ['Stored', 'Image', 'Reports', 'Input warnings', 'Decision at upload'],
      view.scans.map(
        (s) =>
          html`<tr>
            <td>${s.stored_at}</td>
            <td>${s.image}</td>
            <td>${s.reports.map((r) => r.format ?? '?').join(', ')}</td>
            <td class="num">${s.input_warnings}</td>
            <td>${s.decision ? decision(s.decision) : ''}</td>
          </tr>`,
      ),
      [3],
    )}
    ${
      view.gone.length
        ? html`<h2>Gone</h2>
            ${runningTable('Containers of this image that stopped running', view.gone)}`
        : ''
    }`;
}

export interface WorkloadRef {
  readonly cluster: string;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
}

/** A workload: its containers (from the namespace's running list) and its findings (the finding query, filtered by Kind/name). */
export async function workloadBody(deps: ConsoleDependencies, w: WorkloadRef, q: FindingQuery): Promise<Html> {
  const [running, page] = await Promise.all([
    deps.store.inventory.runningOf({ cluster: w.cluster, namespace: w.namespace, live: true }, 10_000),
    runFindingQuery(deps.store.inventory, q, deps.clock()),
  ]);
  const containers = running.filter((r) => r.kind === w.kind && r.name === w.name);
  const findings = isGroupPage(page) ? [] : page.findings;
  const total = isGroupPage(page) ? 0 : page.total;
  return html`${facts([
      ['Cluster', w.cluster],
      ['Namespace', w.namespace],
      ['Environment', containers[0]?.environment ?? ''],
      ['Open findings', String(total)],
    ])}
    <p><a href="${findingsUrl(q, {})}">Every finding of this workload</a></p>
    <h2>Containers</h2>
    ${table(
      'Running containers',
      ['Container', 'Type', 'Image', 'Replicas', 'Source', 'First seen'],
      containers.map(
        (r) =>
          html`<tr>
            <td>${r.container}</td>
            <td>${r.container_type}</td>
            <td>
              ${r.digest ? html`<a class="code" href="${links.image(r.digest)}">${r.image}</a>` : html`${r.image} <span class="muted">(digest unresolved)</span>`}
            </td>
            <td class="num">${r.replicas}</td>
            <td>${r.source}</td>
            <td>${r.first_seen}</td>
          </tr>`,
      ),
      [3],
    )}
    <h2>Findings</h2>
    ${findingTable(`The first ${findings.length} open findings, worst first`, findings)}`;
}
