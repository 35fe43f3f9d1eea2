import type { Logger } from 'pino';
import type { RetentionPolicy, Store } from './types.js';

export interface RetentionOptions extends RetentionPolicy {
  readonly intervalMs: number;
  /** The inventory's history (gone containers, resolved findings, finished webhook events) older than this is deleted. */
  readonly historyMs?: number;
}

/** Prunes now and then every interval; returns a stop function. Failures are logged, never fatal. */
export function startRetention(store: Store, options: RetentionOptions, logger: Logger): () => void {
  if (options.maxAgeMs === undefined && options.maxDecisions === undefined && options.historyMs === undefined) return () => undefined;
  const run = async () => {
    await pruneDecisions(store, options, logger);
    await pruneHistory(store, options, logger);
  };
  void run();
  const timer = setInterval(() => void run(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

async function pruneDecisions(store: Store, options: RetentionOptions, logger: Logger): Promise<void> {
  try {
    const deleted = await store.prune(options, new Date());
    if (deleted > 0) logger.info({ deleted }, 'old decisions pruned');
  } catch (err) {
    logger.error({ err }, 'pruning decisions failed');
  }
}

async function pruneHistory(store: Store, options: RetentionOptions, logger: Logger): Promise<void> {
  if (options.historyMs === undefined) return;
  try {
    const pruned = await store.inventory.pruneHistory(new Date(Date.now() - options.historyMs));
    if (pruned.containers + pruned.findings + pruned.events > 0) logger.info(pruned, 'old inventory history pruned');
  } catch (err) {
    logger.error({ err }, 'pruning the inventory history failed');
  }
}
