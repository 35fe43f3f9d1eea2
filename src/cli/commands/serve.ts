import { loadConfig } from '../../config/index.js';
import { createLogger, startServer } from '../../serve/index.js';

export interface ServeCommandOptions {
  readonly config?: string;
  readonly listen?: string;
  readonly dir?: string;
}

/** Runs until SIGINT or SIGTERM, then stops accepting and finishes requests in flight. */
export async function serve(options: ServeCommandOptions, userAgent = 'portcullis'): Promise<number> {
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
