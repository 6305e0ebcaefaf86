import { readFileSync } from 'node:fs';

/** jumpgate's version, from the package.json of the installation this code runs from. */
export function jumpgateVersion(): string {
  // src/runtime/ in the repository, dist/src/runtime/ when built: the nearest package.json up.
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'jumpgate' && pkg.version) return pkg.version;
    } catch {
      // not here: the next one up
    }
  }
  return 'unknown';
}
