import { mkdtemp, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { mintToken, openStore, type NewToken, type Store } from '../../src/store/index.js';
import { tinyBundle } from '../helpers/bundles.js';

export interface FleetApp {
  readonly url: string;
  readonly store: Store;
  readonly registry: BundleRegistry;
  /** Creates a token in the app's store and returns it. */
  token(spec: Partial<NewToken> & { name?: string }): Promise<{ token: string; id: string }>;
  close(): Promise<void>;
}

/** The whole app (bundles and fleet routes) over a temporary SQLite store, listening on a free loopback port. */
export async function startFleetApp(options: { authRequired?: boolean; maxBodyBytes?: number; maxRatio?: number } = {}): Promise<FleetApp> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-fleet-'));
  await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r1'));
  await writeFile(join(dir, 'other.tar.gz'), tinyBundle('o1', ['other']));
  const logger = pino({ level: 'silent' });
  const registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
  await registry.refresh();
  const store = await openStore({ driver: 'sqlite', path: join(dir, 'state', 'portcullis.db') });
  const app = createApp({
    registry,
    logger,
    fleet: {
      store,
      authRequired: options.authRequired ?? false,
      ingest: { maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024, maxRatio: options.maxRatio ?? 200, maxDepth: 128 },
      page: { defaultLimit: 100, maxLimit: 1000 },
    },
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    registry,
    token: async (spec) => {
      const { token, record } = mintToken({
        name: spec.name ?? 'test',
        bundles: spec.bundles ?? ['*'],
        scopes: spec.scopes ?? ['bundles', 'status', 'logs'],
        ...(spec.agent ? { agent: spec.agent } : {}),
        ...(spec.group ? { group: spec.group } : {}),
      });
      await store.createToken(record);
      return { token, id: record.id };
    },
    close: async () => {
      registry.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}

/** POSTs exact bytes with exactly the headers given (fetch adds no Content-Type for binary bodies). */
export async function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? new TextEncoder().encode(body) : body, headers });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // left as text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** An OPA-shaped decision-log event (EventV1). */
export function event(i: number, agent = 'agent-1', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    labels: { id: agent, version: '1.10.0', env: 'test' },
    decision_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    bundles: { tiny: { revision: 'r1' } },
    path: 'tiny/allow',
    input: { images: [`nginx:1.${i}`], user: 'alice' },
    result: i % 2 === 0,
    requested_by: '127.0.0.1:50000',
    timestamp: new Date(Date.UTC(2026, 10, 28, 12, 0, 0, i)).toISOString().replace('Z', '123456Z'),
    metrics: { timer_rego_query_eval_ns: 1000 + i },
    req_id: i,
    ...extra,
  };
}

/** An OPA-shaped status update (UpdateRequestV1). */
export function statusUpdate(agent = 'agent-1', revision = 'r1', extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    labels: { id: agent, version: '1.10.0', env: 'test' },
    bundles: {
      tiny: {
        name: 'tiny',
        active_revision: revision,
        last_request: now,
        last_successful_request: now,
        last_successful_download: now,
        last_successful_activation: now,
        type: 'snapshot',
        size: 512,
        metrics: { timer_bundle_request_ns: 12345 },
      },
    },
    plugins: { bundle: { state: 'OK' }, decision_logs: { state: 'OK' }, status: { state: 'OK' } },
    metrics: { prometheus: { go_gc_duration_seconds: { help: 'x', name: 'go_gc_duration_seconds', type: 1, metric: [] } } },
    ...extra,
  };
}
