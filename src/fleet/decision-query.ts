import { AppError } from '../core/index.js';
import type { DecisionQuery } from '../store/index.js';

export interface PageLimits {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

const KNOWN = new Set(['since', 'until', 'path', 'result', 'revision', 'agent', 'limit', 'cursor', 'order', 'format']);
const KEY = /^[A-Za-z0-9_.:/-]{1,256}$/;

type Query = Readonly<Record<string, string | string[] | undefined>>;

/** Parses `GET /v1/decisions` parameters; an unknown parameter is an error, so a typo never silently widens a query. */
export function parseDecisionQuery(query: Query, limits: PageLimits): DecisionQuery {
  const labels: [string, string][] = [];
  const input: [string[], unknown][] = [];
  for (const [name, raw] of Object.entries(query)) {
    for (const value of [raw ?? []].flat()) {
      if (name.startsWith('label.')) labels.push([key(name.slice(6), name), value]);
      else if (name.startsWith('input.'))
        input.push([
          name
            .slice(6)
            .split('.')
            .map((k) => key(k, name)),
          jsonOrString(value),
        ]);
      else if (!KNOWN.has(name))
        throw new AppError('REQUEST_INVALID', `unknown query parameter '${name}' (filters: ${[...KNOWN].join(', ')}, label.<name>, input.<path>)`);
    }
  }
  const one = (name: string) => {
    const v = query[name];
    if (Array.isArray(v)) throw new AppError('REQUEST_INVALID', `query parameter '${name}' is given more than once`);
    return v === undefined || v === '' ? undefined : v;
  };
  const since = date(one('since'), 'since');
  const until = date(one('until'), 'until');
  const path = one('path')?.replace(/^\/+/, '');
  const result = one('result');
  const revision = one('revision');
  const agent = one('agent');
  const cursor = one('cursor');
  return {
    labels,
    input,
    limit: limit(one('limit'), limits),
    order: order(one('order')),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(path ? { path } : {}),
    ...(result === undefined ? {} : { result: jsonOrString(result) }),
    ...(revision ? { revision } : {}),
    ...(agent ? { agent } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

function key(k: string, param: string): string {
  if (!KEY.test(k)) throw new AppError('REQUEST_INVALID', `query parameter '${param}' names an invalid key '${k}'`);
  return k;
}

/** `true`, `3`, `"x"` and `{"a":1}` are JSON; anything else is taken as a plain string, so `input.user=alice` works. */
function jsonOrString(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function date(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('REQUEST_INVALID', `'${name}' must be an RFC 3339 time or epoch milliseconds, got '${value}'`);
  return new Date(ms);
}

function limit(value: string | undefined, limits: PageLimits): number {
  if (value === undefined) return limits.defaultLimit;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > limits.maxLimit) throw new AppError('REQUEST_INVALID', `'limit' must be an integer from 1 to ${limits.maxLimit}`);
  return n;
}

function order(value: string | undefined): 'asc' | 'desc' {
  if (value === undefined || value === 'desc') return 'desc';
  if (value === 'asc') return 'asc';
  throw new AppError('REQUEST_INVALID', "'order' must be asc or desc");
}
