import type { Worker } from 'node:worker_threads';
import type { ReadLimits } from '../bundle/index.js';
import { PolicyCache } from '../check/index.js';
import { AppError, startModuleWorker } from '../core/index.js';
import type { EvaluationLimits } from '../evaluate/index.js';
import { evaluateUnit, ScanInputs, type EvaluationModes, type UnitOutcome, type UnitTask } from './evaluate.js';
import { decisionPolicyOf, type ServedRevision } from './policy.js';
import type { WorkerBatch } from './worker.js';

/** Decides units with the served policy; off the request path in the server. */
export interface Evaluator {
  /** `scans` holds the inputs the tasks name by sequence number, as JSON text. */
  evaluate(revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes, scans: ReadonlyMap<number, string>): Promise<UnitOutcome[]>;
  close(): Promise<void>;
}

/** What loading and evaluating the served policy may use: the server's configured limits. */
export interface PolicyLimits {
  readonly read: ReadLimits;
  readonly evaluation: EvaluationLimits;
}

/** On the calling thread: for tests, tools and a server configured with no worker threads. */
export class InlineEvaluator implements Evaluator {
  private readonly cache: PolicyCache;
  private readonly inputs = new ScanInputs();

  constructor(limits: PolicyLimits) {
    this.cache = new PolicyCache(limits.read, limits.evaluation);
  }

  async evaluate(revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes, scans: ReadonlyMap<number, string>): Promise<UnitOutcome[]> {
    const policy = await decisionPolicyOf(this.cache, revision);
    return tasks.map((t) => evaluateUnit(policy, t, modes, this.inputs.get(t.scanSeq, scans)));
  }

  async close(): Promise<void> {}
}

/**
 * A worker's heap holds a few parsed scans and one batch's results: capped,
 * so the collector keeps it small instead of letting it grow (the server's
 * memory is one of the inventory's targets).
 */
const WORKER_HEAP = { maxOldGenerationSizeMb: 160 };

/** A thread idle this long is stopped, so the memory its policy's Wasm heap grew to goes back to the system. */
const IDLE_MS = 10_000;

interface Slot {
  readonly index: number;
  worker: Worker;
  etag: string | undefined;
  idle: NodeJS.Timeout | undefined;
  readonly pending: Map<number, { resolve: (o: UnitOutcome[]) => void; reject: (e: Error) => void }>;
}

/**
 * Worker threads, each with the policy loaded once per revision. A batch is
 * split evenly over them; each thread works through its messages in order.
 */
export class WorkerPool implements Evaluator {
  /** One entry per thread; a thread is started for its first batch and stopped when idle. */
  private readonly slots: (Slot | undefined)[];
  private seq = 0;
  private closed = false;

  constructor(
    threads: number,
    private readonly limits: PolicyLimits,
  ) {
    this.slots = Array.from({ length: Math.max(1, threads) }, () => undefined);
  }

  async evaluate(revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes, scans: ReadonlyMap<number, string>): Promise<UnitOutcome[]> {
    if (this.closed) throw new AppError('INTERNAL', 'the evaluation pool is closed');
    // Units of one scan go to one thread, which parses the scan once for all of them.
    const ordered = [...tasks].sort((a, b) => (a.scanSeq ?? -1) - (b.scanSeq ?? -1));
    const size = Math.ceil(ordered.length / this.slots.length);
    const parts = this.slots.map((_, i) => ({ part: ordered.slice(i * size, (i + 1) * size), index: i }));
    const results = await Promise.all(parts.filter((p) => p.part.length > 0).map((p) => this.send(this.slotAt(p.index), revision, p.part, modes, scans)));
    return results.flat();
  }

  private send(
    slot: Slot,
    revision: ServedRevision,
    tasks: readonly UnitTask[],
    modes: EvaluationModes,
    scans: ReadonlyMap<number, string>,
  ): Promise<UnitOutcome[]> {
    const seq = ++this.seq;
    clearTimeout(slot.idle);
    const first = slot.etag !== revision.etag;
    slot.etag = revision.etag;
    const batch: WorkerBatch = {
      seq,
      revision: first ? { name: revision.name, etag: revision.etag, bytes: revision.bytes } : { name: revision.name, etag: revision.etag },
      tasks,
      scans: [...new Set(tasks.flatMap((t) => (t.scanSeq === null ? [] : [t.scanSeq])))].flatMap((seq) => {
        const text = scans.get(seq);
        return text === undefined ? [] : [[seq, text] as const];
      }),
      modes,
    };
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      slot.worker.postMessage(batch);
    });
  }

  private slotAt(index: number): Slot {
    return (this.slots[index] ??= this.spawn(index));
  }

  private spawn(index: number): Slot {
    const slot: Slot = {
      index,
      worker: startModuleWorker(import.meta.url, 'worker', { workerData: this.limits, resourceLimits: WORKER_HEAP }),
      etag: undefined,
      idle: undefined,
      pending: new Map(),
    };
    slot.worker.on('message', (msg: { seq: number; outcomes?: UnitOutcome[]; error?: string }) => {
      const waiter = slot.pending.get(msg.seq);
      slot.pending.delete(msg.seq);
      if (msg.outcomes) waiter?.resolve(msg.outcomes);
      else waiter?.reject(new AppError('EVAL_FAILED', `evaluation worker: ${msg.error ?? 'no result'}`));
      if (slot.pending.size === 0) slot.idle = setTimeout(() => this.retire(slot), IDLE_MS).unref();
    });
    slot.worker.on('error', (err) => this.fail(slot, err));
    slot.worker.on('exit', () => this.fail(slot, new Error('the evaluation worker exited')));
    return slot;
  }

  /** Stops an idle thread; the next batch starts a new one. */
  private retire(slot: Slot): void {
    if (slot.pending.size > 0) return;
    this.drop(slot);
    void slot.worker.terminate();
  }

  /** A crashed worker fails what it held and is replaced by the next batch, so one bad input cannot stop the pool. */
  private fail(slot: Slot, err: Error): void {
    for (const waiter of slot.pending.values()) waiter.reject(new AppError('EVAL_FAILED', `evaluation worker failed: ${err.message}`, { cause: err }));
    slot.pending.clear();
    this.drop(slot);
  }

  private drop(slot: Slot): void {
    clearTimeout(slot.idle);
    slot.worker.removeAllListeners();
    if (this.slots[slot.index] === slot) this.slots[slot.index] = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = this.slots.filter((s): s is Slot => s !== undefined);
    for (const slot of running) clearTimeout(slot.idle);
    await Promise.all(running.map((s) => s.worker.terminate()));
  }
}
