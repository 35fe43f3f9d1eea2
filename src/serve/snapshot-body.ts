import { AppError, startModuleWorker } from '../core/index.js';
import { prepareSnapshotDocument, type PreparedSnapshot } from '../inventory/index.js';
import { parseJsonBody, type BodyOptions } from './body.js';
import { stackError, transferable, type WorkerReply } from './evaluator.js';

/**
 * Bodies from this size on are read in a worker thread: parsing and checking
 * a snapshot of hundreds of MiB on the event loop would stall every other
 * request, /health included, for seconds.
 */
export const SNAPSHOT_WORKER_BYTES = 1024 * 1024;

const SOURCE = 'request body';

export type SnapshotJob = { readonly bytes: Uint8Array } & Pick<BodyOptions, 'maxDepth' | 'invalid'>;

/** What the worker answers: the snapshot, or the error as the evaluation workers send theirs. */
export type SnapshotAnswer = { readonly prepared: PreparedSnapshot } | Extract<WorkerReply, { readonly error: unknown }>;

/** The body of POST /v1/inventory parsed as JSON (as every JSON body is) and read as a snapshot. */
export function prepareSnapshotBody(job: SnapshotJob): PreparedSnapshot {
  const document = parseJsonBody(job.bytes, job);
  if (document === undefined) throw new AppError('INPUT_INVALID', `${SOURCE} is empty; expected JSON`);
  return prepareSnapshotDocument(document, SOURCE);
}

/** prepareSnapshotBody, in a worker thread of its own for a large body; the worker ends with the job, and its memory with it. */
export async function readSnapshotBody(job: SnapshotJob): Promise<PreparedSnapshot> {
  if (job.bytes.byteLength < SNAPSHOT_WORKER_BYTES) return prepareSnapshotBody(job);
  // Moved to the worker, not copied: the caller's bytes are the worker's from here on.
  const bytes = transferable(job.bytes);
  const worker = startModuleWorker(import.meta.url, 'snapshot-worker', { workerData: { ...job, bytes }, transferList: [bytes.buffer as ArrayBuffer] });
  try {
    const answer = await new Promise<SnapshotAnswer>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', (err) => reject(workerFailure(err)));
      worker.once('exit', (code) => reject(new AppError('INTERNAL', `the snapshot reader stopped with exit code ${code}`)));
    });
    if ('error' in answer) throw new AppError(answer.error.code, answer.error.message, { details: answer.error.details, cause: stackError(answer.error) });
    return answer.prepared;
  } finally {
    await worker.terminate();
  }
}

/** A worker that ran out of heap was given more than the server can read at once: the client's body, refused, not a server fault. */
function workerFailure(err: Error & { code?: string }): AppError {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new AppError('INPUT_TOO_LARGE', `${SOURCE} is too large to read as one snapshot; import the cluster in parts (by namespace)`, { cause: err });
  }
  return new AppError('INTERNAL', 'the snapshot reader failed', { cause: err });
}
