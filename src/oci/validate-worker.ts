// Worker thread of `publishBundle`: reads the bundle as an agent would while
// the main thread uploads it, and answers with its revision or the reason
// an agent would refuse it. Imported on a main thread (as the build's
// validator precompilation imports every module), it does nothing.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadBundle, type ReadLimits } from '../bundle/index.js';
import { isAppError, messageOf } from '../core/index.js';

if (!isMainThread && parentPort) {
  const { bytes, limits } = workerData as { bytes: Uint8Array; limits: ReadLimits };
  try {
    parentPort.postMessage({ revision: loadBundle(bytes, limits).manifest.revision });
  } catch (err) {
    parentPort.postMessage({ error: { code: isAppError(err) ? err.code : 'BUNDLE_INVALID', message: messageOf(err) } });
  }
}
