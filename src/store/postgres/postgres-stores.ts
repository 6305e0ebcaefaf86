import type { Stores, ResourceChange, ChangeAudit, StoredAuditEvent } from '../store.js';
import type { User, Target, Role } from '../../domain/resources.js';
import type { StoredCredential } from '../../domain/credential.js';
import { createPool, inTransaction } from './postgres-database.js';
import { migrate } from './migrate.js';
import { PostgresResourceStore, tableOf } from './postgres-resource-store.js';
import { PostgresAuditStore } from './postgres-audit-store.js';
import { PostgresSessionStore } from './postgres-session-store.js';
import { PostgresHostKeyStore } from './postgres-host-key-store.js';
import { PostgresFactorStore } from './postgres-factor-store.js';
import { PostgresSealedSecretStore } from './postgres-sealed-secret-store.js';
import { PostgresBanStore } from './postgres-ban-store.js';
import { PostgresNodeStore } from './postgres-node-store.js';
import { PostgresRecordingStore } from './postgres-recording-store.js';
import { PostgresUserKeyStore } from './postgres-user-key-store.js';
import { PostgresGatewayKeyStore } from './postgres-gateway-key-store.js';
import { PostgresLeaseStore } from './postgres-lease-store.js';
import { PostgresRdpTokenStore } from './postgres-rdp-token-store.js';
import { PostgresTokenStore } from './postgres-token-store.js';
import { PostgresApprovalStore, PostgresRevokedSerialStore } from './postgres-approval-store.js';
import { PostgresRequestStore } from './postgres-request-store.js';

export interface PostgresStoreOptions {
  /** A pooled connection failed while idle (the server restarted or went away). */
  onConnectionError: (error: Error) => void;
}

/** The store of several gateway nodes (SPEC §10): one PostgreSQL database, migrated on open. */
export async function openPostgresStores(url: string, options: PostgresStoreOptions): Promise<Stores> {
  const pool = createPool(url, options.onConnectionError);
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }

  const users = new PostgresResourceStore<User>(pool, 'users');
  const targets = new PostgresResourceStore<Target>(pool, 'targets');
  const roles = new PostgresResourceStore<Role>(pool, 'roles');
  const credentials = new PostgresResourceStore<StoredCredential>(pool, 'credentials');
  const byTable = { users, targets, roles, credentials };
  const audit = new PostgresAuditStore(pool);

  return {
    users, targets, roles, credentials,
    audit,
    sessions: new PostgresSessionStore(pool, audit),
    hostKeys: new PostgresHostKeyStore(pool),
    factors: new PostgresFactorStore(pool),
    sealedSecrets: new PostgresSealedSecretStore(pool),
    bans: new PostgresBanStore(pool),
    nodes: new PostgresNodeStore(pool),
    recordings: new PostgresRecordingStore(pool),
    userKeys: new PostgresUserKeyStore(pool),
    gatewayKeys: new PostgresGatewayKeyStore(pool),
    leases: new PostgresLeaseStore(pool),
    rdpTokens: new PostgresRdpTokenStore(pool),
    tokens: new PostgresTokenStore(pool),
    approvals: new PostgresApprovalStore(pool),
    revokedSerials: new PostgresRevokedSerialStore(pool),
    requests: new PostgresRequestStore(pool, audit),
    async applyChanges(changes: readonly ResourceChange[], changeAudit?: ChangeAudit): Promise<StoredAuditEvent[]> {
      return inTransaction(pool, async (client) => {
        // The chain head first, whether or not events follow: every writer of resources and
        // of the chain takes its locks in one order (head, then resource rows), so two
        // batches never deadlock, and a batch's events follow each other in the chain.
        await client.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
        for (const change of changes) {
          if (change.op === 'put') await byTable[tableOf(change.resource.kind)].putIn(client, change.resource as never);
          else await byTable[tableOf(change.kind)].deleteIn(client, change.name);
        }
        const events: StoredAuditEvent[] = [];
        for (const draft of changeAudit?.drafts ?? []) events.push(await audit.appendIn(client, draft, changeAudit!.seal));
        return events;
      });
    },
    async close() {
      await pool.end();
    },
  };
}
