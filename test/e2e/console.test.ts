// The web console in a real browser (Debian's chromium through playwright-core)
// against a real `portcullis serve` with auth.required, loaded with the real
// juice-shop Trivy report, a pod snapshot, the real Trivy Operator report,
// two agents' status and a few decision-log events (synthetic, made here).
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, launchChromium } from '../helpers/browser.js';
import { REAL_REPORTS } from '../helpers/fixtures.js';
import { REPO, waitFor } from '../helpers/processes.js';
import { cli, JUICE_SHOP, operatorReport, project, serve, snapshot, type Portcullis, type Project } from './inventory-scenario.js';

const SHOTS = join(REPO, 'test-output', 'console');

interface Token {
  readonly id: string;
  readonly token: string;
}

describe('web console in chromium', () => {
  let p: Project;
  let server: Portcullis;
  let browser: Browser;
  let admin: Token;
  let reader: Token;
  let bundlesOnly: Token;
  let context: BrowserContext;
  const config = () => join(p.dir, 'portcullis.yaml');
  const api = async (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { Authorization: `Bearer ${admin.token}`, ...(init.headers as Record<string, string>) } });
  const apiJson = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await api(path, init);
    const text = await res.text();
    assert.ok(res.ok, `${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const post = (path: string, body: unknown) => apiJson(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const token = async (name: string, scopes: string): Promise<Token> =>
    JSON.parse(await cli(p, 'tokens', 'create', '--config', config(), '--name', name, '--scopes', scopes, '--json')) as Token;

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    p = await project();
    await writeFile(
      config(),
      `bundles: { dir: ${p.bundles}, rescan_interval_ms: 200 }
state: { dir: ${join(p.dir, 'state')} }
store: { driver: sqlite, path: console.db }
auth: { required: true }
inventory: { cluster: c1, poll_interval_ms: 100, workers: 1 }
ui: { login_expiry_minutes: 30 }
`,
    );
    admin = await token('operator', 'bundles,status,logs,admin');
    reader = await token('viewer', 'read');
    bundlesOnly = await token('agent', 'bundles');
    server = await serve(p, config());
    const report = JSON.parse(await readFile(join(REAL_REPORTS, 'secureCodeBox__juice-shop-v10.2.0.json'), 'utf8')) as unknown;
    await post('/v1/reports', { image: `docker.io/bkimminich/juice-shop@${JUICE_SHOP}`, report });
    await post('/v1/inventory?cluster=c1&new_cluster=true', snapshot({ withDevTools: true, extraNamespaces: 3 }));
    await post('/v1/inventory?cluster=c1', JSON.parse(await readFile(await operatorReport(p), 'utf8')));
    const served = (await apiJson<{ bundles: { name: string; revision: string; etag: string }[] }>('/v1/bundles')).bundles;
    const scan = served.find((b) => b.name === 'image-scan');
    assert.ok(scan, 'image-scan is served');
    const status = (id: string, revision: string) => ({
      labels: { id, version: '1.0.0', region: 'eu-west' },
      bundles: { 'image-scan': { name: 'image-scan', active_revision: revision, last_successful_activation: new Date().toISOString() } },
    });
    await post('/status', status('edge-eu-1', scan.revision));
    await post('/status', status('edge-eu-2', 'an-older-revision'));
    await post(
      '/logs',
      [true, false, true].map((allow, i) => ({
        decision_id: `d-${i}`,
        labels: { id: 'edge-eu-1', version: '1.0.0' },
        path: 'portcullis/image/decision',
        bundles: { 'image-scan': { revision: scan.revision } },
        input: { image: `nginx:1.${i}` },
        result: { allow },
        timestamp: new Date(Date.now() - i * 1000).toISOString(),
      })),
    );
    await waitFor(
      async () => {
        const s = await apiJson<{ pending_units: number; revision_etag: string | null; open_findings: number }>('/v1/inventory');
        return s.pending_units === 0 && s.revision_etag === scan.etag && s.open_findings > 0 ? s : undefined;
      },
      60_000,
      () => server.output(),
    );
    browser = await launchChromium();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  /** Opens a page and records console errors and failed requests (network failures and 4xx/5xx answers). */
  async function visit(page: Page, path: string): Promise<{ errors: string[] }> {
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    const res = await page.goto(`${server.url}${path}`);
    assert.ok(res, path);
    assert.equal(res.status(), 200, `${path}: ${res.status()}`);
    assert.equal(new URL(page.url()).pathname, new URL(`${server.url}${path}`).pathname, `${path} was shown, not the login form`);
    await page.waitForLoadState('load');
    return { errors };
  }

  async function signIn(ctx: BrowserContext, t: Token): Promise<Page> {
    const page = await ctx.newPage();
    await page.goto(`${server.url}/ui/findings?severity_at_least=HIGH`);
    assert.match(page.url(), /\/ui\/login\?next=/, 'a console page redirects to the login form');
    await page.getByLabel('Access token (read scope)').fill(t.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/ui\/findings\?severity_at_least=HIGH$/);
    return page;
  }

  it('without a login every page redirects to the form, which holds no data; bad tokens are refused', async () => {
    for (const path of ['/ui/', '/ui/findings', `/ui/images/${JUICE_SHOP}`, '/ui/fleet', '/ui/findings.csv']) {
      const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      assert.equal(res.status, 302, path);
      assert.match(res.headers.get('location') ?? '', /^\/ui\/login\?next=/, path);
      assert.doesNotMatch(await res.text(), /CVE-|juice|edge-eu/, `${path}: no data without a login`);
    }
    const form = await fetch(`${server.url}/ui/login`);
    const body = await form.text();
    assert.match(body, /<form method="post" action="\/ui\/login">/);
    assert.doesNotMatch(body, /CVE-|juice|edge-eu/);
    assert.match(form.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const attempt = (value: string) =>
      fetch(`${server.url}/ui/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: value, next: '/ui/' }),
      });
    const wrong = await attempt(`${reader.token.slice(0, -4)}AAAA`);
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /not valid or has been revoked/);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const scoped = await attempt(bundlesOnly.token);
    assert.equal(scoped.status, 401);
    assert.match(await scoped.text(), /does not have the read scope/);
    // A bearer token alone does not open the console: it has its own login.
    const bearer = await fetch(`${server.url}/ui/`, { redirect: 'manual', headers: { Authorization: `Bearer ${admin.token}` } });
    assert.equal(bearer.status, 302);
  });

  it('signs in with a read token and keeps an HttpOnly, SameSite=Strict cookie', async () => {
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, reader);
    const cookies = await context.cookies();
    const cookie = cookies.find((c) => c.name === 'portcullis_console');
    assert.ok(cookie, 'the login cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/ui');
    assert.ok(cookie.expires > Date.now() / 1000 && cookie.expires < Date.now() / 1000 + 31 * 60, 'it expires with ui.login_expiry_minutes');
    // The token's secret is everything after `pcl_<id>_`: base64url, so it may hold `_` itself (cut there, a fragment of a
    // few characters turned up in the cookie's signature by chance).
    const secret = reader.token.split('_').slice(2).join('_');
    assert.ok(secret.length >= 40 && !cookie.value.includes(secret), 'the cookie never holds the token');
    await page.close();
  });

  it('every page loads with no console error and no failed request, and axe finds no serious or critical violation', async () => {
    const cve = (await apiJson<{ groups: { key: { vulnerability_id: string } }[] }>('/v1/findings?group_by=cve&limit=5')).groups[0]?.key.vulnerability_id;
    assert.ok(cve);
    const workload = (
      await apiJson<{ findings: { cluster: string; namespace: string; workload_kind: string; workload_name: string }[] }>('/v1/findings?limit=1')
    ).findings[0];
    assert.ok(workload);
    const pages: [string, string][] = [
      ['overview', '/ui/'],
      ['findings', '/ui/findings'],
      ['findings-by-cve', '/ui/findings?group_by=cve'],
      ['vulnerability', `/ui/vulnerabilities/${encodeURIComponent(cve)}`],
      ['image', `/ui/images/${JUICE_SHOP}`],
      ['workload', `/ui/workloads/${[workload.cluster, workload.namespace, workload.workload_kind, workload.workload_name].map(encodeURIComponent).join('/')}`],
      ['fleet', '/ui/fleet'],
      ['bundles', '/ui/bundles'],
      ['decisions', '/ui/decisions'],
    ];
    for (const [name, path] of pages) {
      const page = await context.newPage();
      const { errors } = await visit(page, path);
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
      if (name === 'overview' || name === 'findings') await page.screenshot({ path: join(SHOTS, `${name}-screen.png`) });
      const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(serious, [], `${name}: axe violations`);
      assert.deepEqual(errors, [], `${name}: console errors or failed requests`);
      await page.close();
    }
    const anonymous = await browser.newContext();
    const login = await anonymous.newPage();
    const { errors } = await visit(login, '/ui/login');
    await login.screenshot({ path: join(SHOTS, 'login.png') });
    assert.deepEqual(
      (await axeViolations(login)).filter((v) => v.impact === 'serious' || v.impact === 'critical'),
      [],
    );
    assert.deepEqual(errors, []);
    await anonymous.close();
  });

  it('shows what the fixtures hold: decisions, severities, agents behind, bundles and decision logs', async () => {
    const page = await context.newPage();
    await visit(page, '/ui/');
    assert.match(await page.locator('main').innerText(), /Running containers by decision/);
    assert.ok((await page.locator('svg.chart').count()) >= 3, 'the overview draws its charts');
    // The charts say what the API says.
    const total = async (query: string) => (await apiJson<{ total: number }>(`/v1/findings?${query}&limit=1&exact_total=true`)).total;
    const trend = await page.locator('svg.chart title', { hasText: 'Open deny-level findings per day' }).textContent();
    assert.equal(Number(/ (\d+)$/.exec(trend ?? '')?.[1]), await total('enforcement=deny'), trend ?? '');
    const severity = await page.locator('svg.chart title', { hasText: 'Open findings by severity' }).textContent();
    assert.equal(Number(/CRITICAL (\d+)/.exec(severity ?? '')?.[1]), await total('severity_at_least=CRITICAL'), severity ?? '');
    await page.goto(`${server.url}/ui/fleet`);
    const fleet = await page.locator('main').innerText();
    assert.match(fleet, /edge-eu-2[\s\S]*behind: image-scan/);
    assert.match(fleet, /Behind the served revision\s+1/);
    await page.goto(`${server.url}/ui/bundles`);
    assert.match(await page.locator('main').innerText(), /Entrypoints\s+portcullis\/scan\/decision/);
    await page.goto(`${server.url}/ui/decisions?order=asc`);
    assert.equal(await page.locator('tbody tr').count(), 3);
    await page.close();
  });

  it('filters change the rows and the URL; sorting and grouping are links', async () => {
    const page = await context.newPage();
    await visit(page, '/ui/findings');
    const all = await page.locator('tbody tr').count();
    const status = async () => page.getByRole('status').first().innerText();
    const before = await status();
    await page.locator('#f-severity_at_least').selectOption('CRITICAL');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/severity_at_least=CRITICAL/);
    assert.doesNotMatch(page.url(), /=&|=$/, 'empty fields are left out of the shared URL');
    const severities = await page.locator('tbody tr td:first-child').allInnerTexts();
    assert.ok(severities.length > 0 && severities.every((s) => s === 'CRITICAL'), severities.join(','));
    assert.notEqual(await status(), before);
    assert.ok(severities.length <= all);
    await page.locator('#f-namespace').fill('dev-*');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/namespace=dev-\*|namespace=dev-%2A/);
    const namespaces = await page.locator('tbody tr td:nth-child(6)').allInnerTexts();
    assert.ok(
      namespaces.every((n) => n.startsWith('c1/dev-')),
      namespaces.join(','),
    );
    // The same link in a new tab shows the same rows.
    const shared = await context.newPage();
    await shared.goto(page.url());
    assert.deepEqual(await shared.locator('tbody tr').allInnerTexts(), await page.locator('tbody tr').allInnerTexts());
    await shared.close();
    await page.goto(`${server.url}/ui/findings`);
    await page.getByRole('link', { name: /^Age \(days\)/ }).click();
    await page.waitForURL(/sort=age/);
    const ages = (await page.locator('tbody tr td:nth-child(5)').allInnerTexts()).map(Number);
    assert.deepEqual(
      ages,
      [...ages].sort((a, b) => b - a),
      'sorted by age, oldest first',
    );
    await page.locator('#f-group_by').selectOption('namespace');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/group_by=namespace/);
    assert.match(await page.locator('thead').innerText(), /namespace[\s\S]*Findings/);
    await page.close();
  });

  it('links go from a finding to its CVE, image and workload pages and between them', async () => {
    const page = await context.newPage();
    await visit(page, '/ui/findings?severity_at_least=CRITICAL');
    const cveLink = page.locator('tbody a[href^="/ui/vulnerabilities/"]').first();
    const cve = await cveLink.innerText();
    await cveLink.click();
    await page.waitForURL(/\/ui\/vulnerabilities\//);
    assert.equal(await page.locator('h1').innerText(), `Vulnerability ${cve}`);
    await page.locator('a[href^="/ui/images/"]').first().click();
    await page.waitForURL(/\/ui\/images\/sha256/);
    assert.match(await page.locator('main').innerText(), /Where it runs/);
    await page.locator('a[href^="/ui/workloads/"]').first().click();
    await page.waitForURL(/\/ui\/workloads\//);
    assert.match(await page.locator('main').innerText(), /Containers/);
    await page.locator('a[href^="/ui/vulnerabilities/"]').first().click();
    await page.waitForURL(/\/ui\/vulnerabilities\//);
    assert.match(await page.locator('h1').innerText(), /^Vulnerability /);
    await page.close();
  });

  it('the CSV and JSON downloads hold exactly the rows the API answers for the same filters', async () => {
    const page = await context.newPage();
    const filters = 'severity_at_least=HIGH&namespace=prod-*';
    await visit(page, `/ui/findings?${filters}&limit=25`);
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = await readFile(await csvDownload.path(), 'utf8');
    const expected = await (await api(`/v1/findings?${filters}&limit=1000&format=csv`)).text();
    assert.ok(csv.split('\r\n').length > 27, 'more rows than the page shows');
    assert.equal(csv, expected);
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download JSON' }).click()]);
    const rows = JSON.parse(await readFile(await jsonDownload.path(), 'utf8')) as unknown[];
    assert.deepEqual(rows, (await apiJson<{ findings: unknown[] }>(`/v1/findings?${filters}&limit=1000`)).findings);
    await page.close();
  });

  it('works from the keyboard and at phone width', async () => {
    const page = await context.newPage();
    await visit(page, '/ui/findings');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'main');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'f-cluster', 'the first filter is next');
    for (const [name, path] of [
      ['overview-phone', '/ui/'],
      ['findings-phone', '/ui/findings'],
    ]) {
      await page.setViewportSize({ width: 375, height: 800 });
      await page.goto(`${server.url}${path}`);
      const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
      assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than the phone`);
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
      if (name === 'overview' || name === 'findings') await page.screenshot({ path: join(SHOTS, `${name}-screen.png`) });
    }
    await page.close();
  });

  it('a revoked token is thrown out at the next page', async () => {
    const page = await context.newPage();
    await visit(page, '/ui/fleet');
    await cli(p, 'tokens', 'revoke', '--config', config(), reader.id);
    await page.goto(`${server.url}/ui/fleet`);
    assert.match(page.url(), /\/ui\/login\?next=%2Fui%2Ffleet$/);
    assert.doesNotMatch(await page.content(), /edge-eu/);
    await page.close();
  });
});
