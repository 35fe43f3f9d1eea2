import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { MB, random, type ServeProcess } from './support.js';

/** One endpoint and a valid request to mutate. */
export interface FuzzTarget {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** A valid JSON body (POST). */
  readonly body?: unknown;
  /** The route takes Content-Encoding: gzip (OPA's status and decision-log uploads). */
  readonly gzip?: boolean;
}

export interface FuzzOptions {
  readonly perEndpoint: number;
  readonly concurrency: number;
  readonly seed: number;
  /** Size of the "huge string" mutations. */
  readonly hugeBytes: number;
  /** Uncompressed size of the gzip bombs. */
  readonly bombBytes: number;
  /** A request neither answered nor closed by the server within this long is a hang. */
  readonly deadlineMs: number;
}

/** A request that got a 5xx, or no answer at all. */
export interface Failure {
  readonly target: string;
  readonly kind: string;
  readonly status: number | 'hang';
  readonly detail: string;
}

export interface FuzzResult {
  /** Total milliseconds spent per mutation kind (what makes a run long). */
  readonly msByKind: Readonly<Record<string, number>>;
  readonly requests: number;
  readonly perTarget: Readonly<Record<string, number>>;
  readonly byKind: Readonly<Record<string, number>>;
  readonly statuses: Readonly<Record<string, number>>;
  readonly failures: readonly Failure[];
  readonly crashed: boolean;
  readonly seconds: number;
}

/** A malformed request: either a normal HTTP request with a hostile body or head, or raw bytes on a socket. */
type Case =
  | { readonly kind: string; readonly http: { method: string; path: string; headers: Record<string, string>; body?: Buffer } }
  | { readonly kind: string; readonly raw: { chunks: readonly Buffer[]; stall: boolean } };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Sends `perEndpoint` malformed requests to each target: truncated bodies,
 * wrong types at every level, deep nesting, huge strings, invalid UTF-8,
 * lone surrogates, gzip bombs, byte flips, wrong media types, hostile paths,
 * queries and headers, and, on raw sockets, Content-Length and chunked lies
 * and stalled bodies. Any 5xx is a failure (all of it is client input), as is
 * a request the server neither answers nor closes, and the server exiting.
 */
export async function fuzzHttp(server: ServeProcess, targets: readonly FuzzTarget[], options: FuzzOptions): Promise<FuzzResult> {
  const rand = random(options.seed);
  const bomb = gzipSync(Buffer.alloc(options.bombBytes, 0x20), { level: 9 });
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const cases: { target: string; make: () => Case }[] = [];
  for (const target of targets) {
    for (let i = 0; i < options.perEndpoint; i += 1) cases.push({ target: `${target.method} ${target.path}`, make: () => mutate(target, rand, options, bomb) });
  }
  shuffle(cases, rand);
  const result = {
    msByKind: {} as Record<string, number>,
    requests: 0,
    perTarget: {} as Record<string, number>,
    byKind: {} as Record<string, number>,
    statuses: {} as Record<string, number>,
    failures: [] as Failure[],
  };
  const started = Date.now();
  let next = 0;
  // Stalled requests wait for the server's timeouts: they run beside the workers, not in their turn.
  const stalled: Promise<void>[] = [];
  const record = (target: string, c: Case, outcome: Outcome) => {
    result.requests += 1;
    result.perTarget[target] = (result.perTarget[target] ?? 0) + 1;
    result.byKind[c.kind] = (result.byKind[c.kind] ?? 0) + 1;
    const key = outcome.status === undefined ? (outcome.hang ? 'hang' : 'closed') : String(outcome.status);
    result.statuses[key] = (result.statuses[key] ?? 0) + 1;
    if (outcome.hang) result.failures.push({ target, kind: c.kind, status: 'hang', detail: '' });
    else if (outcome.status !== undefined && outcome.status >= 500)
      result.failures.push({ target, kind: c.kind, status: outcome.status, detail: outcome.body.slice(0, 200) });
  };
  const worker = async () => {
    while (next < cases.length && server.alive()) {
      const { target, make } = cases[next++] as (typeof cases)[number];
      const c = make();
      const t0 = Date.now();
      if ('raw' in c && c.raw.stall) stalled.push(sendRaw(server.url, c.raw, options.deadlineMs).then((outcome) => record(target, c, outcome)));
      else record(target, c, 'http' in c ? await send(server.url, c.http, agent, options.deadlineMs) : await sendRaw(server.url, c.raw, options.deadlineMs));
      const key = `${target} ${c.kind}`;
      result.msByKind[key] = (result.msByKind[key] ?? 0) + Date.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await Promise.all(stalled);
  agent.destroy();
  return { ...result, crashed: !server.alive(), seconds: (Date.now() - started) / 1000 };
}

function shuffle<T>(items: T[], rand: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

const pick = <T>(items: readonly T[], rand: () => number): T => items[Math.floor(rand() * items.length)] as T;

function mutate(target: FuzzTarget, rand: () => number, options: FuzzOptions, bomb: Buffer): Case {
  const head = { method: target.method as string, path: target.path, headers: { 'Content-Type': 'application/json' } as Record<string, string> };
  const kinds = target.method === 'POST' ? POST_KINDS : GET_KINDS;
  const kind = pick(kinds, rand);
  const json = target.body === undefined ? undefined : (JSON.parse(JSON.stringify(target.body)) as Json);
  const text = json === undefined ? '' : JSON.stringify(json);
  const http = (body?: Buffer, headers: Record<string, string> = {}, path = head.path, method = head.method): Case => ({
    kind,
    http: { method, path, headers: { ...head.headers, ...headers }, ...(body ? { body } : {}) },
  });
  switch (kind) {
    case 'truncated':
      return http(Buffer.from(text.slice(0, Math.floor(rand() * text.length))));
    case 'wrong type':
      return http(Buffer.from(JSON.stringify(replaceNode(json, rand, (old) => otherType(old, rand)))));
    case 'deep nesting': {
      const levels = pick([200, 1000, 5000, 50_000], rand);
      const deep = rand() < 0.5 ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
      return http(Buffer.from(JSON.stringify(replaceNode(json, rand, () => '\u0000DEEP\u0000')).replace('"\\u0000DEEP\\u0000"', deep)));
    }
    case 'huge string': {
      const size = pick([MB, 4 * MB, options.hugeBytes], rand);
      return http(Buffer.from(JSON.stringify(replaceNode(json, rand, () => 'A'.repeat(size)))));
    }
    case 'many elements':
      return http(Buffer.from(JSON.stringify(replaceNode(json, rand, () => Array.from({ length: 100_000 }, (_, i) => i % 7)))));
    case 'invalid UTF-8': {
      const bytes = Buffer.from(text);
      const at = text.indexOf('"', Math.floor(rand() * text.length)) + 1 || 1;
      return http(Buffer.concat([bytes.subarray(0, at), Buffer.from(pick(BAD_UTF8, rand)), bytes.subarray(at)]));
    }
    case 'lone surrogate': {
      const at = text.indexOf('"', Math.floor(rand() * text.length)) + 1 || 1;
      return http(Buffer.from(`${text.slice(0, at)}${pick(['\\ud800', '\\udfff', '\\udbff\\u0041', '\\ud83d'], rand)}${text.slice(at)}`));
    }
    case 'byte flips': {
      const bytes = Buffer.from(text);
      for (let i = 0; i < 1 + rand() * 8 && bytes.length > 0; i += 1) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      return http(bytes);
    }
    case 'gzip bomb':
      return http(bomb, { 'Content-Encoding': 'gzip' });
    case 'gzip garbage':
      return http(Buffer.concat([gzipSync(text).subarray(0, 20), Buffer.from('not deflate data')]), {
        'Content-Encoding': pick(['gzip', 'br', 'deflate', 'x-gzip'], rand),
      });
    case 'media type':
      return http(Buffer.from(text), {
        'Content-Type': pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''], rand),
      });
    case 'not JSON':
      return http(Buffer.from(pick(['', ' ', 'null', '[]', '{}', '"x"', '1e999999', '{"a":1}{"b":2}', 'YAML: true', '\ufeff{}', '<xml/>'], rand)));
    case 'hostile path':
      return http(target.method === 'POST' ? Buffer.from(text) : undefined, {}, hostilePath(head.path, rand));
    case 'hostile query':
      return http(undefined, {}, `${head.path}?${hostileQuery(rand)}`);
    case 'hostile headers':
      return http(undefined, hostileHeaders(rand));
    case 'wrong method':
      return http(Buffer.from('{}'), {}, head.path, pick(['POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', 'MKCOL', 'OPTIONS', 'HEAD'], rand));
    case 'Content-Length lie':
      return raw(head, text, rand, 'length lie');
    case 'chunked lie':
      return raw(head, text, rand, 'chunked lie');
    case 'stalled body':
      return raw(head, text, rand, 'stall');
  }
}

const POST_KINDS = [
  'truncated',
  'wrong type',
  'wrong type',
  'wrong type',
  'deep nesting',
  'huge string',
  'many elements',
  'invalid UTF-8',
  'lone surrogate',
  'byte flips',
  'gzip bomb',
  'gzip garbage',
  'media type',
  'not JSON',
  'hostile path',
  'wrong method',
  'Content-Length lie',
  'chunked lie',
  'stalled body',
] as const;

const GET_KINDS = [
  'hostile path',
  'hostile path',
  'hostile query',
  'hostile query',
  'hostile headers',
  'hostile headers',
  'wrong method',
  'Content-Length lie',
  'chunked lie',
  'stalled body',
] as const;

const BAD_UTF8 = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xc0, 0xaf]];

/** Every node of a JSON value by path, the root included. */
function replaceNode(root: Json | undefined, rand: () => number, make: (old: Json) => Json): Json {
  if (root === undefined) return make(null);
  const nodes: { parent: Json[] | { [key: string]: Json } | undefined; key: string | number; value: Json }[] = [];
  const stack: { parent: Json[] | { [key: string]: Json } | undefined; key: string | number; value: Json }[] = [{ parent: undefined, key: '', value: root }];
  while (stack.length > 0 && nodes.length < 20_000) {
    const node = stack.pop() as (typeof stack)[number];
    nodes.push(node);
    const v = node.value;
    if (Array.isArray(v)) v.forEach((child, i) => stack.push({ parent: v, key: i, value: child }));
    else if (v !== null && typeof v === 'object') for (const [k, child] of Object.entries(v)) stack.push({ parent: v, key: k, value: child });
  }
  const chosen = pick(nodes, rand);
  const replacement = make(chosen.value);
  if (!chosen.parent) return replacement;
  (chosen.parent as Record<string | number, Json>)[chosen.key] = replacement;
  return root;
}

function otherType(old: Json, rand: () => number): Json {
  const options: Json[] = [null, true, false, 0, -1, 1.5, 1e308, 2 ** 53 + 2, '', 'x', '2026-13-45T99:99:99Z', [], [null], {}, { '': {} }, [[[1]]]];
  const kind = (v: Json) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  const different = options.filter((o) => kind(o) !== kind(old));
  return pick(different, rand);
}

function hostilePath(path: string, rand: () => number): string {
  const variants = [
    path.toUpperCase(),
    path.replace(/\//g, '//'),
    `${path}/`,
    `${path}/..`,
    `/./${path.slice(1)}`,
    path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
    `${path}%`,
    `${path}%zz`,
    `${path}%00`,
    `${path}%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
    `${path}/${'a'.repeat(8000)}`,
    `${path};x=1`,
    `${path}\\..\\x`,
    `/..${path}`,
    `${path}.tar.gz.tar.gz`,
    `${path}#frag`,
  ];
  return pick(variants, rand);
}

function hostileQuery(rand: () => number): string {
  return pick(
    [
      'format=xml',
      'format=csv&format=json',
      'limit=-1',
      'limit=99999999999999999999',
      'limit=abc',
      'cursor=%%%%',
      'cursor=' + 'A'.repeat(4000),
      'since=yesterday',
      'until=9999-99-99',
      'input.a.b.c.d=%7B',
      `input.${'a.'.repeat(500)}b=1`,
      'result=%7B%22a%22%3A',
      'output=sarif&output=junit',
      'output=../../etc/passwd',
      'mode=snapshot&mode=delta',
      'label=x',
      'label==',
      'revision=' + '\u0000'.repeat(3),
      'x'.repeat(20_000) + '=1',
      'order=sideways',
      'agent=%ff%fe',
    ],
    rand,
  );
}

function hostileHeaders(rand: () => number): Record<string, string> {
  return pick(
    [
      { 'If-None-Match': '"' + 'a'.repeat(10_000) },
      // A held long poll answers after its wait; the server caps the wait (tested elsewhere), so short ones here.
      { 'If-None-Match': '*, W/"x", "', Prefer: 'wait=1' },
      { Prefer: 'modes=delta,snapshot;wait=-5' },
      { Prefer: 'wait=abc, wait=' },
      { Authorization: 'Bearer ' + 'x'.repeat(8000) },
      { Authorization: 'Basic dXNlcjpwYXNz' },
      { Accept: 'text/csv;q=0.1, application/json;q=x' },
      { 'Content-Encoding': 'gzip, gzip' },
      { 'X-Forwarded-For': '127.0.0.1, ::1' },
      { Range: 'bytes=0-1,5-' },
    ],
    rand,
  );
}

function raw(head: { method: string; path: string }, text: string, rand: () => number, lie: 'length lie' | 'chunked lie' | 'stall'): Case {
  const body = Buffer.from(text || '{}');
  const start = `${head.method === 'GET' && lie !== 'stall' ? 'POST' : head.method} ${head.path} HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n`;
  if (lie === 'length lie') {
    const declared = pick([body.length + 1 + Math.floor(rand() * 1000), Math.floor(body.length / 2), 0, 10 ** 12], rand);
    return { kind: 'Content-Length lie', raw: { chunks: [Buffer.from(`${start}Content-Length: ${declared}\r\n\r\n`), body], stall: false } };
  }
  if (lie === 'chunked lie') {
    const chunk = pick(
      [
        `${(body.length + 100).toString(16)}\r\n${body.toString()}\r\n0\r\n\r\n`,
        `zz\r\n${body.toString()}\r\n0\r\n\r\n`,
        `${body.length.toString(16)}\r\n${body.toString()}\r\n`,
        `${body.length.toString(16)};ext=${'e'.repeat(5000)}\r\n${body.toString()}\r\n0\r\n\r\n`,
        `ffffffffffffffff\r\n${body.toString()}\r\n0\r\n\r\n`,
        `-1\r\n${body.toString()}\r\n0\r\n\r\n`,
      ],
      rand,
    );
    const both = rand() < 0.3 ? `Content-Length: ${body.length}\r\n` : '';
    return { kind: 'chunked lie', raw: { chunks: [Buffer.from(`${start}${both}Transfer-Encoding: chunked\r\n\r\n`), Buffer.from(chunk)], stall: false } };
  }
  const cut = Math.floor(rand() * body.length);
  const stallHead = rand() < 0.5;
  const chunks = stallHead ? [Buffer.from(start)] : [Buffer.from(`${start}Content-Length: ${body.length}\r\n\r\n`), body.subarray(0, cut)];
  return { kind: 'stalled body', raw: { chunks, stall: true } };
}

interface Outcome {
  readonly status?: number;
  readonly body: string;
  readonly hang: boolean;
}

function send(
  url: string,
  req: { method: string; path: string; headers: Record<string, string>; body?: Buffer },
  agent: Agent,
  deadlineMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      r.destroy();
      done({ body: '', hang: true });
    }, deadlineMs);
    let r: ReturnType<typeof request>;
    try {
      r = request(`${url}${req.path}`, { method: req.method, headers: req.headers, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body = (body + d.toString('latin1')).slice(0, 4000)));
        res.on('end', () => done({ status: res.statusCode ?? 0, body, hang: false }));
        res.on('error', () => done({ status: res.statusCode ?? 0, body, hang: false }));
      });
    } catch (err) {
      // The client itself refused to send it (e.g. an invalid path character): not a request the server saw.
      clearTimeout(timer);
      settled = true;
      resolve({ body: String(err), hang: false });
      return;
    }
    r.on('error', () => done({ body: '', hang: false }));
    r.on('socket', quiet);
    r.end(req.body);
  });
}

const quieted = new WeakSet<Socket>();
/**
 * A keep-alive socket can fail after its request was answered (the server
 * cut a body it refused): the outcome is already recorded, and an error
 * emitted on the socket with no request left to take it must not end the
 * fuzzer (the bench run died of an unhandled ECONNRESET on a socket while the
 * server was still up).
 */
function quiet(socket: Socket): void {
  if (quieted.has(socket)) return;
  quieted.add(socket);
  socket.on('error', () => undefined);
}

/** Writes raw bytes and waits for a status line or the server closing the connection; a stall keeps writing nothing. */
function sendRaw(url: string, req: { chunks: readonly Buffer[]; stall: boolean }, deadlineMs: number): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ body: received, hang: true }), deadlineMs);
    socket.on('connect', () => {
      for (const chunk of req.chunks) socket.write(chunk);
      // A client that stops sending after its lie: half-closed unless it stalls on purpose.
      if (!req.stall) socket.end();
    });
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1];
      if (status !== undefined && received.includes('\r\n\r\n')) done({ status: Number(status), body: received.slice(0, 2000), hang: false });
    });
    socket.on('error', () => done({ body: received, hang: false }));
    socket.on('close', () => done({ body: received, hang: false }));
  });
}
