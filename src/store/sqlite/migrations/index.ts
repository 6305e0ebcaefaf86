import type { Migration } from '../../migration.js';
import * as initial from './001-initial.js';
import * as hostKeys from './002-host-keys-and-hops.js';
import * as factors from './003-auth-factors-and-bans.js';
import * as sessionKill from './004-session-kill.js';
import * as auditNode from './005-audit-node.js';
import * as withdrawLegacyRecoveryCodes from './006-withdraw-legacy-recovery-codes.js';
import * as auditChainHead from './007-audit-chain-head.js';
import * as apiTokens from './013-api-tokens.js';

/** Numbered migrations, applied in order; the PostgreSQL store has the same ones (postgres/migrations/). */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', up: initial.up },
  { version: 2, name: 'host keys and hops', up: hostKeys.up },
  { version: 3, name: 'auth factors and bans', up: factors.up },
  { version: 4, name: 'session kill', up: sessionKill.up },
  { version: 5, name: 'audit node', up: auditNode.up },
  { version: 6, name: 'withdraw legacy recovery codes', up: withdrawLegacyRecoveryCodes.up },
  { version: 7, name: 'audit chain head', up: auditChainHead.up },
  { version: 13, name: 'api tokens', up: apiTokens.up },
];
