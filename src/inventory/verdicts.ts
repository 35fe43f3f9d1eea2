import { AppError } from '../core/index.js';
import type { ClusterMetadata } from '../inputs/index.js';
import { contextOf } from './context.js';
import type { ImportDependencies } from './ingest.js';
import type { ServedRevision } from './policy.js';

/** What the provider answers for one image in one namespace. */
export interface ImageVerdict {
  readonly decision: 'allow' | 'deny' | 'unscanned';
  readonly summary: string;
  readonly digest: string;
  readonly violations: number;
  readonly warnings: number;
  readonly namespace: string | null;
  readonly environment: string | null;
  readonly revision: string;
  readonly evaluated_at: string;
}

/**
 * The latest scan of each digest that has one. A verdict decided on a scan is
 * reused while the reader returns the same stored scan: the same `seq` when
 * the scan has one (a store's scans), else the same object.
 */
export type ScanReader = (digests: readonly string[]) => Promise<ReadonlyMap<string, ReadScan>>;
type ReadScan = { readonly input: unknown; readonly seq?: number };

/** How long a verdict is reused: a CVE-age threshold or an expiring exception takes effect at most this late. */
export const VERDICT_TTL_MS = 5000;
/**
 * A verdict older than this is still answered, and decided again in the
 * background, so a steady stream of requests finds a fresh one before it
 * expires instead of waiting for a hundred decisions at once.
 */
const REFRESH_AFTER_MS = VERDICT_TTL_MS / 2;
const MAX_VERDICTS = 5000;

type Verdict = Omit<ImageVerdict, 'namespace'>;

interface Question {
  readonly key: string;
  readonly digest: string;
  readonly metadata: ClusterMetadata;
  readonly contextKey: string;
}

/** Keys of scans decided outside the queue: negative, so they never meet a stored scan's sequence number. */
let nextScanKey = -1;

/**
 * The current verdicts for images in namespaces (of the admission cluster),
 * as the Gatekeeper provider answers them: the stored decision of the
 * running (digest, namespace context) when it is up to date with the served
 * revision, else decided now, under that revision, with the namespace's
 * metadata. Never an older revision's verdict, never one without the
 * namespace's environment.
 *
 * Gatekeeper asks about every image of every object it admits or audits,
 * mostly the same few images, and most of them run nowhere in the inventory
 * under the namespace asked about. So each (context, digest) is decided once
 * per request, and a verdict is reused for VERDICT_TTL_MS while the revision
 * and the scan it was decided on are still the current ones (decided again in
 * the background after REFRESH_AFTER_MS); concurrent requests wait for the
 * same decision instead of repeating it.
 */
export class CurrentVerdicts {
  private readonly recent = new Map<string, { readonly verdict: Verdict; readonly at: number }>();
  private readonly deciding = new Map<string, Promise<Verdict | undefined>>();
  private readonly scanIds = new WeakMap<object, number>();
  private nextScanId = 1;

  constructor(
    private readonly deps: ImportDependencies,
    private readonly readScans: ScanReader,
  ) {}

  async lookup(keys: readonly { readonly digest: string; readonly namespace: string | null }[]): Promise<ImageVerdict[]> {
    const revision = this.deps.revision();
    if (!revision) throw new AppError('BUNDLE_NOT_FOUND', 'no published bundle provides portcullis/scan/decision');
    const engine = this.deps.engine;
    const now = engine.clock();
    // One metadata read and context hash per namespace asked about, not per key.
    const contexts = new Map<string | null, { readonly metadata: ClusterMetadata; readonly key: string }>();
    for (const { namespace } of keys) {
      if (contexts.has(namespace)) continue;
      const metadata = await engine.metadataFor(engine.settings.admissionCluster, namespace);
      contexts.set(namespace, { metadata, key: contextOf(metadata).key });
    }
    const scans = await this.readScans([...new Set(keys.map((k) => k.digest))]);
    const questions = new Map<string, Question>();
    const asked = keys.map(({ digest, namespace }) => {
      const context = contexts.get(namespace) as { readonly metadata: ClusterMetadata; readonly key: string };
      const key = `${revision.etag}\u0000${context.key}\u0000${digest}\u0000${this.scanId(scans.get(digest))}`;
      if (!questions.has(key)) questions.set(key, { key, digest, metadata: context.metadata, contextKey: context.key });
      return key;
    });
    const verdicts = await this.answer([...questions.values()], revision, scans, now);
    return keys.map((k, i) => {
      const verdict = verdicts.get(asked[i] as string);
      return verdict ? { ...verdict, namespace: k.namespace } : failed(k.digest, revision.revision, now);
    });
  }

  private async answer(
    questions: readonly Question[],
    revision: ServedRevision,
    scans: ReadonlyMap<string, ReadScan>,
    now: Date,
  ): Promise<Map<string, Verdict>> {
    const out = new Map<string, Verdict>();
    const waits: Promise<void>[] = [];
    const mine: Question[] = [];
    const refresh: Question[] = [];
    for (const q of questions) {
      const hit = this.recent.get(q.key);
      const age = hit ? now.getTime() - hit.at : Infinity;
      const pending = this.deciding.get(q.key);
      if (hit && age <= VERDICT_TTL_MS) {
        out.set(q.key, hit.verdict);
        if (age > REFRESH_AFTER_MS && !pending) refresh.push(q);
      } else if (pending) waits.push(pending.then((v) => void (v && out.set(q.key, v))));
      else mine.push(q);
    }
    if (refresh.length > 0) void this.start(refresh, revision, scans, now).catch(() => undefined);
    if (mine.length > 0)
      waits.push(
        this.start(mine, revision, scans, now).then((m) => {
          for (const [key, verdict] of m) out.set(key, verdict);
        }),
      );
    await Promise.all(waits);
    return out;
  }

  /** Decides `questions`, letting later requests for the same keys wait on it. */
  private start(questions: readonly Question[], revision: ServedRevision, scans: ReadonlyMap<string, ReadScan>, now: Date): Promise<Map<string, Verdict>> {
    const decided = this.decide(questions, revision, scans, now).finally(() => {
      for (const q of questions) this.deciding.delete(q.key);
    });
    for (const q of questions) {
      const one = decided.then((m) => m.get(q.key));
      // Those who wait on it see a failure; nobody else needs to.
      one.catch(() => undefined);
      this.deciding.set(q.key, one);
    }
    return decided;
  }

  /** Each question's verdict: the unit's stored decision when current, else decided now; both are kept for the next request. */
  private async decide(
    questions: readonly Question[],
    revision: ServedRevision,
    scans: ReadonlyMap<string, ReadScan>,
    now: Date,
  ): Promise<Map<string, Verdict>> {
    const engine = this.deps.engine;
    const out = new Map<string, Verdict>();
    const missing: Question[] = [];
    for (const q of questions) {
      const unit = await engine.store.inventory.unitFor(q.digest, q.contextKey);
      if (unit?.decision && !unit.pending && unit.revision_etag === revision.etag && unit.evaluated_at) {
        out.set(q.key, {
          decision: unit.decision,
          summary: unit.summary ?? '',
          digest: q.digest,
          violations: unit.violations,
          warnings: unit.warnings,
          environment: unit.environment,
          revision: unit.revision ?? revision.revision,
          evaluated_at: unit.evaluated_at,
        });
      } else {
        missing.push(q);
      }
    }
    if (missing.length > 0) {
      // Scans are passed under keys of their own, never reused, since the evaluators keep parsed scans by key.
      const texts = new Map<number, string>();
      const keyOf = new Map<string, number>();
      for (const digest of new Set(missing.map((m) => m.digest))) {
        const scan = scans.get(digest);
        if (!scan) continue;
        const key = nextScanKey--;
        texts.set(key, JSON.stringify(scan.input));
        keyOf.set(digest, key);
      }
      const tasks = missing.map((m, i) => ({
        unitId: i,
        digest: m.digest,
        scanSeq: keyOf.get(m.digest) ?? null,
        metadata: m.metadata,
        now: now.toISOString(),
      }));
      const outcomes = new Map((await engine.evaluateNow(revision, tasks, texts)).map((o) => [o.unitId, o]));
      for (const [i, m] of missing.entries()) {
        const o = outcomes.get(i);
        if (!o) continue;
        out.set(m.key, {
          decision: o.decision,
          summary: o.summary,
          digest: m.digest,
          violations: o.violations,
          warnings: o.warnings,
          environment: m.metadata.environment,
          revision: revision.revision,
          evaluated_at: now.toISOString(),
        });
      }
    }
    for (const [key, verdict] of out) this.remember(key, verdict, now.getTime());
    return out;
  }

  private remember(key: string, verdict: Verdict, at: number): void {
    // Maps keep insertion order: the first key is the oldest.
    if (this.recent.size >= MAX_VERDICTS) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, { verdict, at });
  }

  /** The stored scan's number, else one per scan object (0 for none), so a replaced scan never meets a verdict decided on the one before. */
  private scanId(scan: ReadScan | undefined): string {
    if (!scan) return 'none';
    if (scan.seq !== undefined) return `seq ${scan.seq}`;
    let id = this.scanIds.get(scan);
    if (id === undefined) {
      id = this.nextScanId++;
      this.scanIds.set(scan, id);
    }
    return `object ${id}`;
  }
}

function failed(digest: string, revision: string, now: Date): ImageVerdict {
  return {
    decision: 'deny',
    summary: 'the image policy could not be evaluated',
    digest,
    violations: 1,
    warnings: 0,
    namespace: null,
    environment: null,
    revision,
    evaluated_at: now.toISOString(),
  };
}
