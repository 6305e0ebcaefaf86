import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root. Compiled helpers and tests live two folders below
 * dist/ (dist/test/helpers/*.js, dist/test/e2e/*.js), so four levels up from
 * this file is the root in both cases.
 */
export const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');

/** The product CLI, as users run it after `npm ci`. */
export const jumpgateBin = path.join(repoRoot, 'bin', 'jumpgate');

/** Absolute path, so a PATH without /usr/sbin (non-root shells) still finds it. */
export const sshdBin = '/usr/sbin/sshd';
