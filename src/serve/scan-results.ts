import type { Logger } from 'pino';
import { messageOf } from '../core/index.js';
import type { ScanHistoryEntry, ScanResults, StoredScan } from '../gatekeeper/index.js';
import type { ChangeFeed, Store, StoredScanRecord } from '../store/index.js';

/** How long a read scan is reused: admission asks for the same digests many times a second. */
export const SCAN_READ_TTL_MS = 5000;
const HISTORY = 20;
/** Digests kept at most: requests name arbitrary digests, and each miss is remembered too. */
const MAX_RECENT = 5000;

export interface ScanSharing {
  /** Replicas on one PostgreSQL tell each other which digests got a new scan. */
  readonly feed: ChangeFeed;
  readonly logger: Logger;
}

/**
 * Scan results in the server's store (SQLite or PostgreSQL), so they survive
 * restarts and are shared by replicas. Reads are kept for a few seconds,
 * since parsing a stored report costs more than deciding on it; an upload
 * through this process is visible at once, and with a change feed an upload
 * through another replica drops the digest from this cache as soon as the
 * notice arrives (after a lost connection, the whole cache). Without notices a
 * read is at most SCAN_READ_TTL_MS old; then the store's sequence numbers
 * tell whether it is still current, so an unchanged scan is not parsed again.
 */
export class StoreScanResults implements ScanResults {
  private readonly recent = new Map<string, { scan: StoredScan | undefined; at: number }>();
  /** Bumped on every invalidation, so a read that overlapped one is not cached. */
  private epoch = 0;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly sharing?: ScanSharing,
    /** Milliseconds since the epoch; tests move it on. */
    private readonly clock: () => number = Date.now,
  ) {
    sharing?.feed.on('scans', (digest) => this.forget(digest));
    sharing?.feed.onResync(() => this.forget());
  }

  async get(digest: string): Promise<StoredScan | undefined> {
    return (await this.getMany([digest])).get(digest.toLowerCase());
  }

  async getMany(digests: readonly string[]): Promise<ReadonlyMap<string, StoredScan>> {
    const now = this.clock();
    const keys = [...new Set(digests.map((d) => d.toLowerCase()))];
    const stale = keys.filter((k) => (this.recent.get(k)?.at ?? -Infinity) < now - SCAN_READ_TTL_MS);
    const read = stale.length > 0 ? await this.reread(stale, now) : new Map<string, StoredScan | undefined>();
    const out = new Map<string, StoredScan>();
    for (const k of keys) {
      const scan = read.has(k) ? read.get(k) : this.recent.get(k)?.scan;
      if (scan) out.set(k, scan);
    }
    return out;
  }

  /**
   * Reads digests whose cached read is too old. A read still held is checked
   * against the store's sequence number first and kept when no newer scan
   * was stored: reading it again would parse its report (a few milliseconds
   * each, on the event loop) every SCAN_READ_TTL_MS for every digest in use.
   */
  private async reread(stale: readonly string[], now: number): Promise<Map<string, StoredScan | undefined>> {
    const epoch = this.epoch;
    const held = new Map(stale.flatMap((k) => (this.recent.has(k) ? [[k, this.recent.get(k)?.scan] as const] : [])));
    const seqs = held.size > 0 ? await this.store.latestScanSeqs([...held.keys()]) : new Map<string, number>();
    const read = new Map<string, StoredScan | undefined>();
    // A notice during the check may be about a scan the check did not see: then everything is read again.
    if (epoch === this.epoch) for (const [k, scan] of held) if (scan?.seq === seqs.get(k)) read.set(k, scan);
    const missing = stale.filter((k) => !read.has(k));
    if (missing.length > 0) {
      const fetched = new Map((await this.store.latestScans(missing)).map((r) => [r.digest, toStored(r)]));
      for (const k of missing) read.set(k, fetched.get(k));
    }
    if (epoch === this.epoch) for (const [k, scan] of read) this.remember(k, scan, now);
    return read;
  }

  async put(scan: StoredScan): Promise<void> {
    const digest = scan.digest.toLowerCase();
    await this.store.putScan({ digest, image: scan.image, input: scan.input, decision: scan.decision, storedAt: new Date(scan.storedAt) });
    // Not kept as a read: a fleet's uploads would hold every parsed report of the last few seconds; the next read parses it.
    await this.storedElsewhere([digest]);
  }

  /** Scans written to the store by another path (a Trivy Operator import): cached reads go, here and on the other replicas. */
  async storedElsewhere(digests: readonly string[]): Promise<void> {
    for (const digest of digests) this.forget(digest);
    for (const digest of digests) {
      await this.sharing?.feed.notify('scans', digest.toLowerCase()).catch((err: unknown) => {
        this.sharing?.logger.warn(
          { digest, err: messageOf(err) },
          `could not tell the other replicas about a new scan; they use it within ${SCAN_READ_TTL_MS} ms`,
        );
      });
    }
  }

  /**
   * Keeps a read for SCAN_READ_TTL_MS and at most MAX_RECENT of them: maps keep
   * insertion order, so expired entries, then past the cap the oldest, go from
   * the front, and neither a stream of uploads nor of unknown digests piles up.
   */
  private remember(digest: string, scan: StoredScan | undefined, at: number): void {
    this.recent.delete(digest);
    this.dropExpired(at, MAX_RECENT - 1);
    this.recent.set(digest, { scan, at });
    this.sweepLater();
  }

  private dropExpired(now: number, cap: number): void {
    for (const [key, entry] of this.recent) {
      if (entry.at >= now - SCAN_READ_TTL_MS && this.recent.size <= cap) break;
      this.recent.delete(key);
    }
  }

  /**
   * Expired reads also go when nothing new is read: after a burst of uploads
   * the cache held each of its last seconds' parsed scans (hundreds of
   * megabytes for a fleet's reports) until the next read.
   */
  private sweepLater(): void {
    if (this.sweep) return;
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      this.dropExpired(this.clock(), MAX_RECENT);
      if (this.recent.size > 0) this.sweepLater();
    }, SCAN_READ_TTL_MS).unref();
  }

  async history(digest: string): Promise<readonly ScanHistoryEntry[]> {
    return (await this.store.scanHistory(digest.toLowerCase(), HISTORY)).map((h) => ({
      digest: h.digest,
      image: h.image,
      decision: h.decision as StoredScan['decision'],
      storedAt: h.storedAt.toISOString(),
    }));
  }

  /** Drops one digest, or everything, from the read cache. */
  private forget(digest?: string): void {
    this.epoch++;
    if (digest === undefined) this.recent.clear();
    else this.recent.delete(digest.toLowerCase());
  }
}

function toStored(r: StoredScanRecord): StoredScan {
  return {
    seq: r.seq,
    digest: r.digest,
    image: r.image,
    input: r.input as StoredScan['input'],
    decision: r.decision as StoredScan['decision'],
    storedAt: r.storedAt.toISOString(),
  };
}
