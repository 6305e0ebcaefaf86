import type { Migration } from '../../migration.js';
import * as initial from './001-initial.js';
import * as hostKeys from './002-host-keys-and-hops.js';
import * as factors from './003-auth-factors-and-bans.js';
import * as sessionKill from './004-session-kill.js';
import * as auditNode from './005-audit-node.js';
import * as withdrawLegacyRecoveryCodes from './006-withdraw-legacy-recovery-codes.js';
import * as auditChainHead from './007-audit-chain-head.js';
import * as nodesAndRecordings from './008-nodes-and-recordings.js';
import * as gatewayKeysAndLeases from './009-gateway-keys-and-leases.js';
import * as rdpTokens from './010-rdp-tokens.js';
import * as apiTokens from './013-api-tokens.js';
import * as approvals from './014-approvals-and-revoked-serials.js';
import * as accessRequests from './015-access-requests.js';
import * as sessionWorker from './016-session-worker.js';
import * as liveSessionsByUser from './017-live-sessions-by-user.js';
import * as dropSessionsByEnd from './018-drop-sessions-by-end.js';

/** The SQLite store's migrations (sqlite/migrations/), version for version, in PostgreSQL's SQL. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', up: initial.up },
  { version: 2, name: 'host keys and hops', up: hostKeys.up },
  { version: 3, name: 'auth factors and bans', up: factors.up },
  { version: 4, name: 'session kill', up: sessionKill.up },
  { version: 5, name: 'audit node', up: auditNode.up },
  { version: 6, name: 'withdraw legacy recovery codes', up: withdrawLegacyRecoveryCodes.up },
  { version: 7, name: 'audit chain head', up: auditChainHead.up },
  { version: 8, name: 'nodes and recordings', up: nodesAndRecordings.up },
  { version: 9, name: 'gateway keys and leases', up: gatewayKeysAndLeases.up },
  { version: 10, name: 'rdp tokens', up: rdpTokens.up },
  { version: 13, name: 'api tokens', up: apiTokens.up },
  { version: 14, name: 'approvals and revoked serials', up: approvals.up },
  { version: 15, name: 'access requests', up: accessRequests.up },
  { version: 16, name: 'session worker', up: sessionWorker.up },
  { version: 17, name: 'live sessions by user', up: liveSessionsByUser.up },
  { version: 18, name: 'drop sessions by end', up: dropSessionsByEnd.up },
];
