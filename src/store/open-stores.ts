import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Stores } from './store.js';
import { openSqliteStores } from './sqlite/sqlite-stores.js';

export class StoreUrlError extends Error {
  readonly code = 'STORE_URL';
}

/** Picks the store implementation by the URL scheme of the `store` setting. */
export function openStores(url: string, dataDir: string): Stores {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    const resolved = path.isAbsolute(file) ? file : path.join(dataDir, file);
    mkdirSync(path.dirname(resolved), { recursive: true });
    return openSqliteStores(resolved);
  }
  if (/^postgres(ql)?:\/\//.test(url)) throw new StoreUrlError('store: the PostgreSQL store is not available in this version; use sqlite:FILE');
  throw new StoreUrlError(`store: unknown scheme in ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
}
