import * as initial from './001-initial.js';

/** Numbered migrations, applied in order; a migration never changes once released. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; up: string }> = [
  { version: 1, name: 'initial', up: initial.up },
];
