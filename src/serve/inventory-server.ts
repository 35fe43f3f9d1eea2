import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { DECISION_ENTRYPOINT, PolicyCache, toolInfo } from '../check/index.js';
import type { Config } from '../config/index.js';
import { messageOf } from '../core/index.js';
import {
  currentVerdicts,
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
import type { Store } from '../store/index.js';
import { registerInventoryMetrics } from './inventory-metrics.js';
import type { ServerMetrics } from './metrics.js';
import type { BundleRegistry } from './registry.js';
import { bundleFor } from './routes/data.js';
import { servedDecisionPolicy, type InventoryHooks } from './routes/gatekeeper.js';

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

/**
 * Starts the inventory: the evaluation engine on worker threads (re-deciding
 * on new revisions, scans, inventory changes and the clock), the webhook
 * deliverer when one is configured, and the hooks admission and the
 * provider answer through.
 */
export async function startInventory(
  config: Config,
  store: Store,
  registry: BundleRegistry,
  metrics: ServerMetrics,
  logger: Logger,
): Promise<RunningInventory> {
  const c = config.inventory;
  const clock: Clock = c.clockFile ? fileClock(c.clockFile) : () => new Date();
  if (c.clockFile) logger.warn({ file: c.clockFile }, 'the server reads its time from a clock file (PORTCULLIS_CLOCK_FILE)');
  const threads = c.workers ?? availableParallelism();
  const evaluator = threads === 0 ? new InlineEvaluator(config.limits) : new WorkerPool(threads, config.limits);
  const measures = registerInventoryMetrics(metrics.registry, store.inventory);
  const revision = () => servedRevision(registry);
  let deliverer: WebhookDeliverer | undefined;
  const engine = new InventoryEngine({
    store,
    revision,
    evaluator,
    clock,
    logger,
    observer: { ...measures.observer, eventsQueued: () => deliverer?.wake() },
    settings: {
      admissionCluster: c.cluster,
      context: { environmentLabel: config.kubernetes.environmentLabel, namespaceLabels: config.kubernetes.namespaceLabels, clusters: c.clusters },
      unresolvedDigest: c.unresolvedDigest,
      unscanned: config.kubernetes.unscanned,
      tickIntervalMs: c.tickIntervalMs,
      tickCheckMs: c.pollMs,
      pollMs: c.pollMs,
      batchSize: Math.max(8, threads * 8),
      leaseMs: 120_000,
      eventsEnabled: c.webhook !== undefined,
    },
  });
  const onPublished = (bundle: { name: string }) => {
    if (bundle.name === revision()?.name) engine.revisionPublished();
  };
  registry.on('published', onPublished);
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
  const cache = new PolicyCache(config.limits);
  const imports: ImportDependencies = { engine, revision, policy: () => servedDecisionPolicy(registry, cache) };
  const failed = (what: string) => (err: unknown) => logger.error({ err: messageOf(err) }, what);
  logger.info({ workers: threads, cluster: c.cluster, tick_seconds: c.tickIntervalMs / 1000, webhook: c.webhook !== undefined }, 'inventory started');
  return {
    engine,
    imports,
    reportMaxResults: c.reportMaxResults,
    maxBodyBytes: c.maxBodyBytes,
    hooks: {
      verdicts: (keys) => currentVerdicts(imports, keys),
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
