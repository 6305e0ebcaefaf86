import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStores, StoreOpenError } from './open-stores.js';
import { freshPostgresDatabase } from '../../test/helpers/postgres.js';
import { freePort } from '../../test/helpers/ports.js';

/** The password of a store URL the helper made. */
const passwordOf = (url: string): string => decodeURIComponent(new URL(url).password);

async function openError(url: string): Promise<StoreOpenError> {
  const error = await openStores(url, tmpdir()).then(async (stores) => {
    await stores.close();
    return null;
  }, (e: unknown) => e);
  assert.ok(error instanceof StoreOpenError, `expected a StoreOpenError, got ${String(error)}`);
  return error;
}

describe('openStores', () => {
  test('opens a SQLite file relative to the data dir and a PostgreSQL database by URL', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-open-'));
    try {
      const sqlite = await openStores('sqlite:sub/jumpgate.db', dir);
      assert.deepEqual(await sqlite.users.list(), []);
      await sqlite.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const postgres = await openStores(await freshPostgresDatabase('open'), tmpdir());
    assert.deepEqual(await postgres.users.list(), []);
    await postgres.close();
  });

  test('a wrong password is refused, and the message names the store without its password', { timeout: 60_000 }, async () => {
    const url = await freshPostgresDatabase('wrong-password');
    const wrong = new URL(url);
    wrong.password = 'not-the-S3cret-xyzzy';
    const error = await openError(wrong.href);
    assert.match(error.message, /^store postgres:\/\/jumpgate:\*\*\*@127\.0\.0\.1:\d+\/t_wrong_password_\w+: .*password authentication failed/);
    assert.ok(!error.message.includes('not-the-S3cret-xyzzy'), error.message);
    assert.ok(!error.message.includes(passwordOf(url)), error.message);
  });

  test('an unreachable server is refused with the password hidden', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const error = await openError(`postgres://jumpgate:Unreachable-S3cret@127.0.0.1:${port}/jumpgate`);
    assert.match(error.message, new RegExp(`^store postgres://jumpgate:\\*\\*\\*@127\\.0\\.0\\.1:${port}/jumpgate: .*ECONNREFUSED`));
    assert.ok(!error.message.includes('Unreachable-S3cret'), error.message);
  });

  test('an unknown scheme is refused with the password hidden', { timeout: 10_000 }, async () => {
    const error = await openError('mysql://root:Scheme-S3cret@db/jumpgate');
    assert.equal(error.message, 'store: unknown scheme in mysql://root:***@db/jumpgate (use sqlite:FILE or postgres://…)');
  });
});
