import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dirs = new Set<string>();

/** A fresh private directory under the OS temp dir, removed by removeTempDirs(). */
export function makeTempDir(label = 'test'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `jumpgate-${label}-`));
  dirs.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs) {
    fs.rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  }
}

// Last resort when a test file ends without running its after() hooks.
process.on('exit', () => {
  for (const dir of dirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});
