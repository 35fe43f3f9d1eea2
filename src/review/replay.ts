import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AppError, startModuleWorker } from '../core/index.js';
import type { ReplayPart } from './compare.js';
import { loadPair, replayCases, type ReplaySetup } from './evaluator.js';
import type { ReplayCase } from './model.js';

export interface ReplayOptions {
  /** Worker threads; 0 replays on the calling thread. Default: one per core. */
  readonly threads?: number;
  /** Cases per message to a worker: large enough to amortize messaging, small enough to balance the load. */
  readonly batchSize?: number;
}

/** Replays every case through base and head, spread over worker threads; parts come back in input order. */
export async function replay(setup: ReplaySetup, cases: readonly ReplayCase[], options: ReplayOptions = {}): Promise<ReplayPart[]> {
  const batchSize = options.batchSize ?? 64;
  const batches: ReplayCase[][] = [];
  for (let i = 0; i < cases.length; i += batchSize) batches.push(cases.slice(i, i + batchSize));
  const threads = Math.min(options.threads ?? availableParallelism(), batches.length);
  if (threads <= 0) {
    const pair = await loadPair(setup);
    return batches.map((b) => replayCases(pair, b));
  }
  return runPool(setup, batches, threads);
}

/** Each worker pulls the next batch when it finishes one, so a slow batch never idles the others. */
async function runPool(setup: ReplaySetup, batches: readonly ReplayCase[][], threads: number): Promise<ReplayPart[]> {
  const parts: ReplayPart[] = new Array<ReplayPart>(batches.length);
  let next = 0;
  const workers = Array.from({ length: threads }, () => startWorker(setup));
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= batches.length) return resolve();
              const seq = next++;
              worker.postMessage({ seq, cases: batches[seq] });
            };
            worker.on('message', (msg: { seq: number; part?: ReplayPart; error?: string }) => {
              if (msg.error !== undefined || !msg.part) return reject(new AppError('EVAL_FAILED', `replay worker failed: ${msg.error ?? 'no result'}`));
              parts[msg.seq] = msg.part;
              send();
            });
            worker.on('error', (err) => reject(new AppError('EVAL_FAILED', `replay worker crashed: ${err.message}`, { cause: err })));
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return parts;
}

/** Starts the worker module next to this one: worker.js when built, worker.ts when run from sources under tsx. */
function startWorker(setup: ReplaySetup): Worker {
  return startModuleWorker(import.meta.url, 'worker', setup);
}
