// The web console under /ui/: server-rendered pages over the same query
// functions as the JSON API, a token login, and nothing loaded from elsewhere.

export { CONTENT_SECURITY_POLICY, consoleMiddleware } from './app.js';
export type { ConsoleDependencies } from './context.js';
export { escapeHtml, html, join } from './html.js';
export type { Fragment, Html } from './html.js';
export { COOKIE_NAME, LoginCookies, consoleDenial, cookieFrom, safeNext, setCookie } from './login.js';
export type { Login } from './login.js';
