// The console's one stylesheet, served from /ui/assets/ under its content hash
// (a strict Content-Security-Policy allows styles from the server only).
import { createHash } from 'node:crypto';

export const STYLESHEET = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de; --link: #0645ad;
  --deny: #b3261e; --warn: #8a5a00; --allow: #1a7f37; --other: #57606a; --focus: #0a58ca; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: .5rem 1rem; }
.skip:focus { left: .5rem; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem 1.25rem; padding: .6rem 1rem; background: #24292f; color: #fff; }
header.top .brand { font-weight: 700; color: #fff; text-decoration: none; margin-right: .5rem; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem .9rem; list-style: none; margin: 0; padding: 0; }
header.top nav a { color: #fff; text-decoration: none; padding: .2rem 0; display: inline-block; }
header.top nav a[aria-current="page"] { border-bottom: 2px solid #fff; }
header.top form { margin-left: auto; }
header.top button { background: transparent; color: #fff; border: 1px solid #fff; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: .25rem 0 1rem; word-break: break-word; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; background: var(--bg); min-width: 0; }
.card h2 { margin-top: 0; }
.figures { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: 0; }
.figures div { min-width: 7rem; }
.figures dt { color: var(--muted); font-size: .85rem; }
.figures dd { margin: 0; font-size: 1.4rem; font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
caption { text-align: left; padding: .5rem .75rem; color: var(--muted); }
th, td { text-align: left; padding: .35rem .6rem; border-top: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); border-top: 0; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code, .code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; word-break: break-all; }
.sev, .dec { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; font-weight: 600; border: 1px solid currentColor; }
.sev-CRITICAL, .dec-deny { color: var(--deny); }
.sev-HIGH, .dec-warn { color: var(--warn); }
.dec-allow { color: var(--allow); }
.sev-MEDIUM, .sev-LOW, .sev-NEGLIGIBLE, .sev-UNKNOWN, .dec-other { color: var(--other); }
form.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: .5rem 1rem; padding: .75rem 1rem; background: var(--panel);
  border: 1px solid var(--line); border-radius: 6px; margin-bottom: 1rem; }
form.filters .actions { display: flex; gap: .5rem; align-items: end; flex-wrap: wrap; }
label { display: block; font-size: .85rem; color: var(--fg); }
input, select, button { font: inherit; padding: .3rem .45rem; border: 1px solid #8c959f; border-radius: 4px; background: #fff; color: var(--fg); width: 100%; min-height: 2.1rem; }
button, .button { width: auto; cursor: pointer; background: #1f6feb; color: #fff; border-color: #1f6feb; padding: .3rem .9rem; border-radius: 4px; text-decoration: none; display: inline-block; }
.button.secondary { background: #fff; color: var(--link); border: 1px solid #8c959f; }
.bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .75rem 0; }
.muted { color: var(--muted); }
.error { border: 1px solid var(--deny); color: var(--deny); background: #fff5f5; padding: .6rem .9rem; border-radius: 6px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--fg); }
svg.chart .axis { stroke: var(--line); }
svg.chart .deny { fill: var(--deny); } svg.chart .warn { fill: var(--warn); } svg.chart .allow { fill: var(--allow); } svg.chart .other { fill: var(--other); }
svg.chart .CRITICAL { fill: var(--deny); } svg.chart .HIGH { fill: var(--warn); } svg.chart .MEDIUM { fill: #9a6700; } svg.chart .LOW, svg.chart .NEGLIGIBLE, svg.chart .UNKNOWN { fill: var(--other); }
svg.chart polyline { fill: none; stroke: var(--deny); stroke-width: 2; }
svg.chart circle { fill: var(--deny); }
ul.chart-links { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; margin: .5rem 0 0; font-size: .9rem; }
.login { max-width: 26rem; margin: 3rem auto; }
.login form { display: grid; gap: .75rem; }
@media (max-width: 640px) {
  main { padding: .6rem; }
  header.top form { margin-left: 0; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .4rem; }
}
`;

export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#24292f"/><path d="M3 4h10M3 8h10M3 12h10M5 2v12M11 2v12" stroke="#fff" stroke-width="1.5"/></svg>`;

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Asset paths carry their content hash, so they can be cached for good. */
export const ASSETS = {
  stylesheet: { path: `/ui/assets/console-${hash(STYLESHEET)}.css`, type: 'text/css; charset=utf-8', body: STYLESHEET },
  favicon: { path: `/ui/assets/favicon-${hash(FAVICON)}.svg`, type: 'image/svg+xml', body: FAVICON },
} as const;
