import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Stores } from './store.js';
import { openSqliteStores } from './sqlite/sqlite-stores.js';
import { openPostgresStores } from './postgres/postgres-stores.js';
import { hideStorePassword, redactStoreUrl } from './store-url.js';

/** The store named by the `store` setting cannot be opened; the message never holds its password. */
export class StoreOpenError extends Error {
  readonly code = 'STORE_OPEN';
}

export interface OpenStoresOptions {
  /** A PostgreSQL connection failed while idle; the store reconnects on its next query. */
  onConnectionError?: (error: Error) => void;
}

/** Picks the store implementation by the URL scheme of the `store` setting, and opens (and migrates) it. */
export async function openStores(url: string, dataDir: string, options: OpenStoresOptions = {}): Promise<Stores> {
  const shown = redactStoreUrl(url);
  try {
    if (url.startsWith('sqlite:')) {
      const file = url.slice('sqlite:'.length);
      const resolved = path.isAbsolute(file) ? file : path.join(dataDir, file);
      mkdirSync(path.dirname(resolved), { recursive: true });
      return openSqliteStores(resolved);
    }
    if (/^postgres(ql)?:\/\//.test(url)) {
      const onConnectionError = options.onConnectionError ?? (() => {});
      return await openPostgresStores(url, {
        onConnectionError: (error) => onConnectionError(new Error(hideStorePassword(error.message, url))),
      });
    }
  } catch (error) {
    // Only the message, with the password taken out: a driver's error object may hold the URL.
    throw new StoreOpenError(`store ${shown}: ${hideStorePassword(error instanceof Error ? error.message : String(error), url)}`);
  }
  throw new StoreOpenError(`store: unknown scheme in ${shown} (use sqlite:FILE or postgres://…)`);
}
