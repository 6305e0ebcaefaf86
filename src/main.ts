/**
 * The composition root: the only place that picks concrete stores and sinks and wires
 * the parts together. Commands and the gateway receive what they need from here.
 */
import { hostname } from 'node:os';
import { loadSettings, dataPath } from './config/load-settings.js';
import type { Settings } from './config/settings-schema.js';
import { openStores } from './store/open-stores.js';
import type { Stores } from './store/store.js';
import { AuditLog } from './audit/audit-log.js';
import { parseSize } from './config/duration.js';
import { createLogger, type Logger } from './log/logger.js';
import { UpstreamPool } from './upstream/upstream-pool.js';
import { KEEPALIVE_COUNT_MAX } from './upstream/hop-client.js';
import { gatewayAlgorithms } from './gateway/algorithms.js';
import { localAddresses } from './inventory/special-addresses.js';
import { loadVault, type Vault } from './vault/vault.js';
import { ms } from './config/load-settings.js';
import { TargetCa } from './ca/target-ca.js';
import { UserCa } from './ca/user-ca.js';

export interface Runtime {
  dataDir: string;
  settings: Settings;
  stores: Stores;
  audit: AuditLog;
  logger: Logger;
  node: string;
  /** The vault, read from its key file at each use so a rotation is seen at once. */
  vault: () => Vault;
  close(): Promise<void>;
}

export async function openRuntime(dataDir: string, logger: Logger = createLogger()): Promise<Runtime> {
  const settings = loadSettings(dataDir);
  const stores = await openStores(settings.store, dataDir, {
    onConnectionError: (error) => logger.warn('store connection lost; the next query reconnects', { error }),
  });
  const node = settings.node ?? hostname();
  const audit = new AuditLog(stores.audit, dataPath(dataDir, settings.audit.file), node, {
    rotateSize: parseSize(settings.audit.rotateSize) ?? 100 * 1024 * 1024,
    onError: (error) => logger.error('audit write failed', { error }),
  });
  const vault = () => loadVault(dataPath(dataDir, settings.vault.keyFile));
  return { dataDir, settings, stores, audit, logger, node, vault, close: async () => { audit.close(); await stores.close(); } };
}

/**
 * The side that faces targets. Its connections offer the algorithms of `ssh.algorithms`
 * and send keepalives every `ssh.keepaliveInterval`, as the gateway's server side does.
 */
export function createUpstream(runtime: Pick<Runtime, 'settings' | 'stores' | 'vault' | 'audit'>, observeDial?: (seconds: number, outcome: 'ok' | 'failed') => void): UpstreamPool {
  const { settings } = runtime;
  return new UpstreamPool({
    stores: runtime.stores,
    vault: runtime.vault,
    defaultTimeoutMs: (target) => ms(target.connectTimeout ?? settings.upstream.connectTimeout),
    idleCloseMs: ms(settings.upstream.idleClose),
    algorithms: gatewayAlgorithms(settings.ssh.algorithms),
    keepalive: { intervalMs: ms(settings.ssh.keepaliveInterval), countMax: KEEPALIVE_COUNT_MAX },
    ownAddresses: localAddresses(),
    observeDial,
    targetCa: createTargetCa(runtime),
  });
}

/** jumpgate's target CA: its key in the store, sealed by the vault; its certificates valid `certificates.targetTTL`. */
export function createTargetCa(runtime: Pick<Runtime, 'settings' | 'stores' | 'vault' | 'audit'>, actor: string | null = null): TargetCa {
  return new TargetCa({
    gatewayKeys: runtime.stores.gatewayKeys, vault: runtime.vault, audit: runtime.audit, ttlMs: ms(runtime.settings.certificates.targetTTL), actor,
  });
}

/** jumpgate's user CA: its key in the store, sealed by the vault; certificates valid `certificates.userTTL` at most. */
export function createUserCa(runtime: Pick<Runtime, 'settings' | 'stores' | 'vault' | 'audit'>): UserCa {
  return new UserCa({ gatewayKeys: runtime.stores.gatewayKeys, vault: runtime.vault, audit: runtime.audit, ttlMs: ms(runtime.settings.certificates.userTTL) });
}
