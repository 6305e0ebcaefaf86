import type { Runtime } from '../main.js';
import type { UpstreamPool } from '../upstream/upstream-pool.js';

/** What the SSH side needs from the runtime; passed down so each part asks only for its slice. */
export type GatewayDeps = Pick<Runtime, 'dataDir' | 'settings' | 'stores' | 'audit' | 'logger' | 'node' | 'vault'> & {
  /** The gateway's own addresses (refused as destinations unless a target names them). */
  ownAddresses: ReadonlySet<string>;
  /** The side that faces targets: dialing, hop chains, shared hop connections. */
  upstream: UpstreamPool;
  /** Told when a session of this process goes live and when it ends (a worker tells its primary). */
  onSessionLive?: (id: string, live: boolean) => void;
};
