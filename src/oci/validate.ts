import { Worker } from 'node:worker_threads';
import type { ReadLimits } from '../bundle/index.js';
import { AppError, type ErrorCode } from '../core/index.js';

/**
 * The bundle's revision, once it has been read whole and checked as an agent
 * would (archive safety, manifest, roots, data): in a worker thread, so the
 * check runs while the main thread uploads. Under tsx (tests of the sources)
 * it runs on the calling thread instead.
 */
export async function validateBundle(bytes: Uint8Array, limits: ReadLimits): Promise<string> {
  if (import.meta.url.endsWith('.ts')) {
    const { loadBundle } = await import('../bundle/index.js');
    return loadBundle(bytes, limits).manifest.revision;
  }
  const worker = new Worker(new URL('./validate-worker.js', import.meta.url), { workerData: { bytes, limits } });
  try {
    const answer = await new Promise<{ revision?: string; error?: { code: ErrorCode; message: string } }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the bundle check stopped with exit code ${code}`)));
    });
    if (answer.error) throw new AppError(answer.error.code, answer.error.message);
    return answer.revision ?? '';
  } finally {
    await worker.terminate();
  }
}

/** The two bytes every gzip stream starts with: checked before anything is sent, so a file that is no archive costs no upload. */
export function assertGzip(bytes: Uint8Array): void {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new AppError('BUNDLE_INVALID', 'archive is not valid gzip: it does not start with the gzip header');
}
