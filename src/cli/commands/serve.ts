import { setFlagsFromString } from 'node:v8';
import { loadConfig } from '../../config/index.js';
import { createLogger, startServer } from '../../serve/index.js';

export interface ServeCommandOptions {
  readonly config?: string;
  readonly listen?: string;
  readonly dir?: string;
}

/**
 * How far a thread's JavaScript heap may grow past what its last full
 * collection kept, in percent. Left to itself, V8 lets a heap grow up to four
 * times its live size while allocation is fast: the inventory's re-evaluation
 * passes hundreds of MB of short-lived findings through the main thread, whose
 * heap grew to 200 MB around 40 MB of live data. Capping the growth at 1.5x
 * held bench:inventory's peak resident size about 90 MB lower, for a few more
 * full collections (docs/operations.md#memory).
 */
const HEAP_GROWING_PERCENT = 50;

/** Runs until SIGINT or SIGTERM, then stops accepting and finishes requests in flight. */
export async function serve(options: ServeCommandOptions, userAgent = 'portcullis'): Promise<number> {
  // A value given on node's command line wins; set before any worker thread starts, so every heap has it.
  if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const config = await loadConfig(options.config, { listen: options.listen, bundlesDir: options.dir });
  const server = await startServer(config, createLogger(config.logLevel), { userAgent });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
