import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * How the person should type jumpgate in the hints we print: `jumpgate` when that name on
 * PATH is this very program, else the path they ran it by (`./bin/jumpgate`).
 */
export function invocationName(argv1 = process.argv[1] ?? 'jumpgate', pathList = process.env.PATH ?? ''): string {
  const self = realOrNull(argv1);
  for (const dir of pathList.split(path.delimiter).filter((d) => d !== '')) {
    if (self !== null && realOrNull(path.join(dir, 'jumpgate')) === self) return 'jumpgate';
  }
  const relative = path.relative(process.cwd(), argv1);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return argv1;
  return relative.startsWith('.') ? relative : `./${relative}`;
}

function realOrNull(file: string): string | null {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}
