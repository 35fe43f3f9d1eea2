import { DEFAULTS } from './defaults.js';
import { readEnvironment } from './environment.js';

/** Where `portcullis agents|decisions` send their queries: flags first, then PORTCULLIS_SERVER / PORTCULLIS_TOKEN. */
export interface ClientConfig {
  readonly server: string;
  readonly token?: string;
  /** A CA certificate file to trust for an https server with a private CA. */
  readonly ca?: string;
}

export function clientConfig(flags: { server?: string; token?: string; ca?: string }, env: NodeJS.ProcessEnv): ClientConfig {
  const { PORTCULLIS_SERVER, PORTCULLIS_TOKEN } = readEnvironment(env);
  const token = flags.token ?? PORTCULLIS_TOKEN;
  return {
    server: (flags.server ?? PORTCULLIS_SERVER ?? DEFAULTS.serverUrl).replace(/\/+$/, ''),
    ...(token === undefined ? {} : { token }),
    ...(flags.ca === undefined ? {} : { ca: flags.ca }),
  };
}
