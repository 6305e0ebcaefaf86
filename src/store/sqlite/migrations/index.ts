import * as initial from './001-initial.js';
import * as hostKeys from './002-host-keys-and-hops.js';

/** Numbered migrations, applied in order; a migration never changes once released. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; up: string }> = [
  { version: 1, name: 'initial', up: initial.up },
  { version: 2, name: 'host keys and hops', up: hostKeys.up },
];
