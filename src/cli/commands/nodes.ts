import type { Command } from 'commander';
import { withRuntime, formatOf } from '../context.js';
import { print, table } from '../output.js';
import { ms } from '../../config/load-settings.js';

/**
 * `up`, or how long it has been silent when that is past two heartbeats (by this host's clock:
 * the others declare it dead by their own, after cluster.deadAfter).
 */
function upState(heartbeatAt: string, heartbeatMs: number, now = Date.now()): string {
  const silent = now - Date.parse(heartbeatAt);
  return silent > 2 * heartbeatMs ? `up (no heartbeat for ${Math.round(silent / 1000)}s)` : 'up';
}

export function registerNodes(program: Command): void {
  program.command('nodes')
    .description('the gateway nodes sharing this store: name, address, version, last heartbeat, live sessions')
    .action(async (_options, command: Command) => {
      const format = formatOf(command);
      await withRuntime(command, async ({ stores, settings }) => {
        const [nodes, live] = await Promise.all([stores.nodes.list(), stores.sessions.list({ includeEnded: false })]);
        const heartbeat = ms(settings.cluster.heartbeat);
        const rows = nodes.map((node) => ({
          name: node.name, address: node.address, version: node.version, startedAt: node.startedAt, lastHeartbeat: node.heartbeatAt,
          state: node.downAt ? `down (${node.downReason ?? 'unknown'})` : upState(node.heartbeatAt, heartbeat), downAt: node.downAt,
          liveSessions: live.filter((session) => session.node === node.name).length,
        }));
        print(format, rows, () => rows.length === 0 ? 'no nodes have run on this store yet\n' : table(
          ['NAME', 'ADDRESS', 'VERSION', 'STATE', 'LAST HEARTBEAT', 'SESSIONS'],
          rows.map((n) => [n.name, n.address, n.version, n.state, n.lastHeartbeat, String(n.liveSessions)]),
        ));
      });
    });
}
