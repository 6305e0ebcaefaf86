/**
 * The store contract: what every implementation of `Stores` promises, as one suite that
 * runs over each of them (sqlite/sqlite-stores.contract.test.ts, postgres/
 * postgres-stores.contract.test.ts). A new behaviour of a store is added here, once.
 */
import { describe } from 'node:test';
import type { StoreHarness } from './store-harness.js';
import { auditStoreContract } from './audit-store.contract.js';
import { resourceWriterContract } from './resource-writer.contract.js';
import { factorStoreContract } from './factor-store.contract.js';
import { hostKeyStoreContract } from './host-key-store.contract.js';
import { sealedSecretStoreContract } from './sealed-secret-store.contract.js';
import { banStoreContract } from './ban-store.contract.js';
import { sessionStoreContract } from './session-store.contract.js';
import { nodeStoreContract } from './node-store.contract.js';
import { recordingStoreContract } from './recording-store.contract.js';
import { userKeyStoreContract } from './user-key-store.contract.js';
import { gatewayKeyAndLeaseContract } from './gateway-key-and-lease.contract.js';
import { rdpTokenStoreContract } from './rdp-token-store.contract.js';
import { tokenStoreContract } from './token-store.contract.js';
import { approvalStoreContract } from './approval-store.contract.js';
import { requestStoreContract } from './request-store.contract.js';

export function describeStoreContract(name: string, harness: StoreHarness): void {
  describe(`store contract: ${name}`, () => {
    auditStoreContract(harness);
    resourceWriterContract(harness);
    factorStoreContract(harness);
    hostKeyStoreContract(harness);
    sealedSecretStoreContract(harness);
    banStoreContract(harness);
    sessionStoreContract(harness);
    nodeStoreContract(harness);
    recordingStoreContract(harness);
    userKeyStoreContract(harness);
    gatewayKeyAndLeaseContract(harness);
    rdpTokenStoreContract(harness);
    tokenStoreContract(harness);
    approvalStoreContract(harness);
    requestStoreContract(harness);
  });
}
