// Worker thread of the Evaluator: keeps one loaded policy per bundle (the
// revision it was last sent) and runs each job it is given to its small result.
import { parentPort, workerData } from 'node:worker_threads';
import type { ReadLimits } from '../bundle/index.js';
import { PolicyCache } from '../check/index.js';
import type { EvaluationLimits } from '../evaluate/index.js';
import { runJob, type JobResult } from './evaluation-jobs.js';
import { errorReply, transferable, type WorkerBundle, type WorkerNotice, type WorkerReply, type WorkerRequest } from './evaluator.js';

interface Setup {
  readonly read: ReadLimits;
  readonly evaluation: EvaluationLimits;
  readonly maxDepth: number;
}

const port = parentPort;
if (port) {
  const setup = workerData as Setup;
  const cache = new PolicyCache(setup.read, setup.evaluation);
  const bundles = new Map<string, { etag: string; bytes: Uint8Array }>();
  port.on('message', (message: WorkerRequest | WorkerNotice) => {
    // A written response's buffer, moved here to be freed by this thread's next young collection.
    if ('release' in message) return;
    if ('forget' in message) {
      bundles.delete(message.forget);
      cache.forget(message.forget);
      return;
    }
    // Loaded ahead of the first job; a bundle that fails to load fails that job, as it would have.
    if ('load' in message) return void load(message.load).catch(() => undefined);
    void handle(message).then((reply) => port.postMessage(reply, 'result' in reply ? moved(reply.result) : []));
  });

  function load(b: WorkerBundle) {
    if (b.bytes) bundles.set(b.name, { etag: b.etag, bytes: b.bytes });
    const held = bundles.get(b.name);
    return held ? cache.get({ name: b.name, etag: held.etag, bytes: held.bytes }) : Promise.resolve(undefined);
  }

  async function handle(request: WorkerRequest): Promise<WorkerReply> {
    try {
      const b = request.bundle;
      const loaded = b ? await load(b) : undefined;
      const bundle = b && loaded ? { name: b.name, revision: b.revision, loaded } : undefined;
      const result = runJob(request.job, bundle, setup.maxDepth);
      return { id: request.id, result: result.kind === 'check' ? { ...result, bytes: transferable(result.bytes) } : result };
    } catch (err) {
      return errorReply(request.id, err);
    }
  }
}

/** A check's response bytes (in a buffer of their own) are moved to the event loop rather than copied. */
function moved(result: JobResult): ArrayBuffer[] {
  return result.kind === 'check' ? [result.bytes.buffer as ArrayBuffer] : [];
}
