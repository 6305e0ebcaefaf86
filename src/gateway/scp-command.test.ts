import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScpCommand } from './scp-command.js';

/** `upload PATH`, `download PATH` (with ` -r`/` -d` when set), or `command`: how the gateway treats an exec request. */
function summary(command: string): string {
  const scp = parseScpCommand(command);
  if (!scp) return 'command';
  return `${scp.direction} ${scp.path}${scp.recursive ? ' -r' : ''}${scp.targetIsDirectory ? ' -d' : ''}`;
}

describe('legacy scp commands are file transfer', () => {
  const cases: Array<[string, string]> = [
    // What OpenSSH 9's `scp -O` sends (observed with `scp -S`).
    ['scp -t /tmp/x', 'upload /tmp/x'],
    ['scp -f /tmp/x', 'download /tmp/x'],
    ['scp -t .', 'upload .'],
    ['scp -v -r -p -t /tmp/y', 'upload /tmp/y -r'],
    ['scp -d -f /a', 'download /a -d'],
    ['scp -r -p -d -t /srv/dir/', 'upload /srv/dir/ -r -d'],
    ['scp -t -- -dash', 'upload -dash'],
    ['scp -f -- -dash', 'download -dash'],
    ['scp -f ~/notes.txt', 'download ~/notes.txt'],
    ['scp -f *.log', 'download *.log'],
    ['scp -f /var/log/app-[0-9].log', 'download /var/log/app-[0-9].log'],
    ['scp -t /tmp/café', 'upload /tmp/café'],
    ['scp -q -t user@example.com:x,y=z+1%', 'upload user@example.com:x,y=z+1%'],
    // Single-quoted the way a shell-quoting client writes it.
    ["scp -t '/tmp/a b'", 'upload /tmp/a b'],
    ["scp -f 'it'\\''s'", "download it's"],
    ["scp -t '/tmp/$(id)'", 'upload /tmp/$(id)'],
    ["scp -t /tmp/'x;y'", 'upload /tmp/x;y'],
    // Blanks around the words do not change the meaning.
    ['  scp\t-t   /tmp/x  ', 'upload /tmp/x'],
    ['scp -rp -t /tmp/x', 'upload /tmp/x -r'],
  ];
  for (const [command, expected] of cases) test(JSON.stringify(command), () => assert.equal(summary(command), expected));
});

describe('anything else is a command (access session)', () => {
  const commands = [
    'scp -t /tmp/x; id',
    'scp -t /tmp/x;id',
    'scp -t /tmp/x && id',
    'scp -t /tmp/x || id',
    'scp -t /tmp/x | id',
    'scp -t /tmp/x & id',
    'scp -t $(id)',
    'scp -t /tmp/$(id)',
    'scp -t `id`',
    'scp -t ${HOME}',
    'scp -t $HOME',
    'scp -t /tmp/x\nid',
    'scp -t /tmp/x\rid',
    'scp -t /tmp/x > /etc/passwd',
    'scp -t /tmp/x>/etc/passwd',
    'scp -t /tmp/x < /etc/shadow',
    'scp -t /tmp/x 2>&1',
    'scp -t (id)',
    'scp -t {a,b}',
    'scp -t a b',
    'scp -f /a /b',
    'scp -t "/tmp/a b"',
    'scp -t /tmp/a\\ b',
    "scp -t '/tmp/x",
    "scp -t '/tmp/x\nid'",
    'scp -t #x',
    'scp -t !x',
    'scp -t',
    'scp -f',
    'scp /tmp/x',
    'scp -t -f /tmp/x',
    'scp -f -t /tmp/x',
    'scp -tr /tmp/x',
    'scp -t -r /tmp/x',
    'scp -x -t /tmp/x',
    'scp -S /bin/sh -t /tmp/x',
    'scp -o ProxyCommand=id -t /tmp/x',
    'scp -t -oProxyCommand=id',
    'scp -t --',
    'scp -t -- ',
    '/usr/bin/scp -t /tmp/x',
    'scpx -t /tmp/x',
    'sudo scp -t /tmp/x',
    'cd /tmp; scp -t x',
    'SCP -t /tmp/x',
    '',
    'id',
  ];
  for (const command of commands) test(JSON.stringify(command), () => assert.equal(summary(command), 'command'));
});
