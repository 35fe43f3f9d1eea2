// The console under /ui/: one Koa middleware that answers every /ui path and
// passes everything else on. Pages are rendered on the server from the same
// query functions the JSON API calls; the console only reads.
import { Readable } from 'node:stream';
import type { Context, Next } from 'koa';
import { AppError } from '../core/index.js';
import { findingsBody, parseFindingQuery, runFindingQuery, type FindingQuery } from '../inventory/index.js';
import { verifyToken } from '../store/index.js';
import type { ConsoleDependencies } from './context.js';
import { html, type Html } from './html.js';
import { page, type Section } from './layout.js';
import { COOKIE_KEY_STATE, LoginCookies, consoleDenial, cookieFrom, safeNext, setCookie } from './login.js';
import { overviewBody, findingsBodyHtml, vulnerabilityBody, imageBody, workloadBody } from './pages-inventory.js';
import { bundlesBody, decisionsBody, fleetBody } from './pages-fleet.js';
import { ASSETS } from './style.js';

/** Nothing from elsewhere, no scripts at all, styles and images from this server only, no framing. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'none'";

const MAX_FORM_BYTES = 4096;

type Params = Readonly<Record<string, string | string[] | undefined>>;
interface Request {
  readonly ctx: Context;
  readonly params: URLSearchParams;
  readonly query: Params;
  readonly match: readonly string[];
  readonly signedIn: boolean;
}
type Handler = (deps: ConsoleDependencies, req: Request) => Promise<void>;

const ROUTES: readonly (readonly [string, RegExp, Handler])[] = [
  ['GET', /^\/ui\/$/, (deps, req) => renderPage(req, 'Overview', 'overview', overviewBody(deps))],
  ['GET', /^\/ui\/findings$/, findings],
  ['GET', /^\/ui\/findings\.(csv|json)$/, download],
  ['GET', /^\/ui\/vulnerabilities\/([^/]+)$/, (deps, req) => renderPage(req, `Vulnerability ${seg(req, 1)}`, 'none', vulnerabilityBody(deps, seg(req, 1)))],
  ['GET', /^\/ui\/images\/([^/]+)$/, (deps, req) => renderPage(req, 'Image', 'none', imageBody(deps, seg(req, 1)))],
  ['GET', /^\/ui\/workloads\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/, workload],
  ['GET', /^\/ui\/fleet$/, (deps, req) => renderPage(req, 'Fleet', 'fleet', fleetBody(deps))],
  ['GET', /^\/ui\/bundles$/, (deps, req) => renderPage(req, 'Bundles', 'bundles', Promise.resolve(bundlesBody(deps)))],
  ['GET', /^\/ui\/decisions$/, (deps, req) => renderPage(req, 'Decisions', 'decisions', decisionsBody(deps, req.params, req.query))],
];

/**
 * Mounts the console. With a login configured, every page but the login
 * form needs the signed cookie of a token that is still valid and has the
 * read (or admin) scope; without one, a page redirects to the form.
 */
export function consoleMiddleware(deps: ConsoleDependencies) {
  // Read once; a failed read is tried again on the next login rather than remembered.
  let cookies: Promise<LoginCookies> | undefined;
  const cookieKeys = (): Promise<LoginCookies> => {
    cookies ??= loadCookieKey(deps);
    cookies.catch(() => (cookies = undefined));
    return cookies;
  };
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path !== '/ui' && !ctx.path.startsWith('/ui/')) {
      await next();
      return;
    }
    securityHeaders(ctx);
    try {
      await handle(deps, ctx, cookieKeys);
    } catch (err) {
      const failure = deps.failure(err, ctx);
      ctx.status = failure.status;
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page({ title: failure.status === 404 ? 'Not found' : 'Something went wrong', section: 'none' }, errorBody(failure.message)).text;
    }
  };
}

async function handle(deps: ConsoleDependencies, ctx: Context, cookieKeys: () => Promise<LoginCookies>): Promise<void> {
  // The server's one path normalisation drops a trailing slash, so /ui/ arrives as /ui: both are the overview.
  const path = ctx.path === '/ui' ? '/ui/' : ctx.path;
  const asset = Object.values(ASSETS).find((a) => a.path === path);
  if (asset && ctx.method === 'GET') {
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = asset.type;
    ctx.body = asset.body;
    return;
  }
  ctx.set('Cache-Control', 'no-store');
  if (path === '/ui/login') return login(deps, ctx, cookieKeys);
  if (path === '/ui/logout' && ctx.method === 'POST') {
    sameOrigin(ctx);
    ctx.append('Set-Cookie', setCookie('', { secure: deps.login?.secure ?? false, maxAge: 0 }));
    ctx.status = 303;
    ctx.redirect('/ui/login');
    return;
  }
  const route = ROUTES.find(([, pattern]) => pattern.test(path));
  if (!route) throw new AppError('ROUTE_NOT_FOUND', `no console page at ${path}`);
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new AppError('ROUTE_NOT_FOUND', `the console only reads: no route for ${ctx.method} ${path}`);
  if (deps.login && !(await signedIn(deps, ctx, await cookieKeys()))) {
    ctx.append('Set-Cookie', setCookie('', { secure: deps.login.secure, maxAge: 0 }));
    ctx.redirect(`/ui/login?${new URLSearchParams({ next: ctx.url }).toString()}`);
    return;
  }
  const params = new URLSearchParams(ctx.querystring);
  await route[2](deps, { ctx, params, query: ctx.query, match: route[1].exec(path) ?? [], signedIn: deps.login !== undefined });
}

function securityHeaders(ctx: Context): void {
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the login form's POST.
  ctx.set('Referrer-Policy', 'same-origin');
}

function seg(req: Request, i: number): string {
  try {
    return decodeURIComponent(req.match[i] ?? '');
  } catch {
    throw new AppError('REQUEST_INVALID', `the path segment '${req.match[i] ?? ''}' is not valid percent-encoding`);
  }
}

async function renderPage(req: Request, title: string, section: Section, body: Promise<Html>): Promise<void> {
  const markup = page({ title, section, signOut: req.signedIn }, await body);
  req.ctx.type = 'text/html; charset=utf-8';
  req.ctx.body = markup.text;
}

function errorBody(message: string): Html {
  return html`<p class="error" role="alert">${message}</p>
    <p><a href="/ui/">Back to the overview</a></p>`;
}

/** A filtered view is a link: a form submitted with empty fields is redirected to the URL without them. */
async function findings(deps: ConsoleDependencies, req: Request): Promise<void> {
  const empty = [...req.params].filter(([, v]) => v === '');
  if (empty.length) {
    const clean = new URLSearchParams([...req.params].filter(([, v]) => v !== ''));
    req.ctx.redirect(`/ui/findings${clean.size ? `?${clean.toString()}` : ''}`);
    return;
  }
  const q = parseFindingQuery(req.query);
  await renderPage(req, 'Findings', 'findings', findingsBodyHtml(deps, req.params, q));
}

async function workload(deps: ConsoleDependencies, req: Request): Promise<void> {
  const w = { cluster: seg(req, 1), namespace: seg(req, 2), kind: seg(req, 3), name: seg(req, 4) };
  const q = parseFindingQuery({ cluster: w.cluster, namespace: w.namespace, workload: `${w.kind}/${w.name}`, sort: 'severity', limit: '100' });
  await renderPage(req, `${w.kind}/${w.name}`, 'none', workloadBody(deps, w, q));
}

/**
 * Every row the filters match, whatever the page size: the API's own page
 * bodies (findingsBody), page after page, as one CSV (one header) or one
 * JSON array.
 */
async function download(deps: ConsoleDependencies, req: Request): Promise<void> {
  const format = req.match[1] === 'csv' ? 'csv' : 'json';
  const base = parseFindingQuery(req.query, undefined, ['format']);
  const q: FindingQuery = { ...base, limit: 1000 };
  const now = deps.clock();
  const store = deps.store.inventory;
  async function* chunks(): AsyncGenerator<string> {
    let cursor: string | undefined = undefined;
    let first = true;
    do {
      const page = await runFindingQuery(store, cursor === undefined ? q : { ...q, cursor }, now);
      const rows: readonly unknown[] = 'groups' in page ? page.groups : page.findings;
      if (format === 'csv') {
        const body = findingsBody(q, page, 'csv').body as string;
        yield first ? body : body.slice(body.indexOf('\r\n') + 2);
      } else {
        const lines = rows.map((r) => JSON.stringify(r)).join(',\n');
        yield `${first ? '[\n' : rows.length ? ',\n' : ''}${lines}`;
      }
      first = false;
      cursor = page.next_cursor;
    } while (cursor !== undefined);
    if (format === 'json') yield '\n]\n';
  }
  req.ctx.type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8';
  req.ctx.attachment(`findings.${format}`);
  req.ctx.body = Readable.from(chunks());
}

// --- Login -------------------------------------------------------------------------------------------

async function loadCookieKey(deps: ConsoleDependencies): Promise<LoginCookies> {
  const inventory = deps.store.inventory;
  await inventory.compareAndSetState(COOKIE_KEY_STATE, undefined, LoginCookies.newKey());
  const key = await inventory.getState(COOKIE_KEY_STATE);
  if (key === undefined) throw new AppError('INTERNAL', 'the console cookie key could not be stored');
  return new LoginCookies(Buffer.from(key, 'hex'));
}

async function signedIn(deps: ConsoleDependencies, ctx: Context, cookies: LoginCookies): Promise<boolean> {
  const login = cookies.read(cookieFrom(ctx.get('Cookie')), new Date());
  if (!login) return false;
  const token = await deps.store.findToken(login.tokenId);
  return token !== undefined && consoleDenial(token) === undefined;
}

function loginForm(next: string, error?: string): Html {
  return html`<div class="login">
    ${error ? html`<p class="error" role="alert" id="login-error">${error}</p>` : ''}
    <form method="post" action="/ui/login">
      <input type="hidden" name="next" value="${next}" />
      <div>
        <label for="token">Access token (read scope)</label>
        <input id="token" name="token" type="password" autocomplete="off" required ${error ? html`aria-describedby="login-error" aria-invalid="true"` : ''} />
      </div>
      <button type="submit">Sign in</button>
    </form>
    <p class="muted">Create one with <span class="code">portcullis tokens create --name you --scopes read</span>.</p>
  </div>`;
}

async function login(deps: ConsoleDependencies, ctx: Context, cookieKeys: () => Promise<LoginCookies>): Promise<void> {
  const show = (status: number, next: string, error?: string) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page({ title: 'Sign in', section: 'login' }, loginForm(next, error)).text;
  };
  if (!deps.login) return ctx.redirect('/ui/');
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return show(200, safeNext(one(ctx.query['next'])));
  if (ctx.method !== 'POST') throw new AppError('ROUTE_NOT_FOUND', `the login form is read with GET and sent with POST, not ${ctx.method}`);
  sameOrigin(ctx);
  const form = await readForm(ctx);
  const next = safeNext(form.get('next') ?? undefined);
  const presented = form.get('token') ?? '';
  const token = presented === '' ? undefined : await verifyToken(deps.store, presented.trim());
  const denied = token === undefined ? 'That token is not valid or has been revoked.' : consoleDenial(token);
  if (token === undefined || denied !== undefined) return show(401, next, denied);
  const expires = Date.now() + deps.login.expiryMs;
  ctx.append(
    'Set-Cookie',
    setCookie((await cookieKeys()).issue({ tokenId: token.id, expires }), { secure: deps.login.secure, maxAge: deps.login.expiryMs / 1000 }),
  );
  ctx.status = 303;
  ctx.redirect(next);
}

/** A form post from another site is refused (the cookie is SameSite=Strict too; this covers the login itself). */
function sameOrigin(ctx: Context): void {
  // The host only: behind a TLS-terminating proxy the scheme this server sees is not the browser's.
  const origin = ctx.get('Origin');
  if (origin !== '' && hostOf(origin) !== ctx.host) throw new AppError('FORBIDDEN', 'a console form was sent from another site');
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new AppError('ENCODING_UNSUPPORTED', 'the login form is sent as application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_FORM_BYTES) throw new AppError('INPUT_TOO_LARGE', `the login form is larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
