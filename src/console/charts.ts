// Charts drawn on the server as inline SVG: no script, nothing to load, and
// the numbers are in the markup (each bar's label and value are text).
import { html, type Html } from './html.js';

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** A class from the stylesheet that colours the bar (deny, warn, allow, a severity...). */
  readonly tone: string;
  readonly href?: string;
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${(counter = (counter + 1) % 1_000_000)}`;

/** Horizontal bars, one per row, each with its label and count. */
export function barChart(title: string, bars: readonly Bar[]): Html {
  if (bars.length === 0) return html`<p class="muted">${title}: nothing yet.</p>`;
  const id = nextId('chart');
  const rowHeight = 26;
  const labelWidth = 150;
  const width = 460;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * rowHeight + 4;
  const rows = bars.map((b, i) => {
    const y = i * rowHeight + 2;
    const w = Math.max(b.value > 0 ? 2 : 0, Math.round(((width - labelWidth - 70) * b.value) / max));
    const label = b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label;
    return html`<g
      ><text x="0" y="${y + 17}">${label}</text><rect class="${b.tone}" x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 8}"></rect
      ><text x="${labelWidth + w + 6}" y="${y + 17}">${b.value.toLocaleString('en-US')}</text></g
    >`;
  });
  // Links stay out of the picture (an image holds no controls): they follow it as a list.
  const linked = bars.filter((b) => b.href !== undefined);
  const list = linked.length
    ? html`<ul class="chart-links">
        ${linked.map((b) => html`<li><a href="${b.href}">${b.label}: ${b.value.toLocaleString('en-US')}</a></li>`)}
      </ul>`
    : '';
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}">
      <title id="${id}">${title}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')}</title>
      ${rows}</svg
    >${list}`;
}

export interface Point {
  readonly label: string;
  readonly value: number;
}

/** A line over time (oldest first), with the first, last and highest values written out. */
export function lineChart(title: string, points: readonly Point[]): Html {
  if (points.length === 0) return html`<p class="muted">${title}: nothing yet.</p>`;
  const id = nextId('chart');
  const width = 460;
  const height = 170;
  const left = 48;
  const bottom = 24;
  const top = 10;
  const max = Math.max(1, ...points.map((p) => p.value));
  const x = (i: number) => left + (points.length === 1 ? 0 : ((width - left - 10) * i) / (points.length - 1));
  const y = (v: number) => top + (height - top - bottom) * (1 - v / max);
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const first = points[0];
  const last = points[points.length - 1];
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}">
    <title id="${id}">${title}: ${points.map((p) => `${p.label} ${p.value}`).join(', ')}</title>
    <line class="axis" x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}" stroke="#d0d7de"></line>
    <line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#d0d7de"></line>
    <text x="0" y="${top + 10}">${max.toLocaleString('en-US')}</text>
    <text x="0" y="${height - bottom}">0</text>
    <polyline points="${line}"></polyline>
    <circle cx="${x(points.length - 1).toFixed(1)}" cy="${y(last?.value ?? 0).toFixed(1)}" r="3.5"></circle>
    <text x="${left}" y="${height - 6}">${first?.label}</text>
    <text x="${width - 90}" y="${height - 6}">${last?.label}</text>
  </svg>`;
}
