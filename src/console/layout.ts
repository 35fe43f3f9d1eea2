import { html, type Fragment, type Html } from './html.js';
import { ASSETS } from './style.js';

export type Section = 'overview' | 'findings' | 'fleet' | 'bundles' | 'decisions' | 'login' | 'none';

const NAV: readonly (readonly [Section, string, string])[] = [
  ['overview', '/ui/', 'Overview'],
  ['findings', '/ui/findings', 'Findings'],
  ['fleet', '/ui/fleet', 'Fleet'],
  ['bundles', '/ui/bundles', 'Bundles'],
  ['decisions', '/ui/decisions', 'Decisions'],
];

export interface PageOptions {
  readonly title: string;
  readonly section: Section;
  /** Whether a sign-out button is shown (a login is in use). */
  readonly signOut?: boolean;
}

/** The page shell: a skip link, the navigation, one main landmark. No scripts, one stylesheet. */
export function page(options: PageOptions, body: Fragment): Html {
  const nav =
    options.section === 'login'
      ? ''
      : html`<nav aria-label="Console">
          <ul>
            ${NAV.map(([section, href, label]) => html`<li><a href="${href}" ${section === options.section ? html`aria-current="page"` : ''}>${label}</a></li>`)}
          </ul>
        </nav>`;
  const signOut = options.signOut ? html`<form method="post" action="/ui/logout"><button type="submit">Sign out</button></form>` : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · portcullis</title>
        <link rel="stylesheet" href="${ASSETS.stylesheet.path}" />
        <link rel="icon" href="${ASSETS.favicon.path}" type="image/svg+xml" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top"><a class="brand" href="/ui/">portcullis</a>${nav}${signOut}</header>
        <main id="main" tabindex="-1">
          <h1>${options.title}</h1>
          ${body}
        </main>
      </body>
    </html> `;
}

/** A table with a caption and header cells; rows are markup already. */
export function table(caption: Fragment, headers: readonly (string | Html)[], rows: readonly Html[], numeric: readonly number[] = []): Html {
  if (rows.length === 0) return html`<p class="muted">${caption}: none.</p>`;
  return html`<div class="table-wrap">
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${headers.map((h, i) => html`<th scope="col" ${numeric.includes(i) ? html`class="num"` : ''}>${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

export function facts(pairs: readonly (readonly [string, Fragment])[]): Html {
  return html`<dl class="facts">
    ${pairs.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v === '' || v === null || v === undefined ? '—' : v}</dd>`,
    )}
  </dl>`;
}

export function severity(value: string): Html {
  return html`<span class="sev sev-${/^[A-Z]+$/.test(value) ? value : 'UNKNOWN'}">${value}</span>`;
}

export function decision(value: string): Html {
  const cls = value === 'deny' || value === 'warn' || value === 'allow' ? value : 'other';
  return html`<span class="dec dec-${cls}">${value}</span>`;
}

/** Links into the console for the things pages point at each other with. */
export const links = {
  vulnerability: (id: string) => `/ui/vulnerabilities/${encodeURIComponent(id)}`,
  image: (digest: string) => `/ui/images/${encodeURIComponent(digest)}`,
  workload: (w: { readonly cluster: string; readonly namespace: string; readonly kind: string; readonly name: string }) =>
    `/ui/workloads/${[w.cluster, w.namespace, w.kind, w.name].map(encodeURIComponent).join('/')}`,
  findings: (params: Readonly<Record<string, string>>) => `/ui/findings?${new URLSearchParams(params).toString()}`,
};
