import { DECISION_COLUMNS, parseDecisionQuery } from '../fleet/index.js';
import type { Agent } from '../store/index.js';
import type { BundleState } from '../bundle/index.js';
import { STALE_AFTER_MS, type ConsoleDependencies } from './context.js';
import { html, type Html } from './html.js';
import { table } from './layout.js';

const kib = (n: number | undefined) => (n === undefined ? '' : `${(n / 1024).toFixed(1)} KiB`);

/** For each served bundle, whether an agent that reports it runs the served revision. */
function behind(agent: Agent, bundles: readonly BundleState[]): string[] {
  return bundles
    .filter((b) => b.revision !== undefined && agent.bundles[b.name] !== undefined && agent.bundles[b.name]?.active_revision !== b.revision)
    .map((b) => b.name);
}

export async function fleetBody(deps: ConsoleDependencies): Promise<Html> {
  const agents = await deps.store.listAgents();
  const bundles = deps.bundles();
  const wall = Date.now();
  const lagging = agents.filter((a) => behind(a, bundles).length > 0);
  return html`<dl class="figures" aria-label="Fleet totals">
      <div>
        <dt>Agents</dt>
        <dd>${agents.length}</dd>
      </div>
      <div>
        <dt>Behind the served revision</dt>
        <dd>${lagging.length}</dd>
      </div>
      <div>
        <dt>Stale (no status for ${STALE_AFTER_MS / 60_000} min)</dt>
        <dd>${agents.filter((a) => wall - Date.parse(a.last_seen) > STALE_AFTER_MS).length}</dd>
      </div>
    </dl>
    <p class="muted">The same rows as <span class="code">GET /v1/agents</span>.</p>
    ${table(
      'Agents that reported status',
      ['Agent', 'Labels', 'OPA', 'Active revision per bundle', 'Behind', 'Last activation', 'Last error', 'Last seen'],
      agents.map((a) => {
        const late = behind(a, bundles);
        return html`<tr>
          <td>${a.id}</td>
          <td>
            ${Object.entries(a.labels)
              .filter(([k]) => k !== 'id')
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}
          </td>
          <td>${a.opa_version ?? ''}</td>
          <td>${Object.entries(a.bundles).map(([name, b]) => html`<div><span class="code">${name}</span>: ${b.active_revision ?? '—'}</div>`)}</td>
          <td>${late.length ? html`<span class="dec dec-warn">behind: ${late.join(', ')}</span>` : 'current'}</td>
          <td>${a.last_successful_activation ?? ''}</td>
          <td>
            ${
              a.last_error
                ? [a.last_error.source, a.last_error.http_code, a.last_error.message ?? a.last_error.code].filter((x) => x !== undefined).join(': ')
                : ''
            }
          </td>
          <td>${a.last_seen}</td>
        </tr>`;
      }),
    )}`;
}

export function bundlesBody(deps: ConsoleDependencies): Html {
  const bundles = deps.bundles();
  return html`<p class="muted">The same bundles as <span class="code">GET /v1/bundles</span>; revisions listed are those published since the server started.</p>
    ${bundles.map(
      (b) =>
        html`<section class="card" aria-labelledby="b-${b.name}">
          <h2 id="b-${b.name}">${b.name}</h2>
          <dl class="facts">
            <dt>Revision</dt>
            <dd class="code">${b.revision ?? 'not served'}</dd>
            <dt>Size</dt>
            <dd>${kib(b.size)}</dd>
            <dt>Published</dt>
            <dd>${b.publishedAt ?? ''}</dd>
            <dt>Signing key id</dt>
            <dd>${b.keyid ?? (b.signed ? 'signed (signatures are not verified by this server)' : 'unsigned')}</dd>
            <dt>Roots</dt>
            <dd class="code">${(b.roots ?? []).map((r) => (r === '' ? '(everything)' : r)).join(', ')}</dd>
            <dt>Entrypoints</dt>
            <dd class="code">${(b.entrypoints ?? []).join(', ') || '—'}</dd>
            ${
              b.lastError
                ? html`<dt>Last error</dt>
                    <dd class="error">${b.lastError} (${b.lastErrorAt ?? ''})</dd>`
                : ''
            }
          </dl>
          ${table(
            `Revisions of ${b.name}, newest first`,
            ['Revision', 'ETag', 'Size', 'Published'],
            (b.history ?? []).map(
              (r) =>
                html`<tr>
                  <td class="code">${r.revision}</td>
                  <td class="code">${r.etag}</td>
                  <td class="num">${kib(r.size)}</td>
                  <td>${r.publishedAt}</td>
                </tr>`,
            ),
            [2],
          )}
        </section>`,
    )}`;
}

const DECISION_FIELDS: readonly (readonly [string, string, string])[] = [
  ['since', 'Since', 'RFC 3339 time or epoch milliseconds'],
  ['until', 'Until', 'RFC 3339 time or epoch milliseconds'],
  ['path', 'Path', 'e.g. portcullis/image/decision'],
  ['result', 'Result', 'JSON equality, e.g. true or {"allow":false}'],
  ['revision', 'Revision', 'any bundle revision'],
  ['agent', 'Agent', "labels.id or the token's agent"],
];

export async function decisionsBody(
  deps: ConsoleDependencies,
  params: URLSearchParams,
  raw: Readonly<Record<string, string | string[] | undefined>>,
): Promise<Html> {
  const query = parseDecisionQuery(raw, deps.decisionLimits);
  const page = await deps.store.queryDecisions(query);
  const columns = DECISION_COLUMNS.filter((c) => c.header !== 'input');
  const nextParams = new URLSearchParams(params);
  if (page.next_cursor !== undefined) nextParams.set('cursor', page.next_cursor);
  const extra = [...params.keys()].filter((k) => k.startsWith('label.') || k.startsWith('input.'));
  return html`<form class="filters" method="get" action="/ui/decisions" aria-label="Filters">
      ${DECISION_FIELDS.map(
        ([name, label, hint]) =>
          html`<div>
            <label for="d-${name}">${label}</label><input id="d-${name}" name="${name}" value="${params.get(name) ?? ''}" title="${hint}" autocomplete="off" />
          </div>`,
      )}
      ${extra.map((k) => html`<div><label for="d-${k}">${k}</label><input id="d-${k}" name="${k}" value="${params.get(k) ?? ''}" /></div>`)}
      <div>
        <label for="d-order">Order</label
        ><select id="d-order" name="order">
          ${['desc', 'asc'].map(
            (o) => html`<option value="${o}" ${query.order === o ? html`selected` : ''}>${o === 'desc' ? 'newest first' : 'oldest first'}</option>`,
          )}
        </select>
      </div>
      <div>
        <label for="d-limit">Rows per page</label
        ><select id="d-limit" name="limit">
          ${['25', '100', '250', '1000']
            .filter((l) => Number(l) <= deps.decisionLimits.maxLimit)
            .map((l) => html`<option value="${l}" ${String(query.limit) === l ? html`selected` : ''}>${l}</option>`)}
        </select>
      </div>
      <div class="actions"><button type="submit">Apply</button><a class="button secondary" href="/ui/decisions">Reset</a></div>
    </form>
    <div class="bar" role="status">
      <span>Showing ${page.decisions.length} decisions</span
      ><span class="muted"
        >(the API: <span class="code">GET /v1/decisions?${stripCursor(params)}</span>; label.&lt;name&gt; and input.&lt;path&gt; filters work in the URL
        too)</span
      >
    </div>
    ${table(
      'Decision-log events',
      columns.map((c) => c.header),
      page.decisions.map(
        (d) =>
          html`<tr>
            ${columns.map((c) => html`<td ${c.header === 'result' || c.header === 'id' ? html`class="code"` : ''}>${shorten(c.cell(d))}</td>`)}
          </tr>`,
      ),
    )}
    <div class="bar">
      ${params.has('cursor') ? html`<a class="button secondary" href="/ui/decisions?${stripCursor(params)}">First page</a>` : ''}${
        page.next_cursor === undefined ? '' : html`<a class="button secondary" rel="next" href="/ui/decisions?${nextParams.toString()}">Next page</a>`
      }
    </div>`;
}

function stripCursor(params: URLSearchParams): string {
  const p = new URLSearchParams(params);
  p.delete('cursor');
  return p.toString();
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
