import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { DECISION_ENTRYPOINT, PolicyCache } from '../check/index.js';
import type { Config } from '../config/index.js';
import { messageOf, toolInfo } from '../core/index.js';
import {
  CurrentVerdicts,
  fileClock,
  InlineEvaluator,
  InventoryEngine,
  recordAdmission,
  WebhookDeliverer,
  WorkerPool,
  type Clock,
  type ImportDependencies,
  type ServedRevision,
} from '../inventory/index.js';
import type { ChangeFeed, Store } from '../store/index.js';
import { registerInventoryMetrics } from './inventory-metrics.js';
import type { ServerMetrics } from './metrics.js';
import type { BundleRegistry } from './registry.js';
import { bundleFor } from './routes/data.js';
import { servedDecisionPolicy, type InventoryHooks } from './routes/gatekeeper.js';
import type { StoreScanResults } from './scan-results.js';

export interface RunningInventory {
  readonly engine: InventoryEngine;
  readonly imports: ImportDependencies;
  readonly hooks: InventoryHooks;
  readonly reportMaxResults: number;
  readonly maxBodyBytes: number;
  close(): Promise<void>;
}

/** The served bundle that provides the image policy's decision, as the inventory evaluates it. */
export function servedRevision(registry: BundleRegistry): ServedRevision | undefined {
  const bundle = bundleFor(registry, DECISION_ENTRYPOINT);
  return bundle && { name: bundle.name, etag: bundle.etag, bytes: bundle.bytes, revision: bundle.revision, publishedAt: bundle.publishedAt.getTime() };
}

export interface InventoryServerDependencies {
  readonly store: Store;
  readonly registry: BundleRegistry;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** The scan read cache admission and the provider use: an operator import's scans replace cached reads. */
  readonly scans?: StoreScanResults;
  /** Replicas on one PostgreSQL: queued work wakes the others (the poll is the fallback for a lost notice). */
  readonly feed?: ChangeFeed;
}

/**
 * Starts the inventory: the evaluation engine on worker threads (re-deciding
 * on new revisions, scans, inventory changes and the clock), the webhook
 * deliverer when one is configured, and the hooks admission and the
 * provider answer through.
 */
export async function startInventory(config: Config, deps: InventoryServerDependencies): Promise<RunningInventory> {
  const { store, registry, metrics, logger, feed } = deps;
  const c = config.inventory;
  const clock: Clock = c.clockFile ? fileClock(c.clockFile) : () => new Date();
  if (c.clockFile) logger.warn({ file: c.clockFile }, 'the server reads its time from a clock file (PORTCULLIS_CLOCK_FILE)');
  const threads = c.workers ?? availableParallelism();
  const limits = { read: config.limits, evaluation: config.evaluation };
  const evaluator = threads === 0 ? new InlineEvaluator(limits) : new WorkerPool(threads, limits);
  const measures = registerInventoryMetrics(metrics.registry, store.inventory);
  const revision = () => servedRevision(registry);
  let deliverer: WebhookDeliverer | undefined;
  const engine = new InventoryEngine({
    store,
    revision,
    evaluator,
    clock,
    logger,
    observer: { ...measures.observer, eventsQueued: () => deliverer?.wake(), ...(feed ? { workQueued: announcer(feed, logger) } : {}) },
    settings: {
      admissionCluster: c.cluster,
      context: { environmentLabel: config.kubernetes.environmentLabel, namespaceLabels: config.kubernetes.namespaceLabels, clusters: c.clusters },
      unresolvedDigest: c.unresolvedDigest,
      unscanned: config.kubernetes.unscanned,
      tickIntervalMs: c.tickIntervalMs,
      // The clock is looked at every second at least, however rarely the store is polled for work.
      tickCheckMs: Math.min(c.pollMs, 1000),
      pollMs: c.pollMs,
      // One write transaction per batch: larger batches write each hot index page once per batch, not once per handful
      // of units; two batches are in flight (one written, one evaluated), which bounds the memory they hold.
      batchSize: Math.max(16, threads * 16),
      leaseMs: 120_000,
      eventsEnabled: c.webhook !== undefined,
    },
  });
  const onPublished = (bundle: { name: string }) => {
    if (bundle.name === revision()?.name) engine.revisionPublished();
  };
  registry.on('published', onPublished);
  // Another server queued work in the shared store, or notices may have been lost: look for work now.
  feed?.on('inventory', () => engine.wake());
  feed?.onResync(() => engine.wake());
  await engine.start();
  if (c.webhook) {
    deliverer = new WebhookDeliverer({
      inventory: store.inventory,
      settings: c.webhook,
      owner: engine.owner,
      logger,
      userAgent: `portcullis/${toolInfo().version}`,
      observer: { delivered: measures.delivered },
    });
    deliverer.start();
  }
  const cache = new PolicyCache(limits.read, limits.evaluation);
  const imports: ImportDependencies = {
    engine,
    revision,
    policy: () => servedDecisionPolicy(registry, cache),
    ...(deps.scans ? { scansStored: (digests: readonly string[]) => deps.scans?.storedElsewhere(digests) ?? Promise.resolve() } : {}),
  };
  // The scan read cache keeps one object per digest's scan while it is current, so verdicts decided on it are reused.
  const verdicts = new CurrentVerdicts(imports, (digests) =>
    deps.scans ? deps.scans.getMany(digests) : store.latestScans(digests).then((rows) => new Map(rows.map((r) => [r.digest, r]))),
  );
  const failed = (what: string) => (err: unknown) => logger.error({ err }, what);
  logger.info({ workers: threads, cluster: c.cluster, tick_seconds: c.tickIntervalMs / 1000, webhook: c.webhook !== undefined }, 'inventory started');
  return {
    engine,
    imports,
    reportMaxResults: c.reportMaxResults,
    maxBodyBytes: c.maxBodyBytes,
    hooks: {
      verdicts: (keys) => verdicts.lookup(keys),
      metadata: (namespace) => engine.metadataFor(c.cluster, namespace),
      admitted: (review) => void recordAdmission(imports, review).catch(failed('recording an admitted review in the inventory failed')),
      scanStored: (digest) => void engine.scanStored([digest]).catch(failed('queueing a re-evaluation for a new scan failed')),
      clock,
    },
    close: async () => {
      registry.off('published', onPublished);
      await deliverer?.stop();
      await engine.stop();
      await evaluator.close();
    },
  };
}

/**
 * Tells the other servers that work was queued. Notices while one is being
 * sent collapse into one more, so a burst of admitted reviews costs a
 * couple of notices, not one each.
 */
function announcer(feed: ChangeFeed, logger: Logger): () => void {
  let sending = false;
  let again = false;
  const send = (): void => {
    sending = true;
    again = false;
    feed
      .notify('inventory', 'queued')
      .catch((err: unknown) =>
        logger.warn({ err: messageOf(err) }, 'could not tell the other servers about queued inventory work; they find it at their next poll'),
      )
      .finally(() => {
        sending = false;
        if (again) send();
      });
  };
  return () => {
    if (sending) again = true;
    else send();
  };
}
