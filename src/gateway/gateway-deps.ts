import type { Runtime } from '../main.js';
import type { UpstreamPool } from '../upstream/upstream-pool.js';

/** What the SSH side needs from the runtime; passed down so each part asks only for its slice. */
export type GatewayDeps = Pick<Runtime, 'dataDir' | 'settings' | 'stores' | 'audit' | 'logger' | 'node' | 'vault'> & {
  /** The gateway's own addresses (refused as destinations unless a target names them). */
  ownAddresses: ReadonlySet<string>;
  /** The side that faces targets: dialing, hop chains, shared hop connections. */
  upstream: UpstreamPool;
  /**
   * Set in a worker process of `ssh.workers`: its sessions are registered as held by it, so
   * that its primary can end exactly them if it dies.
   */
  workerPid?: number;
};
