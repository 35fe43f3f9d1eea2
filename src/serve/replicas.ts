import type { Logger } from 'pino';
import { messageOf } from '../core/index.js';
import type { ChangeFeed } from '../store/index.js';
import type { BundleRegistry } from './registry.js';

/** How long a replica keeps rescanning its source for a revision another replica announced. */
const FOLLOW_MS = 10_000;
const FOLLOW_STEP_MS = 200;

export interface BundleSyncOptions {
  /** Bundles each replica makes itself (discovery): never announced, never followed. */
  readonly generated: readonly string[];
  /** Re-reads the bundle source (default: the registry's folder rescan). */
  readonly refresh?: () => Promise<void>;
  readonly logger: Logger;
}

interface Announcement {
  readonly name: string;
  /** The ETag now served, or null when the bundle was withdrawn. */
  readonly etag: string | null;
}

/**
 * Replicas sharing one bundle source and one PostgreSQL database: the first
 * replica to see a new revision (its folder watcher, a rescan, a registry
 * poll) announces it, and every other replica rescans its source at once and
 * then wakes its own held long polls, so no agent waits for the next
 * periodic rescan whichever replica holds its request. Returns a stop function.
 */
export function syncBundles(registry: BundleRegistry, feed: ChangeFeed, options: BundleSyncOptions): () => void {
  let stopped = false;
  const generated = new Set(options.generated);
  const announce = (a: Announcement) => {
    if (stopped || generated.has(a.name)) return;
    feed.notify('bundles', JSON.stringify(a)).catch((err: unknown) => {
      options.logger.warn({ bundle: a.name, err: messageOf(err) }, 'could not tell the other replicas about a bundle change; they see it at their next rescan');
    });
  };
  const serving = (name: string) => registry.get(name)?.etag ?? null;
  const refresh = options.refresh ?? (() => registry.refresh());
  const follow = async (a: Announcement) => {
    const deadline = Date.now() + FOLLOW_MS;
    while (!stopped && serving(a.name) !== a.etag) {
      if (Date.now() > deadline) {
        options.logger.warn(
          { bundle: a.name, announced: a.etag, serving: serving(a.name) },
          'another replica serves a revision this replica does not find in its bundle source: every replica must read the same source',
        );
        return;
      }
      await refresh();
      if (serving(a.name) !== a.etag) await new Promise((resolve) => setTimeout(resolve, FOLLOW_STEP_MS));
    }
  };
  registry.on('published', (bundle) => announce({ name: bundle.name, etag: bundle.etag }));
  registry.on('withdrawn', (name) => announce({ name, etag: null }));
  feed.on('bundles', (payload) => {
    const a = announcementOf(payload);
    if (a && !generated.has(a.name)) void follow(a);
  });
  feed.onResync(() => void refresh());
  return () => {
    stopped = true;
  };
}

function announcementOf(payload: string): Announcement | undefined {
  try {
    const a = JSON.parse(payload) as Partial<Announcement>;
    return typeof a.name === 'string' && (typeof a.etag === 'string' || a.etag === null) ? { name: a.name, etag: a.etag } : undefined;
  } catch {
    return undefined;
  }
}
