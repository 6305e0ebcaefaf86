#!/usr/bin/env node
// `npm run fuzz`: every *.fuzz.test.js under dist/, each property for JUMPGATE_FUZZ_SECONDS
// (default here 60 s; `npm test` gives each a few seconds).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return find(full);
    return entry.name.endsWith('.fuzz.test.js') ? [full] : [];
  });
}

const files = find('dist').sort();
const seconds = process.env.JUMPGATE_FUZZ_SECONDS ?? '60';
console.error(`fuzz: ${files.length} files, ${seconds} s per property`);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=0', ...files], {
  stdio: 'inherit',
  env: { ...process.env, JUMPGATE_FUZZ_SECONDS: seconds },
});
process.exit(r.status ?? 1);
