import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseScpCommand } from './scp-command.js';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';

/** What a POSIX shell could run, redirect, substitute or split on, outside single quotes. */
const SHELL_ACTIVE = /[;&|$`<>(){}"\\\s#!^\p{Z}\p{C}]/u;

/** Shell words and operators, so that the fuzzer often comes close to the accepted shape. */
const piece = fc.oneof(
  fc.constantFrom('scp', ' ', '\t', '-t', '-f', '-r', '-p', '-d', '-v', '-q', '--', '/tmp/x', "'", "\\'", ';', '&&', '|', '$(', ')', '`', '\n', '>', 'id', '*', '~'),
  fc.string({ maxLength: 6 }),
  fc.string({ maxLength: 3, unit: 'binary' }),
);

test('scp command: whatever it accepts has nothing a shell would act on outside single quotes', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.array(piece, { maxLength: 14 }).map((parts) => parts.join('')), (command) => {
    const scp = parseScpCommand(command);
    if (!scp) return;
    const [, path = ''] = /^\s*scp(?:\s+-[a-z]+)*\s+(?:--\s+)?(.*?)\s*$/s.exec(command) ?? [];
    const outsideQuotes = path.replace(/'[^']*'/g, '').replace(/\\'/g, '');
    assert.doesNotMatch(outsideQuotes, SHELL_ACTIVE, JSON.stringify(command));
    // Tabs may separate the words, as spaces do (the shell splits on both); no other control character.
    assert.ok(!/[\u0000-\u0008\u000a-\u001f\u007f]/.test(command), JSON.stringify(command));
  })));

test('scp command: any path without control characters, single-quoted as a shell quotes it, comes back as itself', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((p) => !/[\u0000-\u001f\u007f]/.test(p)), fc.constantFrom('-t', '-f'), (path, flag) => {
    const quoted = `'${path.replace(/'/g, "'\\''")}'`;
    const scp = parseScpCommand(`scp -r ${flag} -- ${quoted}`);
    assert.deepEqual(scp && { path: scp.path, direction: scp.direction }, { path, direction: flag === '-t' ? 'upload' : 'download' });
  })));
