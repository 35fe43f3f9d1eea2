import type { Worker } from 'node:worker_threads';
import type { ReadLimits } from '../bundle/index.js';
import { PolicyCache } from '../check/index.js';
import { AppError, startModuleWorker } from '../core/index.js';
import type { EvaluationLimits } from '../evaluate/index.js';
import { decideUnscanned, evaluateUnit, ScanInputs, type EvaluationModes, type UnitOutcome, type UnitTask } from './evaluate.js';
import { decisionPolicyOf, type ServedRevision } from './policy.js';
import type { WorkerBatch } from './worker.js';

/** Decides units with the served policy; off the request path in the server. */
export interface Evaluator {
  /** `scans` holds the inputs the tasks name by sequence number, as JSON text. */
  evaluate(revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes, scans: ReadonlyMap<number, string>): Promise<UnitOutcome[]>;
  /** Gets ready to decide under `revision` before anything is asked (a pool of threads starts one and loads it). */
  warm(revision: ServedRevision): void;
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
    return tasks.map((t) => evaluateUnit(policy, t, modes, this.inputs, scans));
  }

  /** Nothing to start: the policy is loaded with the first units. */
  warm(): void {}

  async close(): Promise<void> {}
}

/**
 * A worker's heap holds a few parsed scans and one batch's results: capped,
 * so the collector keeps it small instead of letting it grow (the server's
 * memory is one of the inventory's targets).
 */
const WORKER_HEAP = { maxOldGenerationSizeMb: 160 };

/**
 * A thread idle this long after deciding units is stopped, so the memory its
 * policy's Wasm heap grew to goes back to the system; warm() starts the first
 * one again, with only the policy loaded.
 */
const IDLE_MS = 10_000;

/** A thread not yet started counts as this many chunks: starting it and loading the policy take about as long. */
const UNSTARTED_LOAD = 4;
/** What a warm-up batch, which has no tasks, is sent with: unused. */
const WARM_MODES: EvaluationModes = { unscanned: 'deny' };

/** Tasks of one scan go to one thread in one message, so the scan is parsed once; a larger group is cut here, so both threads share it. */
const CHUNK = 8;

/**
 * Messages a thread holds at once: enough for a whole batch, so the threads
 * keep deciding while the main thread is busy (a SQLite write is synchronous
 * and lets no message through to hand out more work).
 */
const DEPTH = 16;

interface Chunk {
  readonly revision: ServedRevision;
  readonly tasks: readonly UnitTask[];
  readonly modes: EvaluationModes;
  readonly scans: ReadonlyMap<number, string>;
  readonly resolve: (o: UnitOutcome[]) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker;
  etag: string | undefined;
  idle: NodeJS.Timeout | undefined;
  /** It decided units since it started: a thread that only loaded a policy stays until it has. */
  worked: boolean;
  readonly pending: Map<number, Chunk>;
}

/**
 * Worker threads, each with the policy loaded once per revision. A batch is
 * cut into chunks (the units of one scan together) that wait in one queue;
 * each thread takes the next chunk as it finishes one, so a thread given
 * small scans does not wait for the other at the end of a batch, and the
 * chunks of the next batch follow without a gap.
 */
export class WorkerPool implements Evaluator {
  /** One entry per thread; a thread is started when there is work for it and stopped when idle. */
  private readonly slots: (Slot | undefined)[];
  private readonly queue: Chunk[] = [];
  private seq = 0;
  private closed = false;
  /** The revision warm() last started the first thread with; cleared when that thread stops idle, not when it fails. */
  private warmed: string | undefined;

  constructor(
    threads: number,
    private readonly limits: PolicyLimits,
    private readonly idleMs = IDLE_MS,
  ) {
    this.slots = Array.from({ length: Math.max(1, threads) }, () => undefined);
  }

  async evaluate(revision: ServedRevision, tasks: readonly UnitTask[], modes: EvaluationModes, scans: ReadonlyMap<number, string>): Promise<UnitOutcome[]> {
    if (this.closed) throw new AppError('INTERNAL', 'the evaluation pool is closed');
    // A digest with no scan needs no policy: decided here, it waits for no thread (the provider asks about many such).
    const unscanned = tasks.filter((t) => t.scanSeq === null).map((t) => decideUnscanned(t, modes));
    const parts = chunksOf(tasks.filter((t) => t.scanSeq !== null)).map(
      (part) => new Promise<UnitOutcome[]>((resolve, reject) => this.queue.push({ revision, tasks: part, modes, scans, resolve, reject })),
    );
    this.dispatch();
    return [...unscanned, ...(await Promise.all(parts)).flat()];
  }

  /**
   * Keeps the first thread running with `revision` loaded, so the first
   * decision after a quiet spell or a new revision waits for no thread to
   * start and no policy to load (a few hundred milliseconds, which every
   * provider request queued behind it would wait too).
   */
  warm(revision: ServedRevision): void {
    if (this.closed) return;
    const slot = this.slots[0];
    // A thread that failed loading it is not started again and again: the next units start one.
    if (slot ? slot.etag === revision.etag || slot.pending.size > 0 : this.warmed === revision.etag) return;
    this.warmed = revision.etag;
    this.send(this.slotAt(0), { revision, tasks: [], modes: WARM_MODES, scans: new Map(), resolve: () => undefined, reject: () => undefined });
  }

  /** Hands queued chunks to threads with room, least busy first, starting threads as needed. */
  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      let best: number | undefined;
      const loadOf = (i: number) => this.slots[i]?.pending.size ?? UNSTARTED_LOAD;
      for (let i = 0; i < this.slots.length; i++) {
        const load = loadOf(i);
        if (load < DEPTH && (best === undefined || load < loadOf(best))) best = i;
      }
      if (best === undefined) return;
      this.send(this.slotAt(best), this.queue.shift() as Chunk);
    }
  }

  private send(slot: Slot, chunk: Chunk): void {
    const seq = ++this.seq;
    clearTimeout(slot.idle);
    const { revision } = chunk;
    const first = slot.etag !== revision.etag;
    slot.etag = revision.etag;
    slot.worked ||= chunk.tasks.length > 0;
    const batch: WorkerBatch = {
      seq,
      revision: first ? { name: revision.name, etag: revision.etag, bytes: revision.bytes } : { name: revision.name, etag: revision.etag },
      tasks: chunk.tasks,
      scans: [...new Set(chunk.tasks.flatMap((t) => (t.scanSeq === null ? [] : [t.scanSeq])))].flatMap((seq) => {
        const text = chunk.scans.get(seq);
        return text === undefined ? [] : [[seq, text] as const];
      }),
      modes: chunk.modes,
    };
    slot.pending.set(seq, chunk);
    slot.worker.postMessage(batch);
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
      worked: false,
      pending: new Map(),
    };
    slot.worker.on('message', (msg: { seq: number; outcomes?: UnitOutcome[]; error?: string }) => {
      const chunk = slot.pending.get(msg.seq);
      slot.pending.delete(msg.seq);
      if (msg.outcomes) chunk?.resolve(msg.outcomes);
      else chunk?.reject(new AppError('EVAL_FAILED', `evaluation worker: ${msg.error ?? 'no result'}`));
      this.dispatch();
      if (slot.pending.size === 0 && slot.worked) slot.idle = setTimeout(() => this.retire(slot), this.idleMs).unref();
    });
    slot.worker.on('error', (err) => this.fail(slot, err));
    slot.worker.on('exit', () => this.fail(slot, new Error('the evaluation worker exited')));
    return slot;
  }

  /** Stops an idle thread; the next chunk, or the next warm(), starts a new one. */
  private retire(slot: Slot): void {
    if (slot.pending.size > 0) return;
    this.drop(slot);
    void slot.worker.terminate();
    if (slot.index === 0) this.warmed = undefined;
  }

  /** Threads running now. */
  get threads(): number {
    return this.slots.filter((s) => s !== undefined).length;
  }

  /** A crashed worker fails what it held and is replaced for the next chunk, so one bad input cannot stop the pool. */
  private fail(slot: Slot, err: Error): void {
    for (const chunk of slot.pending.values()) chunk.reject(new AppError('EVAL_FAILED', `evaluation worker failed: ${err.message}`, { cause: err }));
    slot.pending.clear();
    this.drop(slot);
    this.dispatch();
  }

  private drop(slot: Slot): void {
    clearTimeout(slot.idle);
    slot.worker.removeAllListeners();
    if (this.slots[slot.index] === slot) this.slots[slot.index] = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const chunk of this.queue.splice(0)) chunk.reject(new AppError('INTERNAL', 'the evaluation pool is closed'));
    const running = this.slots.filter((s): s is Slot => s !== undefined);
    for (const slot of running) clearTimeout(slot.idle);
    await Promise.all(running.map((s) => s.worker.terminate()));
  }
}

/** The tasks grouped by scan (each group whole, or cut at CHUNK), in order. */
function chunksOf(tasks: readonly UnitTask[]): UnitTask[][] {
  const byScan = new Map<number | null, UnitTask[]>();
  for (const t of tasks) byScan.set(t.scanSeq, [...(byScan.get(t.scanSeq) ?? []), t]);
  const chunks: UnitTask[][] = [];
  for (const group of byScan.values()) for (let i = 0; i < group.length; i += CHUNK) chunks.push(group.slice(i, i + CHUNK));
  return chunks;
}
