import type { Context, Next } from 'koa';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LongPollWaiters } from './long-poll.js';
import type { BundleRegistry } from './registry.js';

/** The server's Prometheus metrics, one registry per server so tests and restarts do not collide. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'portcullis_http_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'portcullis_bundle_publish_to_delivery_seconds',
    help: 'Time from a revision being published to its delivery to a held long-poll request.',
    labelNames: ['bundle'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'portcullis_bundle_deliveries_total',
    help: 'Bundles sent with a 200, by bundle and type (snapshot or delta).',
    labelNames: ['bundle', 'type'] as const,
    registers: [this.registry],
  });
  readonly ingested = new Counter({
    name: 'portcullis_ingested_total',
    help: 'Status updates and decision-log events stored, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(bundles: BundleRegistry, waiters: LongPollWaiters) {
    collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
    new Gauge({
      name: 'portcullis_long_poll_held_requests',
      help: 'Long-poll requests currently held open.',
      registers: [this.registry],
      collect() {
        this.set(waiters.size);
      },
    });
    new Gauge({
      name: 'portcullis_bundle_size_bytes',
      help: 'Size of each published bundle, labelled with its revision.',
      labelNames: ['bundle', 'revision'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of bundles.states()) if (s.revision !== undefined && s.size !== undefined) this.set({ bundle: s.name, revision: s.revision }, s.size);
      },
    });
  }

  /** Counts every request by the route that matched (not the raw path, which would explode cardinality). */
  middleware() {
    return async (ctx: Context, next: Next): Promise<void> => {
      try {
        await next();
      } finally {
        const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
        this.requests.inc({ route, method: ctx.method, status: String(ctx.status) });
      }
    };
  }
}
