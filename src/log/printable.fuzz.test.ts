import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { printable } from './printable.js';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';

test('the result never holds a control or format character and keeps the text recoverable', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
    const shown = printable(text);
    assert.doesNotMatch(shown, /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/u);
    const back = shown.replace(/\\(\\|x([0-9a-f]{2})|u\{([0-9a-f]+)\})/g, (_m, whole: string, hex?: string, wide?: string) =>
      whole === '\\' ? '\\' : String.fromCodePoint(parseInt(hex ?? wide!, 16)));
    assert.equal(back, text);
  })));
