import { parentPort, workerData } from 'node:worker_threads';
import { isAppError } from '../core/index.js';
import { prepareSnapshotBody, type SnapshotAnswer, type SnapshotJob } from './snapshot-body.js';

// One snapshot body per worker (snapshot-body.ts): read it, answer, and end.
let answer: SnapshotAnswer;
try {
  answer = { prepared: prepareSnapshotBody(workerData as SnapshotJob) };
} catch (err) {
  if (!isAppError(err)) throw err;
  answer = { error: { code: err.code, message: err.message, details: err.details } };
}
parentPort?.postMessage(answer);
