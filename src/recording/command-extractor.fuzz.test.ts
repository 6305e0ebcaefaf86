import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CommandExtractor, COMMAND_LINE_LIMIT, type TypedCommand } from './command-extractor.js';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';

/** The simplest extractor there is: an unbounded string, with the limit applied when a line ends. */
function reference(input: string): TypedCommand[] {
  const commands: TypedCommand[] = [];
  let line = '';
  for (const char of input) {
    if (char === '\r' || char === '\n') {
      const truncated = line.length > COMMAND_LINE_LIMIT;
      const command = line.slice(0, COMMAND_LINE_LIMIT).trim();
      if (command || truncated) commands.push({ command, truncated });
      line = '';
    } else if (char === '\x7f' || char === '\b') line = line.slice(0, -1);
    else if (char === '\x15') line = '';
    else line += char;
  }
  return commands;
}

/** Printable ASCII with backspace, Ctrl-U and Enter; now and then a run long enough to pass the limit. */
const keys = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.string({ unit: fc.constantFrom(...' abcxyz-/|;$'.split('')), maxLength: 12 }) },
    { weight: 2, arbitrary: fc.constantFrom('\x7f', '\b', '\x15', '\r', '\n', '\r\n') },
    { weight: 1, arbitrary: fc.integer({ min: COMMAND_LINE_LIMIT - 3, max: COMMAND_LINE_LIMIT + 3 }).map((n) => 'k'.repeat(n)) },
  ),
  { maxLength: 60 },
).map((parts) => parts.join(''));

test('command extractor: agrees with an unbounded reference on printable input, backspace, Ctrl-U and Enter, in any packets', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(keys, fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 5 }), (input, cuts) => {
    const extractor = new CommandExtractor();
    const got: TypedCommand[] = [];
    const bytes = Buffer.from(input);
    for (let offset = 0, i = 0; offset < bytes.length; i++) {
      const size = cuts[i % cuts.length];
      got.push(...extractor.feed(bytes.subarray(offset, offset + size)));
      offset += size;
      assert.ok(extractor.pendingLength() <= COMMAND_LINE_LIMIT);
    }
    assert.deepEqual(got, reference(input));
  })));

test('command extractor, any bytes: never throws, the line stays within its limit', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), (chunks) => {
    const extractor = new CommandExtractor();
    for (const chunk of chunks) {
      for (const typed of extractor.feed(Buffer.from(chunk))) assert.ok(typed.command.length <= 2 * COMMAND_LINE_LIMIT);
      assert.ok(extractor.pendingLength() <= COMMAND_LINE_LIMIT);
    }
  })));
