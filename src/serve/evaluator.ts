import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { ReadLimits } from '../bundle/index.js';
import { PolicyCache } from '../check/index.js';
import { AppError, isAppError, messageOf, startModuleWorker, wrapError, type ErrorCode, type ErrorDetail } from '../core/index.js';
import type { EvaluationLimits } from '../evaluate/index.js';
import { runJob, type EvaluationJob, type JobResult } from './evaluation-jobs.js';
import type { PublishedBundle } from './registry.js';

export interface EvaluatorOptions {
  readonly read: ReadLimits;
  readonly evaluation: EvaluationLimits;
  readonly maxDepth: number;
  /** Worker threads for large bodies; 0 runs every job on the event loop. */
  readonly threads: number;
  /** Bodies up to this size are handled on the event loop, where a thread hop would cost more than the work (admission's images excepted). */
  readonly offloadBytes: number;
  /** Jobs waiting for a worker beyond this are refused with 503 SERVER_BUSY (an admission review is then denied or admitted per its failure policy). */
  readonly maxQueued: number;
}

/** A worker's V8 heap limit: a body that needs more kills only that worker, and is refused as too large. */
const WORKER_HEAP_MB = 2048;
/**
 * A worker idle this long after a large body is stopped, so the memory the
 * report took goes back to the system; one that ran only small jobs stays.
 * A stopped worker is replaced at once by one that loads the served policies
 * before any job needs them: starting a worker and loading a policy take a
 * few hundred milliseconds, which the first admission review or check after a
 * quiet spell would otherwise wait.
 */
const IDLE_MS = 10_000;

/**
 * A body past this is large: reading it may leave the worker holding much of
 * the memory it took. Smaller ones (a report upload of a few MiB) leave
 * little that a collection does not return, and stopping their worker would
 * drop what it keeps for admission reviews, which the next review of each
 * image would then evaluate again.
 */
const LARGE_BODY_BYTES = 8 * 1024 * 1024;

/**
 * One worker per core, at most four: the event loop mostly waits on sockets
 * while large bodies are decided, so leaving it a core of its own would leave
 * half of a 2-core machine idle under a load of POST /v1/check.
 */
export function defaultEvaluationThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** What a worker sends back: the result, or the error as data (errors do not cross threads as objects). */
export type WorkerReply =
  | { readonly id: number; readonly result: JobResult }
  | {
      readonly id: number;
      readonly error: { readonly code: ErrorCode; readonly message: string; readonly details: readonly ErrorDetail[]; readonly stack?: string };
    };

/** A bundle revision as a worker is told of it: its bytes only when the worker lacks that revision. */
export interface WorkerBundle {
  readonly name: string;
  readonly etag: string;
  readonly revision: string;
  readonly bytes?: Uint8Array;
}

/** What the evaluator sends a worker: the job, and the bundle it runs against. */
export interface WorkerRequest {
  readonly id: number;
  readonly job: EvaluationJob;
  readonly bundle?: WorkerBundle;
}

/**
 * The other messages a worker takes: drop a withdrawn bundle, load one ahead
 * of the jobs that will need it, or take a written result's buffer to free
 * (Evaluator.release).
 */
export type WorkerNotice = { readonly forget: string } | { readonly load: WorkerBundle & { readonly bytes: Uint8Array } } | { readonly release: ArrayBuffer };

interface Pending {
  readonly request: WorkerRequest;
  readonly transfer: ArrayBuffer[];
  readonly bundle: PublishedBundle | undefined;
  readonly affinity: string | undefined;
  readonly resolve: (result: JobResult) => void;
  readonly reject: (err: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** The bundle revisions (ETags by name) this worker has been sent. */
  readonly known: Map<string, string>;
  busy: Pending | undefined;
  idle: NodeJS.Timeout | undefined;
  /** It has run a job past LARGE_BODY_BYTES since it started, so it may hold that memory. */
  large: boolean;
  /** The affinities of the jobs it ran (Evaluator.run), whose kept values it may still hold. */
  readonly affine: Set<string>;
}

/** Affinities a worker is remembered for, at most: past this it starts afresh, as its kept values do past their budget. */
const MAX_AFFINE = 10_000;

/**
 * Runs evaluation jobs: small bodies on the event loop, against a cached
 * policy per bundle revision; large ones in worker threads, each with its
 * own cache, so that a 60 MB report being decided does not stall /health,
 * bundle downloads or anything else. Jobs wait in a bounded queue for a free
 * worker; a worker that dies (out of memory) is replaced and its job refused.
 */
export class Evaluator {
  /** The event loop's policies: small jobs, and the admission webhook's decisions. */
  readonly cache: PolicyCache;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  /** The latest revision of each bundle jobs ran against, which a replacement worker loads ahead. */
  private readonly served = new Map<string, PublishedBundle>();

  constructor(private readonly options: EvaluatorOptions) {
    this.cache = new PolicyCache(options.read, options.evaluation);
  }

  /**
   * Runs `job` against `bundle` (the served revision it needs, if any). A
   * job with an `affinity` (what its worker keeps for it, such as a stored
   * scan's report entries for a namespace) goes to a worker that ran one
   * with the same affinity when that worker is free, and waits for it when
   * it is busy with another such job, which takes milliseconds: less than a
   * second worker evaluating and keeping the same values again.
   */
  async run<K extends EvaluationJob['kind']>(
    job: Extract<EvaluationJob, { kind: K }>,
    bundle: PublishedBundle | undefined,
    affinity?: string,
  ): Promise<Extract<JobResult, { kind: K }>> {
    return (await this.runAny(job, bundle, affinity)) as Extract<JobResult, { kind: K }>;
  }

  private async runAny(job: EvaluationJob, bundle: PublishedBundle | undefined, affinity: string | undefined): Promise<JobResult> {
    // An admission review's images are decided in parallel, so they always go to the workers.
    if (this.options.threads === 0 || (job.kind !== 'decide' && bodySize(job) <= this.options.offloadBytes)) {
      const loaded = bundle ? await this.cache.get(bundle) : undefined;
      return runJob(job, bundle && loaded ? { name: bundle.name, revision: bundle.revision, loaded } : undefined, this.options.maxDepth);
    }
    if (this.queue.length >= this.options.maxQueued) {
      throw new AppError('SERVER_BUSY', 'too many evaluations are waiting for a worker; retry shortly');
    }
    if (bundle) this.served.set(bundle.name, bundle);
    const moved = movable(job);
    const request: WorkerRequest = { id: (this.nextId += 1), job: moved };
    return new Promise<JobResult>((resolve, reject) => {
      this.queue.push({ request, transfer: bodyBuffers(moved), bundle, affinity, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Takes back the bytes of a job's result once they are written (a check's
   * response), moving them to a worker, where they are freed by its next
   * young collection. On the event loop, V8 counts each moved-in buffer as
   * external memory until a collection finds it dead, and the event loop
   * allocates too little for young collections under a load of reports:
   * dead responses piled up until they set off a full mark-compact every
   * half second. Only a buffer of its own is moved (ownsBuffer).
   */
  release(bytes: Uint8Array): void {
    if (bytes.byteLength === 0 || !ownsBuffer(bytes)) return;
    const buffer = bytes.buffer as ArrayBuffer;
    this.slots[0]?.worker.postMessage({ release: buffer } satisfies WorkerNotice, [buffer]);
  }

  /** Drops a withdrawn bundle's policy here and in every worker. */
  forget(name: string): void {
    this.cache.forget(name);
    this.served.delete(name);
    for (const slot of this.slots) {
      if (slot.known.delete(name)) slot.worker.postMessage({ forget: name } satisfies WorkerNotice);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new AppError('NOT_READY', 'the server is shutting down'));
    await Promise.all(
      this.slots.splice(0).map((slot) => {
        clearTimeout(slot.idle);
        return slot.worker.terminate();
      }),
    );
  }

  /** Hands queued jobs, in order, to free workers; a job that waits for its own worker lets the ones behind it pass. */
  private dispatch(): void {
    for (let i = 0; i < this.queue.length && !this.closed;) {
      const pending = this.queue[i] as Pending;
      const slot = this.slotFor(pending);
      if (slot === 'wait') {
        i += 1;
        continue;
      }
      if (!slot) return;
      this.queue.splice(i, 1);
      this.post(slot, pending);
    }
  }

  /** The worker for a job: one that ran its affinity, else any free one; 'wait' while its own is busy with another such job. */
  private slotFor(pending: Pending): Slot | 'wait' | undefined {
    const affinity = pending.affinity;
    const own = affinity === undefined ? [] : this.slots.filter((s) => s.affine.has(affinity));
    const free = own.find((s) => !s.busy);
    if (free) return free;
    if (own.some((s) => s.busy?.affinity !== undefined)) return 'wait';
    return this.slots.find((s) => !s.busy) ?? (this.slots.length < this.options.threads ? this.startSlot() : undefined);
  }

  private post(slot: Slot, pending: Pending): void {
    clearTimeout(slot.idle);
    slot.busy = pending;
    slot.large ||= bodySize(pending.request.job) > LARGE_BODY_BYTES;
    if (pending.affinity !== undefined) {
      if (slot.affine.size >= MAX_AFFINE) slot.affine.clear();
      slot.affine.add(pending.affinity);
    }
    const b = pending.bundle;
    const bundle = b && { name: b.name, etag: b.etag, revision: b.revision, ...(slot.known.get(b.name) === b.etag ? {} : { bytes: b.bytes }) };
    if (b) slot.known.set(b.name, b.etag);
    slot.worker.postMessage({ ...pending.request, ...(bundle ? { bundle } : {}) }, pending.transfer);
  }

  private startSlot(): Slot {
    const worker = startModuleWorker(import.meta.url, 'evaluation-worker', {
      workerData: { read: this.options.read, evaluation: this.options.evaluation, maxDepth: this.options.maxDepth },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const slot: Slot = { worker, known: new Map(), busy: undefined, idle: undefined, large: false, affine: new Set() };
    worker.on('message', (reply: WorkerReply) => {
      const pending = slot.busy;
      if (!pending || pending.request.id !== reply.id) return;
      slot.busy = undefined;
      if ('result' in reply) pending.resolve(reply.result);
      else pending.reject(new AppError(reply.error.code, reply.error.message, { details: reply.error.details, cause: stackError(reply.error) }));
      this.dispatch();
      if (!slot.busy && slot.large) slot.idle = setTimeout(() => this.retire(slot), IDLE_MS).unref();
    });
    worker.on('error', (err) => this.lost(slot, err));
    worker.on('exit', (code) => this.lost(slot, new Error(`evaluation worker exited with code ${code}`)));
    // An idle worker must not keep a process alive on its own (the server's listener does); after the listeners, which ref it again.
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  /** Stops an idle worker and starts a fresh one, which loads the served policies ahead of the next job. */
  private retire(slot: Slot): void {
    if (slot.busy || !this.slots.includes(slot)) return;
    this.slots.splice(this.slots.indexOf(slot), 1);
    void slot.worker.terminate();
    if (this.closed) return;
    const fresh = this.startSlot();
    for (const b of this.served.values()) {
      fresh.known.set(b.name, b.etag);
      fresh.worker.postMessage({ load: { name: b.name, etag: b.etag, revision: b.revision, bytes: b.bytes } } satisfies WorkerNotice);
    }
  }

  /** A worker died: its job is refused (as too large when it ran out of memory), and a new worker takes the queue. */
  private lost(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    clearTimeout(slot.idle);
    const pending = slot.busy;
    slot.busy = undefined;
    if (pending) {
      const outOfMemory = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      pending.reject(
        outOfMemory
          ? new AppError('INPUT_TOO_LARGE', `the request needs more than the ${WORKER_HEAP_MB} MiB an evaluation may use`, { cause: err })
          : wrapError(err, 'INTERNAL', 'evaluation worker failed'),
      );
    }
    void slot.worker.terminate();
    this.dispatch();
  }
}

/** The error a worker reported, with its stack, so the 5xx log shows where it happened. */
export function stackError(error: { message: string; stack?: string }): Error {
  const err = new Error(error.message);
  if (error.stack !== undefined) err.stack = error.stack;
  return err;
}

function bodySize(job: EvaluationJob): number {
  return job.kind === 'decide' ? job.body.byteLength : job.body.reduce((size, part) => size + part.byteLength, 0);
}

/** The job with its body in buffers of their own, which are moved to a worker rather than copied. */
function movable(job: EvaluationJob): EvaluationJob {
  return job.kind === 'decide' ? { ...job, body: transferable(job.body) } : { ...job, body: job.body.map(transferable) };
}

function bodyBuffers(job: EvaluationJob): ArrayBuffer[] {
  return (job.kind === 'decide' ? [job.body] : job.body).map((part) => part.buffer as ArrayBuffer);
}

/** A copy of `bytes` in an ArrayBuffer of its own, which can be moved to a worker without copying again. */
export function transferable(bytes: Uint8Array): Uint8Array {
  return ownsBuffer(bytes) ? bytes : new Uint8Array(bytes);
}

/** Whether `bytes` spans an ArrayBuffer of its own (not a view of a pool or shared memory), which can be moved as it is. */
function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer);
}

/** The reply a worker sends for a failed job. */
export function errorReply(id: number, err: unknown): WorkerReply {
  if (isAppError(err)) return { id, error: { code: err.code, message: err.message, details: err.details, ...(err.stack ? { stack: err.stack } : {}) } };
  const stack = err instanceof Error ? err.stack : undefined;
  return { id, error: { code: 'INTERNAL', message: messageOf(err), details: [], ...(stack ? { stack } : {}) } };
}
