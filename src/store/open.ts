import { wrapError } from '../core/index.js';
import type { Store } from './types.js';

/** Where the store lives: the embedded file (default) or a PostgreSQL database. */
export type StoreConfig = { readonly driver: 'sqlite'; readonly path: string } | { readonly driver: 'postgres'; readonly url: string };

/** Opens the store and brings its schema up to date; drivers are imported only when used. */
export async function openStore(config: StoreConfig): Promise<Store> {
  try {
    if (config.driver === 'postgres') {
      const { PostgresStore } = await import('./postgres.js');
      return await PostgresStore.open(config.url);
    }
    const { SqliteStore } = await import('./sqlite.js');
    return new SqliteStore(config.path);
  } catch (err) {
    // The URL may hold a password, so only the driver is named.
    throw wrapError(err, 'STORE_UNAVAILABLE', `the ${config.driver} store cannot be opened`);
  }
}
