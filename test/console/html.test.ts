import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, html, join } from '../../src/console/index.js';
import { barChart, lineChart } from '../../src/console/charts.js';
import { page, links } from '../../src/console/layout.js';

const HOSTILE = `<script>alert("x")</script>' onmouseover='x' &amp;`;

describe('console HTML', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const out = html`<p title="${HOSTILE}">${HOSTILE}</p>`.text;
    assert.equal(
      out,
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x&#39; &amp;amp;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x&#39; &amp;amp;</p>',
    );
    assert.doesNotMatch(out, /<script>/);
  });

  it('keeps markup built with the tag, and escapes lists item by item', () => {
    const inner = html`<b>${'<i>'}</b>`;
    assert.equal(html`<p>${inner}</p>`.text, '<p><b>&lt;i&gt;</b></p>');
    // prettier-ignore
    assert.equal(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.text, '<ul>&lt;a&gt;<li>ok</li></ul>');
    // prettier-ignore
    assert.equal(join(['a<', html`<br>`], ', ').text, 'a&lt;, <br>');
  });

  it('renders nothing for null, undefined and false, and numbers as text', () => {
    assert.equal(html`${null}${undefined}${false}${0}${42}`.text, '042');
  });

  it('a string that looks like markup stays text: only the tag makes markup', () => {
    const fake = { text: '<script>1</script>', toString: () => '<script>1</script>' };
    assert.equal(html`${fake as unknown as string}`.text, '&lt;script&gt;1&lt;/script&gt;');
    assert.equal(escapeHtml(`"'<>&`), '&quot;&#39;&lt;&gt;&amp;');
  });

  it('charts escape their labels and carry an accessible name', () => {
    const svg = barChart('Findings <by> namespace', [{ label: '<img src=x>', value: 3, tone: 'deny', href: '/ui/findings?namespace="x"' }]).text;
    assert.match(svg, /role="img" aria-labelledby="(chart-\d+)">\s*<title id="\1">Findings &lt;by&gt; namespace: &lt;img src=x&gt; 3<\/title>/);
    assert.doesNotMatch(svg, /<img/);
    const [picture, after] = svg.split(/<\/svg\s*>/) as [string, string];
    assert.doesNotMatch(picture, /<a /, 'no control inside the image');
    assert.match(after, /<a href="\/ui\/findings\?namespace=&quot;x&quot;">&lt;img src=x&gt;: 3<\/a>/);
    const line = lineChart('Trend', [
      { label: '2026-11-01', value: 1 },
      { label: '2026-11-02', value: 4 },
    ]).text;
    assert.match(line, /<polyline points="48\.0,[\d.]+ 450\.0,10\.0"><\/polyline>/);
    assert.match(lineChart('Empty', []).text, /nothing yet/);
  });

  it('the page shell has a language, a skip link, one main landmark, no script and no inline style', () => {
    const out = page({ title: '<T>', section: 'findings', signOut: true }, html`<p>body</p>`).text;
    assert.match(out, /<html lang="en">/);
    assert.match(out, /<title>&lt;T&gt; · portcullis<\/title>/);
    assert.match(out, /<a class="skip" href="#main">Skip to content<\/a>/);
    assert.match(out, /<a href="\/ui\/findings" aria-current="page">Findings<\/a>/);
    assert.equal(out.match(/<main/g)?.length, 1);
    assert.doesNotMatch(out, /<script|style=/);
    assert.match(out, /<form method="post" action="\/ui\/logout">/);
  });

  it('links encode every path segment', () => {
    assert.equal(links.workload({ cluster: 'c/1', namespace: 'ns', kind: 'Deployment', name: 'a b' }), '/ui/workloads/c%2F1/ns/Deployment/a%20b');
    assert.equal(links.vulnerability('GHSA-x/y'), '/ui/vulnerabilities/GHSA-x%2Fy');
  });
});
