// Worker thread of the evaluation pool: keeps the served image policy loaded
// (PolicyCache, opa-wasm) and decides the units it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { PolicyCache, type BundleRevision } from '../check/index.js';
import { messageOf } from '../core/index.js';
import { evaluateUnit, ScanInputs, type EvaluationModes, type UnitTask } from './evaluate.js';
import type { PolicyLimits } from './pool.js';
import { decisionPolicyOf } from './policy.js';

export interface WorkerBatch {
  readonly seq: number;
  /** Sent with the first batch of each revision; later batches name it by name and ETag. */
  readonly revision: BundleRevision | { readonly name: string; readonly etag: string };
  readonly tasks: readonly UnitTask[];
  /** The scan inputs the tasks need, as JSON text, by sequence number. */
  readonly scans: readonly (readonly [number, string])[];
  readonly modes: EvaluationModes;
}

const port = parentPort;
if (port) {
  const { read, evaluation } = workerData as PolicyLimits;
  const cache = new PolicyCache(read, evaluation);
  const inputs = new ScanInputs();
  let current: BundleRevision | undefined;
  port.on('message', (batch: WorkerBatch) => {
    if ('bytes' in batch.revision) current = batch.revision;
    const revision = current;
    if (!revision || revision.etag !== batch.revision.etag) {
      port.postMessage({ seq: batch.seq, error: `the worker has no bundle for revision ${batch.revision.etag}` });
      return;
    }
    decisionPolicyOf(cache, revision)
      .then((policy) => {
        const texts = new Map(batch.scans);
        port.postMessage({ seq: batch.seq, outcomes: batch.tasks.map((t) => evaluateUnit(policy, t, batch.modes, inputs, texts)) });
      })
      .catch((err: unknown) => port.postMessage({ seq: batch.seq, error: messageOf(err) }));
  });
}
