import type { ScanResults, StoredScan } from '../gatekeeper/index.js';
import type { ScanRecord, Store } from '../store/index.js';

/** How long a read scan is reused: admission asks for the same digests many times a second. */
const FRESH_MS = 5000;
const HISTORY = 20;

/**
 * Scan results in the server's store (SQLite or PostgreSQL), so they survive
 * restarts and are shared by replicas. Reads are kept for a few seconds,
 * since parsing a stored report costs more than deciding on it; an upload
 * through this process is visible at once.
 */
export class StoreScanResults implements ScanResults {
  private readonly recent = new Map<string, { scan: StoredScan | undefined; at: number }>();

  constructor(private readonly store: Store) {}

  async get(digest: string): Promise<StoredScan | undefined> {
    return (await this.getMany([digest])).get(digest.toLowerCase());
  }

  async getMany(digests: readonly string[]): Promise<ReadonlyMap<string, StoredScan>> {
    const now = Date.now();
    const keys = [...new Set(digests.map((d) => d.toLowerCase()))];
    const missing = keys.filter((k) => (this.recent.get(k)?.at ?? -Infinity) < now - FRESH_MS);
    if (missing.length > 0) {
      const found = new Map((await this.store.latestScans(missing)).map((r) => [r.digest, toStored(r)]));
      for (const k of missing) this.remember(k, found.get(k), now);
    }
    const out = new Map<string, StoredScan>();
    for (const k of keys) {
      const scan = this.recent.get(k)?.scan;
      if (scan) out.set(k, scan);
    }
    return out;
  }

  async put(scan: StoredScan): Promise<void> {
    const digest = scan.digest.toLowerCase();
    await this.store.putScan({ digest, image: scan.image, input: scan.input, decision: scan.decision, storedAt: new Date(scan.storedAt) });
    this.remember(digest, { ...scan, digest }, Date.now());
  }

  /** Keeps a read for FRESH_MS; older entries are dropped, so a stream of uploads does not pile up parsed scans in memory. */
  private remember(digest: string, scan: StoredScan | undefined, now: number): void {
    this.recent.delete(digest);
    this.recent.set(digest, { scan, at: now });
    for (const [key, entry] of this.recent) {
      if (entry.at >= now - FRESH_MS) break;
      this.recent.delete(key);
    }
  }

  async history(digest: string): Promise<readonly StoredScan[]> {
    return (await this.store.scanHistory(digest.toLowerCase(), HISTORY)).map(toStored);
  }
}

function toStored(r: ScanRecord): StoredScan {
  return {
    digest: r.digest,
    image: r.image,
    input: r.input as StoredScan['input'],
    decision: r.decision as StoredScan['decision'],
    storedAt: r.storedAt.toISOString(),
  };
}
