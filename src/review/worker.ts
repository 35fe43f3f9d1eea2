// Worker thread of the replay pool: loads both policy versions once from the
// archives in workerData, then replays each batch of cases it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../core/index.js';
import { loadPair, replayCases, type ReplaySetup } from './evaluator.js';
import type { ReplayCase } from './model.js';

const port = parentPort;
if (port) {
  const ready = loadPair(workerData as ReplaySetup);
  port.on('message', (batch: { readonly seq: number; readonly cases: readonly ReplayCase[] }) => {
    ready
      .then((pair) => port.postMessage({ seq: batch.seq, part: replayCases(pair, batch.cases) }))
      .catch((err: unknown) => port.postMessage({ seq: batch.seq, error: messageOf(err) }));
  });
}
