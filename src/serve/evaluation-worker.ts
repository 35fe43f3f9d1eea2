// Worker thread of the Evaluator: keeps one loaded policy per bundle (the
// revision it was last sent) and runs each job it is given to its small result.
import { parentPort, workerData } from 'node:worker_threads';
import type { ReadLimits } from '../bundle/index.js';
import { PolicyCache } from '../check/index.js';
import type { EvaluationLimits } from '../evaluate/index.js';
import { runJob } from './evaluation-jobs.js';
import { errorReply, type WorkerReply, type WorkerRequest } from './evaluator.js';

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
  port.on('message', (message: WorkerRequest | { forget: string }) => {
    if ('forget' in message) {
      bundles.delete(message.forget);
      cache.forget(message.forget);
      return;
    }
    void handle(message).then((reply) => port.postMessage(reply));
  });

  async function handle(request: WorkerRequest): Promise<WorkerReply> {
    try {
      const b = request.bundle;
      if (b?.bytes) bundles.set(b.name, { etag: b.etag, bytes: b.bytes });
      const held = b ? bundles.get(b.name) : undefined;
      const loaded = b && held ? await cache.get({ name: b.name, etag: held.etag, bytes: held.bytes }) : undefined;
      const bundle = b && loaded ? { name: b.name, revision: b.revision, loaded } : undefined;
      return { id: request.id, result: runJob(request.job, bundle, setup.maxDepth) };
    } catch (err) {
      return errorReply(request.id, err);
    }
  }
}
