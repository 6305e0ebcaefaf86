/**
 * The limits that keep one user or one connection from starving everyone (SPEC §5):
 * pre-auth slots freed by authentication, `ssh.maxChannelsPerConnection`,
 * `sessions.maxSessionsPerUser` (every kind, checked atomically), and the reserve of open
 * files (new connections refused, established ones served).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import ssh2 from 'ssh2';
import { settingsWith } from '../helpers/gateway.js';
import { describeRun } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startWorld } from '../helpers/world.js';

/** An ssh2 client logged in to the gateway; the caller ends it. */
export async function connectClient(port: number, username: string, keyPath: string, options: { localAddress?: string } = {}): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username, privateKey: fs.readFileSync(keyPath), readyTimeout: 20_000, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  });
  return client;
}

describe('each connection finds its own socket', () => {
  const w = suiteFixture(() => startWorld({ settings: settingsWith([[['ssh', 'maxStartups'], { total: 100, perSource: 2 }]]) }));

  test('authenticated connections leave maxStartups, so a source can hold more than perSource of them', { timeout: 60_000 }, async () => {
    const clients: ssh2.Client[] = [];
    try {
      // Three at once from one source against perSource 2: each frees its pre-auth slot.
      for (let i = 0; i < 3; i++) clients.push(await connectClient(w.gateway.port, 'alice', w.keys.alice.privateKeyPath, { localAddress: '127.0.0.9' }));
      assert.equal(clients.length, 3);
    } finally {
      for (const client of clients) client.end();
    }
  });

  test('the help without a target names the address the client connected to', { timeout: 30_000 }, async () => {
    const r = await w.alice.run(['gate']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, new RegExp(`ssh -J alice@127\\.0\\.0\\.1:${w.gateway.port} LOGIN@db1`), describeRun(r));
  });
});
