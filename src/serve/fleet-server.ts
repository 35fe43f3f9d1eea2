import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { DEFAULTS } from '../config/index.js';
import { openStore, startRetention } from '../store/index.js';
import type { FleetDependencies } from './fleet-app.js';

export interface RunningFleet {
  readonly deps: FleetDependencies;
  close(): Promise<void>;
}

/** Opens the configured store (migrating it), prunes it now and on a timer, and says where it is (never the URL, which may hold a password). */
export async function startFleet(config: Config, logger: Logger): Promise<RunningFleet> {
  const store = await openStore(config.store);
  const stopRetention = startRetention(store, config.retention, logger);
  logger.info(
    { store: store.driver, ...(config.store.driver === 'sqlite' ? { file: config.store.path } : {}), auth: config.auth.required },
    'fleet store open',
  );
  if (!config.auth.required) logger.warn('auth.required is false: bundles, status, logs and fleet queries are open to anyone who can connect');
  return {
    deps: {
      store,
      authRequired: config.auth.required,
      ingest: config.ingest,
      page: { defaultLimit: DEFAULTS.decisionsPageSize, maxLimit: DEFAULTS.decisionsMaxPageSize },
    },
    close: async () => {
      stopRetention();
      await store.close();
    },
  };
}
