import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { PseudoTtyInfo, ServerChannel } from 'ssh2';
import { runTargetMenu, MENU_LINE_LIMIT } from './target-menu.js';
import type { ProxiedConnection } from './proxied-session.js';
import { RoleSchema, TargetSchema, UserSchema } from '../domain/resources.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmFkQ0E3kC5wNQxZRXNk2ZpcR3K7ZSRjwpZUj3pGkd7 alice@laptop';

/** A session channel as the menu sees it: what it wrote, and how it ended. */
class FakeChannel extends EventEmitter {
  written = '';
  exitStatus: number | null = null;
  ended = false;
  readonly stderr = { write: (text: string) => { this.written += text; return true; } };
  write(text: string): boolean { this.written += text; return true; }
  exit(status: number): void { this.exitStatus = status; }
  end(): void { this.ended = true; }
  type(text: string | Buffer): void { this.emit('data', typeof text === 'string' ? Buffer.from(text) : text); }
}

const logged: string[] = [];
function menuContext(options: { storeFails?: boolean; targetNames?: string[] } = {}): ProxiedConnection {
  const user = UserSchema.parse({ kind: 'User', name: 'alice', roles: ['dba'], keys: [KEY] });
  const role = RoleSchema.parse({ kind: 'Role', name: 'dba', allow: [{ targets: ['db1', 'db2'], access: ['session'] }] });
  const targets = (options.targetNames ?? ['db1', 'db2']).map((name) => TargetSchema.parse({ kind: 'Target', name, host: '10.0.0.1', login: 'root' }));
  const stores = {
    users: { get: async () => { if (options.storeFails) throw new Error('database is locked'); return user; } },
    roles: { get: async () => role },
    targets: { list: async () => targets },
    requests: { liveGrants: async () => [] },
  };
  const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => { logged.push(message); } };
  return { deps: { stores, logger }, who: { userName: 'alice', ip: '127.0.0.1', mfaVerified: false }, src: '127.0.0.1:5555' } as unknown as ProxiedConnection;
}

const pty = { cols: 80, rows: 24, width: 0, height: 0, term: 'xterm', modes: {} } as unknown as PseudoTtyInfo;

async function openMenu(options: { storeFails?: boolean; targetNames?: string[] } = {}): Promise<FakeChannel> {
  const channel = new FakeChannel();
  await runTargetMenu(menuContext(options), channel as unknown as ServerChannel, pty, {});
  return channel;
}

describe('the target menu', () => {
  test('one target: the prompt offers 1, not a range of one', async () => {
    const channel = await openMenu({ targetNames: ['db1'] });
    assert.match(channel.written, /1\) db1 \(root\)\r\nchoose 1, or q to leave: $/);
    channel.type('q\r');
    assert.equal(channel.exitStatus, 0);
  });

  test('lists the targets and leaves on q', async () => {
    const channel = await openMenu();
    assert.match(channel.written, /1\) db1 \(root\)\r\n {3}2\) db2 \(root\)\r\nchoose 1-2, or q to leave: $/);
    channel.type('q\r');
    assert.equal(channel.exitStatus, 0);
    assert.ok(channel.ended);
  });

  test('megabytes typed without Enter: at most the limit is kept and echoed, and the menu still answers', async () => {
    const channel = await openMenu();
    const before = channel.written.length;
    const packet = Buffer.alloc(32 * 1024, '7');
    for (let i = 0; i < 512; i++) channel.type(packet);
    assert.equal(channel.written.length - before, MENU_LINE_LIMIT, 'echoed past the limit');
    channel.type('\r');
    assert.match(channel.written, new RegExp(`jumpgate: no target numbered ${'7'.repeat(MENU_LINE_LIMIT)}\\r\\nchoose 1-2, or q to leave: $`));
    // Positive control: the next choice is read as usual.
    channel.type('q\r');
    assert.equal(channel.exitStatus, 0);
  });

  test('backspace frees room under the limit', async () => {
    const channel = await openMenu();
    channel.type(`${'9'.repeat(MENU_LINE_LIMIT + 5)}${'\x7f'.repeat(MENU_LINE_LIMIT)}x\r`);
    assert.match(channel.written, /jumpgate: no target numbered x\r\n/);
  });

  test('a store that fails ends the channel with a message; the menu does not reject', async () => {
    logged.length = 0;
    const channel = await openMenu({ storeFails: true });
    assert.match(channel.written, /^jumpgate: internal error\n$/);
    assert.equal(channel.exitStatus, 1);
    assert.deepEqual(logged, ['target menu failed']);
  });
});
