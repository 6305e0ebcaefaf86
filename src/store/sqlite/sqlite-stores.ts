import Database from 'better-sqlite3';
import type { Stores, ResourceChange, ChangeAudit } from '../store.js';
import { migrate } from './migrate.js';
import { SqliteResourceStore, tableOf } from './sqlite-resource-store.js';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { SqliteSessionStore } from './sqlite-session-store.js';
import { SqliteHostKeyStore } from './sqlite-host-key-store.js';
import { SqliteFactorStore } from './sqlite-factor-store.js';
import { SqliteSealedSecretStore } from './sqlite-sealed-secret-store.js';
import { SqliteBanStore } from './sqlite-ban-store.js';
import { SqliteNodeStore } from './sqlite-node-store.js';
import { SqliteRecordingStore } from './sqlite-recording-store.js';
import { SqliteUserKeyStore } from './sqlite-user-key-store.js';
import { SqliteGatewayKeyStore } from './sqlite-gateway-key-store.js';
import { SqliteLeaseStore } from './sqlite-lease-store.js';
import { SqliteRdpTokenStore } from './sqlite-rdp-token-store.js';
import { SqliteTokenStore } from './sqlite-token-store.js';
import { SqliteApprovalStore, SqliteRevokedSerialStore } from './sqlite-approval-store.js';
import { SqliteRequestStore } from './sqlite-request-store.js';
import type { User, Target, Role } from '../../domain/resources.js';
import type { StoredCredential } from '../../domain/credential.js';

export function openSqliteStores(file: string): Stores {
  const db = new Database(file);
  // WAL lets the CLI read while the gateway writes; the busy timeout serialises writers
  // of several processes (audit appends from `apply` and from the gateway).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const users = new SqliteResourceStore<User>(db, 'users');
  const targets = new SqliteResourceStore<Target>(db, 'targets');
  const roles = new SqliteResourceStore<Role>(db, 'roles');
  const credentials = new SqliteResourceStore<StoredCredential>(db, 'credentials');
  const byTable = { users, targets, roles, credentials };

  const audit = new SqliteAuditStore(db);
  const applyBatch = db.transaction((changes: readonly ResourceChange[], changeAudit?: ChangeAudit) => {
    for (const change of changes) {
      if (change.op === 'put') byTable[tableOf(change.resource.kind)].putSync(change.resource as never);
      else byTable[tableOf(change.kind)].deleteSync(change.name);
    }
    return (changeAudit?.drafts ?? []).map((draft) => audit.appendInTransaction(draft, changeAudit!.seal));
  });

  return {
    users, targets, roles, credentials,
    audit,
    sessions: new SqliteSessionStore(db, audit),
    hostKeys: new SqliteHostKeyStore(db),
    factors: new SqliteFactorStore(db),
    sealedSecrets: new SqliteSealedSecretStore(db),
    bans: new SqliteBanStore(db),
    nodes: new SqliteNodeStore(db),
    recordings: new SqliteRecordingStore(db),
    userKeys: new SqliteUserKeyStore(db),
    gatewayKeys: new SqliteGatewayKeyStore(db),
    leases: new SqliteLeaseStore(db),
    rdpTokens: new SqliteRdpTokenStore(db),
    tokens: new SqliteTokenStore(db),
    approvals: new SqliteApprovalStore(db),
    revokedSerials: new SqliteRevokedSerialStore(db),
    requests: new SqliteRequestStore(db, audit),
    async applyChanges(changes, changeAudit) {
      return applyBatch.immediate(changes, changeAudit);
    },
    async close() {
      db.close();
    },
  };
}
