import type { Logger } from 'pino';
import { wrapError } from '../core/index.js';
import type { StoreConfig } from './open.js';

/**
 * What replicas tell each other: a bundle was published or withdrawn; a scan
 * was stored; inventory work was queued (units to decide again).
 */
export type ChangeTopic = 'bundles' | 'scans' | 'inventory';

/**
 * Notices between the processes that share one store (PostgreSQL
 * LISTEN/NOTIFY). A notice is a hint to re-read, never data: a process that
 * misses one (its connection dropped) is told to resynchronise instead.
 */
export interface ChangeFeed {
  /** Tells every other process sharing the store; a process never hears its own notices. */
  notify(topic: ChangeTopic, payload: string): Promise<void>;
  /** Called for each notice another process sends on `topic`. */
  on(topic: ChangeTopic, listener: (payload: string) => void): void;
  /** Called after the feed reconnects, when notices may have been missed: re-read everything cached. */
  onResync(listener: () => void): void;
  close(): Promise<void>;
}

/** The feed of a shared store; undefined for SQLite, which only one process opens. */
export async function openChangeFeed(config: StoreConfig, logger: Logger): Promise<ChangeFeed | undefined> {
  if (config.driver !== 'postgres') return undefined;
  const { PostgresChangeFeed } = await import('./pg-changes.js');
  try {
    return await PostgresChangeFeed.open(config.url, logger);
  } catch (err) {
    // The URL may hold a password, so only the driver is named.
    throw wrapError(err, 'STORE_UNAVAILABLE', 'the postgres change feed cannot be opened');
  }
}
