import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandExtractor, COMMAND_LINE_LIMIT, type TypedCommand } from './command-extractor.js';

function typed(...chunks: Array<string | Buffer>): TypedCommand[] {
  const extractor = new CommandExtractor();
  return chunks.flatMap((chunk) => extractor.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
}

const whole = (command: string): TypedCommand => ({ command, truncated: false });

describe('command extraction from keystrokes', () => {
  const cases: Array<[string, Array<string | Buffer>, TypedCommand[]]> = [
    ['a line and Enter', ['ls -la\r'], [whole('ls -la')]],
    ['two lines in one packet', ['id\rwhoami\r'], [whole('id'), whole('whoami')]],
    ['a line across packets', ['ec', 'ho hi', '\r'], [whole('echo hi')]],
    ['backspace', ['lss\x7f -l\r'], [whole('ls -l')]],
    ['Ctrl-U clears the line', ['rm -rf /\x15ls\r'], [whole('ls')]],
    ['Ctrl-C clears the line', ['sleep 1\x03uptime\r'], [whole('uptime')]],
    ['arrow keys are skipped', ['ls\x1b[A\x1b[D -a\r'], [whole('ls -a')]],
    ['empty lines are not commands', ['\r\r  \r\n'], []],
    ['CRLF is one Enter', ['pwd\r\n'], [whole('pwd')]],
    ['UTF-8 split across packets', [Buffer.from('echo caf'), Buffer.from([0xc3]), Buffer.from([0xa9, 0x0d])], [whole('echo café')]],
  ];
  for (const [name, chunks, expected] of cases) test(name, () => assert.deepEqual(typed(...chunks), expected));
});

describe('the typed line is bounded', () => {
  test(`a line past ${COMMAND_LINE_LIMIT} characters is logged truncated`, () => {
    const long = 'x'.repeat(COMMAND_LINE_LIMIT + 10);
    assert.deepEqual(typed(`echo ${long}\r`), [{ command: `echo ${long}`.slice(0, COMMAND_LINE_LIMIT), truncated: true }]);
  });

  test('backspace erases what was typed past the limit first', () => {
    const line = 'y'.repeat(COMMAND_LINE_LIMIT);
    assert.deepEqual(typed(`${line}zz\x7f\x7f\r`), [whole(line)]);
    assert.deepEqual(typed(`${line}zz\x7f\x7f\x7f!\r`), [whole(`${line.slice(1)}!`)]);
  });

  test('Ctrl-U after the limit starts a fresh, untruncated line', () => {
    assert.deepEqual(typed(`${'q'.repeat(COMMAND_LINE_LIMIT * 2)}\x15id\r`), [whole('id')]);
  });

  test('16 MB typed without Enter: the extractor holds one line of the limit, and logs it truncated', () => {
    const extractor = new CommandExtractor();
    const packet = Buffer.alloc(32 * 1024, 'a');
    for (let i = 0; i < 512; i++) {
      assert.deepEqual(extractor.feed(packet), []);
      assert.ok(extractor.pendingLength() <= COMMAND_LINE_LIMIT, `${extractor.pendingLength()} characters held`);
    }
    assert.deepEqual(extractor.feed(Buffer.from('\r')), [{ command: 'a'.repeat(COMMAND_LINE_LIMIT), truncated: true }]);
    assert.equal(extractor.pendingLength(), 0);
  });
});
