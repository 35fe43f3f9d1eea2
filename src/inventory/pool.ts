import type { Worker } from 'node:worker_threads';
import type { ReadLimits } from '../bundle/index.js';
import { PolicyCache } from '../check/index.js';
import { AppError, startModuleWorker } from '../core/index.js';
import { evaluateUnit, type EvaluationModes, type UnitOutcome, type UnitTask } from './evaluate.js';
import { decisionPolicyOf, type ServedRevision } from './policy.js';
import type { WorkerBatch } from './worker.js';

/** Decides units with the served policy; off the request path in the server. */
export interface Evaluator {
  evaluate(revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes): Promise<UnitOutcome[]>;
  close(): Promise<void>;
}

/** On the calling thread: for tests, tools and a server configured with no worker threads. */
export class InlineEvaluator implements Evaluator {
  private readonly cache: PolicyCache;

  constructor(limits: ReadLimits) {
    this.cache = new PolicyCache(limits);
  }

  async evaluate(revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes): Promise<UnitOutcome[]> {
    const policy = await decisionPolicyOf(this.cache, revision);
    return tasks.map((t) => evaluateUnit(policy, t, modes));
  }

  async close(): Promise<void> {}
}

interface Slot {
  worker: Worker;
  etag: string | undefined;
  readonly pending: Map<number, { resolve: (o: UnitOutcome[]) => void; reject: (e: Error) => void }>;
}

/**
 * Worker threads, each with the policy loaded once per revision. A batch is
 * split evenly over them; each thread works through its messages in order.
 */
export class WorkerPool implements Evaluator {
  private readonly slots: Slot[];
  private seq = 0;
  private closed = false;

  constructor(
    threads: number,
    private readonly limits: ReadLimits,
  ) {
    this.slots = Array.from({ length: Math.max(1, threads) }, () => this.spawn());
  }

  async evaluate(revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes): Promise<UnitOutcome[]> {
    if (this.closed) throw new AppError('INTERNAL', 'the evaluation pool is closed');
    const size = Math.ceil(tasks.length / this.slots.length);
    const parts = this.slots.map((slot, i) => ({ part: tasks.slice(i * size, (i + 1) * size), slot }));
    const results = await Promise.all(parts.filter((p) => p.part.length > 0).map((p) => this.send(p.slot, revision, p.part, modes)));
    return results.flat();
  }

  private send(slot: Slot, revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes): Promise<UnitOutcome[]> {
    const seq = ++this.seq;
    const first = slot.etag !== revision.etag;
    slot.etag = revision.etag;
    const batch: WorkerBatch = {
      seq,
      revision: first ? { name: revision.name, etag: revision.etag, bytes: revision.bytes } : { name: revision.name, etag: revision.etag },
      tasks,
      modes,
    };
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      slot.worker.postMessage(batch);
    });
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startModuleWorker(import.meta.url, 'worker', this.limits), etag: undefined, pending: new Map() };
    slot.worker.on('message', (msg: { seq: number; outcomes?: UnitOutcome[]; error?: string }) => {
      const waiter = slot.pending.get(msg.seq);
      slot.pending.delete(msg.seq);
      if (msg.outcomes) waiter?.resolve(msg.outcomes);
      else waiter?.reject(new AppError('EVAL_FAILED', `evaluation worker: ${msg.error ?? 'no result'}`));
    });
    slot.worker.on('error', (err) => this.fail(slot, err));
    slot.worker.on('exit', () => this.fail(slot, new Error('the evaluation worker exited')));
    return slot;
  }

  /** A crashed worker fails what it held and is replaced, so one bad input cannot stop the pool. */
  private fail(slot: Slot, err: Error): void {
    for (const waiter of slot.pending.values()) waiter.reject(new AppError('EVAL_FAILED', `evaluation worker failed: ${err.message}`, { cause: err }));
    slot.pending.clear();
    if (this.closed) return;
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    slot.worker.removeAllListeners();
    this.slots[index] = this.spawn();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
