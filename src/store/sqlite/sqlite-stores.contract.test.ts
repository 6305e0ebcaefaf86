import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeStoreContract } from '../contract/store-contract.js';
import { openSqliteStores } from './sqlite-stores.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-sqlite-contract-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

// Each place is a file; each instance its own connection to it, as another process would have.
describeStoreContract('SQLite', {
  fresh: async (label) => {
    counter += 1;
    const file = path.join(dir, `${counter}-${label}.db`);
    return { open: async () => openSqliteStores(file) };
  },
});
