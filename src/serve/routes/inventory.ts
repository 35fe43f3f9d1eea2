import type Router from '@koa/router';
import type { Context } from 'koa';
import { AppError, REQUEST_LIMITS, yaml } from '../../core/index.js';
import {
  assertDigest,
  FINDING_FORMATS,
  findingsBody,
  imageView,
  importInventory,
  parseFindingQuery,
  parseVulnerabilityQuery,
  REPORT_FORMATS,
  reportsFromStore,
  runFindingQuery,
  vulnerabilityView,
  type FindingFormat,
  type ReportFormat,
} from '../../inventory/index.js';
import { readBody, type BodyOptions } from '../body.js';
import type { RunningInventory } from '../inventory-server.js';
import { createRouter } from '../request-path.js';
import { readSnapshotBody } from '../snapshot-body.js';

type Query = Context['query'];

/** Refuses parameters a route does not know, so a typo never widens a query. */
function onlyParams(query: Query, known: readonly string[]): void {
  const unknown = Object.keys(query).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new AppError('REQUEST_INVALID', `unknown query parameter '${unknown}' (known: ${known.join(', ')})`);
}

function param(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new AppError('REQUEST_INVALID', `query parameter '${name}' is given more than once`);
  return value === undefined || value === '' ? undefined : value;
}

function flag(query: Query, name: string): boolean {
  const value = param(query, name);
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new AppError('REQUEST_INVALID', `'${name}' must be true or false`);
}

/**
 * The inventory API: `POST /v1/inventory` (snapshots), `GET /v1/inventory`
 * (status), `/v1/inventory/workloads`, `/v1/inventory/deliveries`,
 * `GET /v1/findings` (the query layer, JSON, NDJSON or CSV),
 * `/v1/vulnerabilities/<id>`, `/v1/images/<digest>` and
 * `/v1/reports/kubernetes` (OpenReports / PolicyReport objects). A snapshot
 * body is read as every JSON body is (`body`: nesting, UTF-8, lone
 * surrogates), within the inventory's own size limit, plain or gzip; a
 * large one is parsed and checked in a worker thread (snapshot-body.ts).
 */
export function inventoryRoutes(inventory: RunningInventory, body: BodyOptions): Router {
  const router = createRouter();
  const snapshot: BodyOptions = {
    ...body,
    maxBytes: inventory.maxBodyBytes,
    limitName: 'inventory.max_body_bytes',
    gzipRatio: REQUEST_LIMITS.maxSnapshotRatio,
    strictType: true,
    invalid: 'INPUT_INVALID',
  };
  const { engine } = inventory;
  const store = engine.store.inventory;

  router.post('/v1/inventory', async (ctx) => {
    onlyParams(ctx.query, ['cluster', 'new_cluster', 'allow_empty']);
    const prepared = await readSnapshotBody({ bytes: await readBody(ctx, snapshot), maxDepth: snapshot.maxDepth, invalid: snapshot.invalid });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await importInventory(inventory.imports, prepared, {
      cluster: param(ctx.query, 'cluster') ?? 'default',
      newCluster: flag(ctx.query, 'new_cluster'),
      allowEmpty: flag(ctx.query, 'allow_empty'),
      source: 'request body',
    });
  });

  router.get('/v1/inventory', async (ctx) => {
    onlyParams(ctx.query, []);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ...(await store.status()), now: engine.clock().toISOString() };
  });

  router.get('/v1/inventory/workloads', async (ctx) => {
    onlyParams(ctx.query, ['cluster', 'namespace', 'digest', 'all', 'limit']);
    const digest = param(ctx.query, 'digest');
    if (digest !== undefined) assertDigest(digest);
    const filter = { cluster: param(ctx.query, 'cluster'), namespace: param(ctx.query, 'namespace'), digest };
    const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { workloads: await store.runningOf({ ...defined, live: !flag(ctx.query, 'all') }, limitOf(ctx.query, 10_000)) };
  });

  router.get('/v1/inventory/deliveries', async (ctx) => {
    onlyParams(ctx.query, ['outbox_id']);
    const id = param(ctx.query, 'outbox_id');
    if (id !== undefined && !/^\d+$/.test(id)) throw new AppError('REQUEST_INVALID', "'outbox_id' must be a number");
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { deliveries: await store.deliveries(id === undefined ? undefined : Number(id)) };
  });

  router.get('/v1/findings', async (ctx) => {
    const format = param(ctx.query, 'format') ?? (/\btext\/csv\b/i.test(ctx.get('Accept')) ? 'csv' : 'json');
    if (!FINDING_FORMATS.includes(format as FindingFormat)) throw new AppError('REQUEST_INVALID', "'format' must be json, ndjson or csv");
    const query = parseFindingQuery(ctx.query);
    const page = await runFindingQuery(store, query, engine.clock());
    ctx.set('Cache-Control', 'no-store');
    if (page.next_cursor !== undefined) ctx.set('X-Next-Cursor', page.next_cursor);
    const { type, body } = findingsBody(query, page, format as FindingFormat);
    ctx.type = type;
    ctx.body = body;
  });

  router.get('/v1/vulnerabilities/:id', async (ctx) => {
    const view = await vulnerabilityView(engine.store, parseVulnerabilityQuery(ctx.params['id'] ?? '', ctx.query));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = view;
  });

  router.get('/v1/images/:digest', async (ctx) => {
    onlyParams(ctx.query, []);
    const view = await imageView(engine.store, ctx.params['digest'] ?? '', engine.clock());
    ctx.set('Cache-Control', 'no-store');
    ctx.body = view;
  });

  router.get('/v1/reports/kubernetes', async (ctx) => {
    onlyParams(ctx.query, ['format', 'namespace', 'cluster', 'max_results', 'output']);
    const format = (param(ctx.query, 'format') ?? 'openreports') as ReportFormat;
    if (!REPORT_FORMATS.includes(format)) throw new AppError('REQUEST_INVALID', `'format' must be one of ${REPORT_FORMATS.join(', ')}`);
    const filter = Object.fromEntries(
      Object.entries({ cluster: param(ctx.query, 'cluster'), namespace: param(ctx.query, 'namespace') }).filter(([, v]) => v !== undefined),
    );
    const max = param(ctx.query, 'max_results');
    const maxResults = max === undefined ? inventory.reportMaxResults : Number(max);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 10_000) throw new AppError('REQUEST_INVALID', "'max_results' must be 1 to 10000");
    const items = await reportsFromStore(store, filter, { format, maxResults }, engine.clock());
    const list = { apiVersion: 'v1', kind: 'List', items };
    ctx.set('Cache-Control', 'no-store');
    const output = param(ctx.query, 'output') ?? (/\byaml\b/i.test(ctx.get('Accept')) ? 'yaml' : 'json');
    if (output === 'yaml') {
      const { stringify } = yaml();
      ctx.type = 'application/yaml';
      ctx.body = items.map((item) => `---\n${stringify(item)}`).join('');
    } else if (output === 'json') {
      ctx.body = list;
    } else {
      throw new AppError('REQUEST_INVALID', "'output' must be json or yaml");
    }
  });

  return router;
}

function limitOf(query: Query, max: number): number {
  const value = param(query, 'limit');
  if (value === undefined) return max;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new AppError('REQUEST_INVALID', `'limit' must be an integer from 1 to ${max}`);
  return n;
}
