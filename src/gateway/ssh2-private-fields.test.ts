// The product code talks to ssh2 through its public API only (and the documented patch in
// patches/): private fields such as `_sock` or `_protocol` change without notice between
// versions, and code reading them breaks silently. Tests may poke them to play a hostile
// peer; product code may not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's src/: this file runs from dist/src/gateway/. */
const srcDir = path.resolve(fileURLToPath(import.meta.url), '../../../../src');

const PRIVATE_FIELD = /\._(sock|protocol|chanMgr|chanInfo|client|transportDrainWaiters)\b/;

function productFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return productFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

test("no product file reads ssh2's private fields", () => {
  const files = productFiles(srcDir);
  assert.ok(files.length > 50, `only ${files.length} source files found under ${srcDir}`);
  const offenders = files.flatMap((file) => fs.readFileSync(file, 'utf8').split('\n')
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => PRIVATE_FIELD.test(line))
    .map(({ line, index }) => `${path.relative(srcDir, file)}:${index + 1}: ${line.trim()}`));
  assert.deepEqual(offenders, []);
});
