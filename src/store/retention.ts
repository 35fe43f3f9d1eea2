import type { Logger } from 'pino';
import type { RetentionPolicy, Store } from './types.js';

export interface RetentionOptions extends RetentionPolicy {
  readonly intervalMs: number;
}

/** Prunes now and then every interval; returns a stop function. Failures are logged, never fatal. */
export function startRetention(store: Store, options: RetentionOptions, logger: Logger): () => void {
  if (options.maxAgeMs === undefined && options.maxDecisions === undefined) return () => undefined;
  const run = async () => {
    try {
      const deleted = await store.prune(options, new Date());
      if (deleted > 0) logger.info({ deleted }, 'old decisions pruned');
    } catch (err) {
      logger.error({ err }, 'pruning decisions failed');
    }
  };
  void run();
  const timer = setInterval(() => void run(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
