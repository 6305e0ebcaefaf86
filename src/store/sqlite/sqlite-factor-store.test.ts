import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStores } from './sqlite-stores.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-factors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ARGON = (n: number): string => `$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${n}$aGFzaGhhc2hoYXNo`;

describe('SqliteFactorStore recovery codes', () => {
  test('a stored hash is claimed once, also by callers racing for it', async () => {
    const stores = openSqliteStores(path.join(dir, 'claim.db'));
    await stores.factors.setTotp('alice', 'v1:00000000:AAAA', [ARGON(1), ARGON(2)]);
    const claims = await Promise.all(Array.from({ length: 5 }, () => stores.factors.claimRecoveryCode('alice', ARGON(1))));
    assert.equal(claims.filter(Boolean).length, 1);
    assert.deepEqual((await stores.factors.get('alice'))!.recoveryHashes, [ARGON(2)]);
    assert.equal(await stores.factors.claimRecoveryCode('alice', ARGON(3)), false);
    assert.equal(await stores.factors.claimRecoveryCode('bob', ARGON(2)), false);
    await stores.close();
  });
});

describe('migration 6', () => {
  test('withdraws SHA-256 recovery hashes of the first version and keeps argon2id ones', () => {
    const db = new Database(path.join(dir, 'migrate.db'));
    for (const migration of MIGRATIONS.filter((m) => m.version < 6)) {
      db.exec(migration.up);
      db.pragma(`user_version = ${migration.version}`);
    }
    const insert = db.prepare("INSERT INTO user_factors (user, totp_sealed, recovery_hashes, updated_at) VALUES (?, 'v1:00000000:AAAA', ?, '2026-01-01T00:00:00Z')");
    insert.run('old', JSON.stringify(['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'a'.repeat(64)]));
    insert.run('mixed', JSON.stringify(['b'.repeat(64), ARGON(1)]));
    insert.run('none', '[]');
    migrate(db);
    const rows = db.prepare<[], { user: string; totp_sealed: string; recovery_hashes: string }>('SELECT user, totp_sealed, recovery_hashes FROM user_factors ORDER BY user').all();
    assert.deepEqual(rows.map((r) => [r.user, JSON.parse(r.recovery_hashes) as unknown]), [['mixed', [ARGON(1)]], ['none', []], ['old', []]]);
    assert.ok(rows.every((r) => r.totp_sealed === 'v1:00000000:AAAA'), 'a TOTP secret was touched');
    db.close();
  });
});
