import type { Runtime } from '../main.js';

/** What the SSH side needs from the runtime; passed down so each part asks only for its slice. */
export type GatewayDeps = Pick<Runtime, 'settings' | 'stores' | 'audit' | 'logger' | 'node'> & {
  /** The gateway's own addresses (refused as destinations unless a target names them). */
  ownAddresses: ReadonlySet<string>;
};
