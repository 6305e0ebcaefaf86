/**
 * A gateway running as root turns any flaw in it into control of the host: it needs no
 * root (CAP_NET_BIND_SERVICE is enough for port 22). doctor runs as the gateway's user,
 * and the data dir is owned by the user the gateway runs as.
 */
import { statSync } from 'node:fs';
import type { Finding } from './doctor-finding.js';

const FIX = 'run jumpgate as an unprivileged user that owns the data dir (for port 22, grant it CAP_NET_BIND_SERVICE instead)';

export function rootFindings(dataDir: string, uid: number | undefined = process.getuid?.(), owner: number = statSync(dataDir).uid): Finding[] {
  if (uid === 0) return [{ level: 'warn', what: 'jumpgate runs as root here', fix: FIX }];
  if (owner === 0) return [{ level: 'warn', what: `the data dir ${dataDir} is owned by root, so the gateway runs as root`, fix: FIX }];
  return [{ level: 'ok', what: 'jumpgate does not run as root' }];
}
