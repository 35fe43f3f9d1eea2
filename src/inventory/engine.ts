import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setImmediate } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ClusterMetadata } from '../inputs/index.js';
import type { ClaimedUnit, Enforcement, InventoryStore, Store } from '../store/index.js';
import { contextOf, namespaceMetadata, type ContextOptions } from './context.js';
import type { UnitOutcome, UnitTask } from './evaluate.js';
import { planFindings } from './findings.js';
import type { ServedRevision } from './policy.js';
import type { Evaluator } from './pool.js';
import { Waker } from './waker.js';

/** The current time; injectable, so tests can move it past CVE-age thresholds and exception expiries. */
export type Clock = () => Date;

export interface InventorySettings {
  /** The cluster admission reviews come from. */
  readonly admissionCluster: string;
  readonly context: ContextOptions;
  /** Mode of the finding for a running container whose digest is unknown. */
  readonly unresolvedDigest: Enforcement;
  /** Mode of the finding for a running digest without a stored scan (admission.unscanned). */
  readonly unscanned: Enforcement;
  /** Everything is re-decided this often, so CVE ages and exception expiries take effect (default one hour). */
  readonly tickIntervalMs: number;
  /** How often the clock is looked at for a due tick. */
  readonly tickCheckMs: number;
  /** How often work queued by other processes sharing the store is looked for. */
  readonly pollMs: number;
  /** Units claimed and evaluated per round. */
  readonly batchSize: number;
  /** How long a claim holds before another process may take the unit over. */
  readonly leaseMs: number;
  /** Whether deny-level changes are queued for a webhook. */
  readonly eventsEnabled: boolean;
}

/** Told of what the engine does, for the server's metrics. */
export interface EngineObserver {
  unitEvaluated?(ms: number): void;
  passCompleted?(seconds: number, units: number): void;
  eventsQueued?(): void;
  /** Units were queued here (a scan, an import, an admitted workload, a tick, a new revision): other servers sharing the store may help. */
  workQueued?(): void;
}

export interface EngineDependencies {
  readonly store: Store;
  /** The served image-scan revision, or undefined when none is published. */
  readonly revision: () => ServedRevision | undefined;
  readonly evaluator: Evaluator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: InventorySettings;
  readonly observer?: EngineObserver;
}

const PRIORITY = { scheduled: 0, inventory: 1, scan: 2 } as const;

/** The store's record of the revision everything is decided under. */
const REVISION_KEY = 'revision';
/** A pass deciding this many units (a new revision, a day's re-evaluation) rewrites findings across the store, not one digest's. */
const LARGE_PASS_UNITS = 500;
interface RecordedRevision {
  readonly etag: string;
  readonly revision: string;
  readonly published_at: number;
}

/**
 * Keeps the current findings current. Work is a queue in the store (dirty
 * evaluation units), so it survives restarts and is shared by every server
 * on one database: each claims units (SKIP LOCKED on PostgreSQL), evaluates
 * them on worker threads and writes only what changed. Triggers: a new
 * revision of the served policy, a new scan, an inventory change, and the
 * clock.
 */
export class InventoryEngine {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly inventory: InventoryStore;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waker = new Waker();
  private ticker: NodeJS.Timeout | undefined;
  /** The pass in progress: when it started, units decided, time spent deciding (all threads) and writing. */
  private pass: { started: number; units: number; evaluateMs: number; writeMs: number } | undefined;
  private readonly idleWaiters: (() => void)[] = [];
  private waitingOn: string | undefined;

  constructor(private readonly deps: EngineDependencies) {
    this.inventory = deps.store.inventory;
  }

  get settings(): InventorySettings {
    return this.deps.settings;
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  get store(): Store {
    return this.deps.store;
  }

  /** Brings contexts in line with the configuration, then works through what is pending and watches the clock. */
  async start(): Promise<void> {
    await this.reconcileContexts();
    this.running = true;
    this.loop = this.work();
    this.ticker = setInterval(
      () => void this.tick().catch((err: unknown) => this.deps.logger.error({ err }, 'inventory tick failed')),
      this.settings.tickCheckMs,
    );
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.ticker);
    this.wake();
    await this.loop;
    await this.inventory.releaseClaims(this.owner).catch(() => undefined);
  }

  /** A new revision of the served policy (or its settings): everything is decided again. */
  revisionPublished(): void {
    this.wake();
  }

  /** A new scan of a digest: the units that run it are decided again, before anything else. */
  async scanStored(digests: readonly string[]): Promise<void> {
    if ((await this.inventory.markDirty({ digests }, PRIORITY.scan)) > 0) this.queued();
  }

  /** The inventory changed (an import, an admitted workload): new units wait. */
  inventoryChanged(): void {
    this.queued();
  }

  /** Work was queued in the store: this server starts on it, and the others sharing the store are told. */
  private queued(): void {
    this.wake();
    this.deps.observer?.workQueued?.();
  }

  /** Resolves once nothing is pending here; for tests and benchmarks. */
  idle(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The metadata a namespace is evaluated with, as admission and the provider need it. */
  async metadataFor(cluster: string, namespace: string | null): Promise<ClusterMetadata> {
    if (namespace === null)
      return {
        namespace: null,
        namespace_labels: {},
        environment: this.settings.context.clusters[cluster]?.environment ?? null,
        cluster,
        labels: this.settings.context.clusters[cluster]?.labels ?? {},
      };
    const labels = await this.inventory.namespaceLabels(cluster);
    return namespaceMetadata(cluster, namespace, labels.get(namespace), this.settings.context);
  }

  /** Decides tasks now with the served revision, for answers that cannot wait for the queue (the provider). */
  async evaluateNow(revision: ServedRevision, tasks: readonly UnitTask[], scans: ReadonlyMap<number, string>): Promise<UnitOutcome[]> {
    return this.deps.evaluator.evaluate(revision, tasks, { unscanned: this.settings.unscanned }, scans);
  }

  wake(): void {
    this.waker.wake();
  }

  /**
   * Keeps two batches in flight: while one is written, the next is already
   * claimed and queued on the worker threads, so the threads decide while
   * the main thread (SQLite) or the database (PostgreSQL) stores, and never
   * wait for a claim between batches.
   */
  private async work(): Promise<void> {
    let next = this.fetch();
    while (this.running) {
      const batch = await next;
      if (!batch) {
        if ((this.pass?.units ?? 0) >= LARGE_PASS_UNITS)
          await this.inventory
            .afterLargePass()
            .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not vacuum and analyze the findings after a large pass; autovacuum will'));
        this.finishPass();
        await this.sleep(this.settings.pollMs);
        next = this.fetch();
        continue;
      }
      next = this.running ? this.fetch() : Promise.resolve(undefined);
      const outcomes = await batch.outcomes.catch((err: unknown) => {
        this.deps.logger.error({ err }, 'inventory evaluation failed; retrying');
        return undefined;
      });
      if (!outcomes) {
        await this.sleep(this.settings.pollMs);
        continue;
      }
      // Lets the next batch reach the threads before this one is written when claiming it needs no I/O (SQLite): the
      // write is synchronous on this thread, and no thread could be handed work until it is done. PostgreSQL writes
      // elsewhere, and its next claim may still be on its way.
      await setImmediate();
      await this.write(batch, outcomes).catch((err: unknown) => this.deps.logger.error({ err }, 'writing inventory results failed; retrying'));
    }
    await next;
  }

  private sleep(ms: number): Promise<void> {
    return this.running ? this.waker.sleep(ms) : Promise.resolve();
  }

  /** Adopts a new revision if there is one, claims a batch and queues it for evaluation; undefined when there is nothing to do. */
  private async fetch(): Promise<Batch | undefined> {
    try {
      const revision = this.deps.revision();
      if (!revision) return undefined;
      this.deps.evaluator.warm(revision);
      if (!(await this.adopt(revision))) return undefined;
      const units = await this.inventory.claimUnits(this.owner, this.settings.batchSize, this.settings.leaseMs, this.deps.clock());
      if (units.length === 0) return undefined;
      this.pass ??= { started: performance.now(), units: 0, evaluateMs: 0, writeMs: 0 };
      const texts = await this.inventory.scanInputs([...new Set(units.flatMap((u) => (u.scanSeq === null ? [] : [u.scanSeq])))]);
      const now = this.deps.clock();
      const tasks = units.map((u) => taskOf(u, now));
      const outcomes = this.deps.evaluator.evaluate(revision, tasks, { unscanned: this.settings.unscanned }, texts);
      // Handled when the batch's turn comes; until then a failure must not count as unhandled.
      outcomes.catch(() => undefined);
      return { revision, units, outcomes, now };
    } catch (err) {
      this.deps.logger.error({ err }, 'inventory evaluation failed; retrying');
      await this.sleep(this.settings.pollMs);
      return undefined;
    }
  }

  private async write({ revision, units, now }: Batch, outcomes: readonly UnitOutcome[]): Promise<void> {
    const started = performance.now();
    const byId = new Map(outcomes.map((o) => [o.unitId, o]));
    const items = units.flatMap((unit) => {
      const o = byId.get(unit.id);
      if (!o) return [];
      this.deps.observer?.unitEvaluated?.(o.ms);
      const result = {
        decision: o.decision,
        summary: o.summary,
        violations: o.violations,
        warnings: o.warnings,
        findings: o.findings,
        hash: o.hash,
        revisionEtag: revision.etag,
        revision: revision.revision,
        evaluatedAt: now,
        scanSeq: unit.scanSeq,
      };
      return [{ unit, result }];
    });
    const stored = await this.inventory.completeUnits(this.owner, items, planFindings, this.settings.eventsEnabled);
    if (stored.length < items.length) {
      this.deps.logger.warn(
        { units: items.length - stored.length },
        'inventory unit claims expired before their results were written; another server decides them',
      );
    }
    if (this.pass) {
      this.pass.units += units.length;
      this.pass.evaluateMs += outcomes.reduce((sum, o) => sum + o.ms, 0);
      this.pass.writeMs += performance.now() - started;
    }
    if (stored.length > 0 && this.settings.eventsEnabled) this.deps.observer?.eventsQueued?.();
  }

  private finishPass(): void {
    if (this.pass) {
      this.deps.observer?.passCompleted?.((performance.now() - this.pass.started) / 1000, this.pass.units);
      const p = this.pass;
      const seconds = (ms: number) => Number((ms / 1000).toFixed(3));
      this.deps.logger.info(
        { units: p.units, seconds: seconds(performance.now() - p.started), evaluate_seconds: seconds(p.evaluateMs), write_seconds: seconds(p.writeMs) },
        'inventory re-evaluated',
      );
      this.pass = undefined;
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * The store records which revision everything is decided under. A server
   * whose revision was published (here) after the recorded one makes it
   * current and queues every unit; one still serving an older revision
   * waits, so a rolling update never flips the inventory back and forth.
   * Between servers, compare-and-set decides who records it.
   */
  private async adopt(revision: ServedRevision): Promise<boolean> {
    const raw = await this.inventory.getState(REVISION_KEY);
    const current = raw === undefined ? undefined : (JSON.parse(raw) as RecordedRevision);
    if (current?.etag === revision.etag) return true;
    if (current && current.published_at >= revision.publishedAt) {
      if (this.waitingOn !== current.etag)
        this.deps.logger.warn(
          { serving: revision.revision, current: current.revision },
          'another server decides under a newer policy revision; waiting for it here',
        );
      this.waitingOn = current.etag;
      return false;
    }
    const next: RecordedRevision = { etag: revision.etag, revision: revision.revision, published_at: revision.publishedAt };
    // Recorded and queued in one transaction: no one may see the new revision with nothing pending.
    if (!(await this.inventory.compareAndSetState(REVISION_KEY, raw, JSON.stringify(next), PRIORITY.scheduled))) return false;
    this.deps.logger.info({ revision: revision.revision, etag: revision.etag }, 'new image policy revision; re-evaluating the inventory');
    this.deps.observer?.workQueued?.();
    return true;
  }

  /** Every tick interval (by the injectable clock), one server queues everything again. */
  private async tick(): Promise<void> {
    const now = this.deps.clock().getTime();
    const last = await this.inventory.getState('last_tick_at');
    if (last === undefined) {
      await this.inventory.compareAndSetState('last_tick_at', undefined, String(now));
      return;
    }
    if (now - Number(last) < this.settings.tickIntervalMs) return;
    if (!(await this.inventory.compareAndSetState('last_tick_at', last, String(now), PRIORITY.scheduled))) return;
    this.deps.logger.info('scheduled re-evaluation of the inventory');
    this.queued();
  }

  /** Namespaces whose metadata the configuration changed since the last start move to their new contexts. */
  private async reconcileContexts(): Promise<void> {
    const byCluster = new Map<string, string[]>();
    for (const { cluster, name } of await this.inventory.namespaces()) byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), name]);
    for (const [cluster, names] of byCluster) {
      const contexts = new Map<string, ReturnType<typeof contextOf>>();
      for (const name of names) contexts.set(name, contextOf(await this.metadataFor(cluster, name)));
      const moved = await this.inventory.updateContexts(cluster, contexts, this.deps.clock(), this.deps.revision()?.revision ?? '', planFindings);
      if (moved > 0) this.deps.logger.info({ cluster, containers: moved }, 'namespace metadata changed; containers moved to their new evaluation contexts');
    }
  }
}

interface Batch {
  readonly revision: ServedRevision;
  readonly units: readonly ClaimedUnit[];
  /** Settles once the worker threads have decided every unit of the batch. */
  readonly outcomes: Promise<UnitOutcome[]>;
  readonly now: Date;
}

function taskOf(unit: ClaimedUnit, now: Date): UnitTask {
  return { unitId: unit.id, digest: unit.digest, scanSeq: unit.scanSeq, metadata: unit.metadata as unknown as ClusterMetadata, now: now.toISOString() };
}
