/**
 * connectHop against an in-process SSH server: whom it logs in as, and which
 * algorithms it offers.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import ssh2 from 'ssh2';
import { connectHop, HopError, type HopLogin } from './hop-client.js';
import { gatewayAlgorithms } from '../gateway/algorithms.js';
import { TargetSchema, type Target } from '../domain/resources.js';
import { Secret } from '../vault/secret.js';

const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
const userKey = ssh2.utils.generateKeyPairSync('ed25519');

interface TestServer { port: number; usernames: string[]; close(): void }

/** Accepts any public key for any user (the test is about what the client sends), offering only `ciphers`. */
async function startServer(ciphers: string[]): Promise<TestServer> {
  const usernames: string[] = [];
  const server = new ssh2.Server({ hostKeys: [hostKey.private], algorithms: { cipher: ciphers as ssh2.CipherAlgorithm[] } }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      usernames.push(ctx.username);
      if (ctx.method === 'publickey') ctx.accept();
      else ctx.reject(['publickey']);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, usernames, close: () => server.close() };
}

function login(target: Target, fields: Partial<HopLogin> = {}): HopLogin {
  return {
    target,
    credential: { type: 'privateKey', secret: new Secret(userKey.private) },
    timeoutMs: 5_000,
    algorithms: gatewayAlgorithms({}),
    keepalive: { intervalMs: 15_000, countMax: 3 },
    verifyHostKey: () => Promise.resolve({ ok: true, learnt: false }),
    ...fields,
  };
}

function hop(fields: Record<string, unknown>): Target {
  return TargetSchema.parse({ kind: 'Target', name: 'dmz-jump', host: '127.0.0.1', credential: 'hop-key', ...fields });
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('connectHop', () => {
  const servers: TestServer[] = [];
  after(() => { for (const s of servers) s.close(); });
  const server = async (ciphers = ['aes128-gcm@openssh.com', 'aes128-ctr']) => {
    const s = await startServer(ciphers);
    servers.push(s);
    return s;
  };

  test('logs into a hop as its login', { timeout: 15_000 }, async () => {
    const s = await server();
    const session = await connectHop(await dial(s.port), login(hop({ login: 'jump' })));
    assert.equal(session.authenticated, true);
    session.client.end();
    assert.deepEqual([...new Set(s.usernames)], ['jump']);
  });

  test('refuses to log into a hop that has a credential but no login, rather than as root', { timeout: 15_000 }, async () => {
    const s = await server();
    await assert.rejects(connectHop(await dial(s.port), login(hop({}))), (error: unknown) => {
      assert.ok(error instanceof HopError);
      assert.equal(error.why, 'dmz-jump has a credential but no login (set login on the target)');
      return true;
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(s.usernames, [], 'no login was attempted');
  });

  test('without a credential only the handshake is made, as no user', { timeout: 15_000 }, async () => {
    const s = await server();
    const session = await connectHop(await dial(s.port), login(hop({ credential: undefined }), { credential: null }));
    assert.equal(session.authenticated, false);
    await new Promise((r) => setTimeout(r, 200));
    session.client.end();
    assert.ok(!s.usernames.includes('root'), `tried: ${s.usernames.join(', ')}`);
  });

  test('offers only the algorithms it is given (ssh.algorithms)', { timeout: 15_000 }, async () => {
    const s = await server(['aes128-ctr']);
    const narrowed = gatewayAlgorithms({ ciphers: ['aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'] });
    await assert.rejects(connectHop(await dial(s.port), login(hop({ login: 'jump' }), { algorithms: narrowed })), (error: unknown) => {
      assert.ok(error instanceof HopError);
      assert.match(error.why, /^SSH handshake failed: .*cipher/i);
      return true;
    });
    // The positive control: the same server, a list that holds its cipher.
    const matching = gatewayAlgorithms({ ciphers: ['aes128-ctr'] });
    const session = await connectHop(await dial(s.port), login(hop({ login: 'jump' }), { algorithms: matching }));
    session.client.end();
  });
});
