import type { NormalizedInput } from '../inputs/index.js';
import type { Decision } from '../report/index.js';

/** One scan report's result, stored under the image digest it was taken of. */
export interface StoredScan {
  /** `sha256:<hex>`, lower case. */
  readonly digest: string;
  /** The reference CI named when uploading, e.g. registry.example.com/shop/api:1.4.2. */
  readonly image: string;
  /** The normalized report, without workloads: admission adds the workload it reviews. */
  readonly input: NormalizedInput;
  /** The image policy's decision at upload time; the provider answers with it. */
  readonly decision: Decision;
  readonly storedAt: string;
  /** The store's number for this scan, on scans read back from a store: two reads of one scan have the same. */
  readonly seq?: number;
}

/** A stored result as a digest's history lists it: the input stays in the store. */
export type ScanHistoryEntry = Omit<StoredScan, 'input'>;

/**
 * Scan results by digest. Re-uploading for a digest replaces the current
 * result and keeps the earlier ones as history. The server keeps them in its
 * store (serve/scan-results.ts); MemoryScanResults serves tests and tools.
 */
export interface ScanResults {
  get(digest: string): Promise<StoredScan | undefined>;
  /** Several digests at once, so a batch of provider keys is one lookup. */
  getMany(digests: readonly string[]): Promise<ReadonlyMap<string, StoredScan>>;
  put(scan: StoredScan): Promise<void>;
  /** Every result stored for the digest, newest first. */
  history(digest: string): Promise<readonly ScanHistoryEntry[]>;
}

export class MemoryScanResults implements ScanResults {
  private readonly byDigest = new Map<string, StoredScan[]>();

  constructor(private readonly maxHistory = 20) {}

  async get(digest: string): Promise<StoredScan | undefined> {
    return this.byDigest.get(digest.toLowerCase())?.[0];
  }

  async getMany(digests: readonly string[]): Promise<ReadonlyMap<string, StoredScan>> {
    const found = new Map<string, StoredScan>();
    for (const d of digests) {
      const scan = this.byDigest.get(d.toLowerCase())?.[0];
      if (scan) found.set(d.toLowerCase(), scan);
    }
    return found;
  }

  async put(scan: StoredScan): Promise<void> {
    const key = scan.digest.toLowerCase();
    const list = [scan, ...(this.byDigest.get(key) ?? [])].slice(0, this.maxHistory);
    this.byDigest.set(key, list);
  }

  async history(digest: string): Promise<readonly ScanHistoryEntry[]> {
    return [...(this.byDigest.get(digest.toLowerCase()) ?? [])];
  }
}
