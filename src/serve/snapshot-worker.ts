import { parentPort, workerData } from 'node:worker_threads';
import { errorReply } from './evaluator.js';
import { prepareSnapshotBody, type SnapshotAnswer, type SnapshotJob } from './snapshot-body.js';

// One snapshot body per worker (snapshot-body.ts): read it, answer, and end.
// Loaded on the main thread too (by the build's schema precompilation), where it does nothing.
const port = parentPort;
if (port) {
  let answer: SnapshotAnswer;
  try {
    answer = { prepared: prepareSnapshotBody(workerData as SnapshotJob) };
  } catch (err) {
    answer = errorReply(0, err) as SnapshotAnswer;
  }
  port.postMessage(answer);
}
