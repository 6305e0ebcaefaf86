import type { Command } from 'commander';
import { withRuntime, formatOf } from '../context.js';
import { print, table } from '../output.js';
import { Refused } from '../cli-errors.js';
import { printable } from '../../log/printable.js';

function age(startedAt: string, endedAt: string | null): string {
  const seconds = Math.round(((endedAt ? Date.parse(endedAt) : Date.now()) - Date.parse(startedAt)) / 1000);
  return seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.round(seconds / 60)}m` : `${Math.round(seconds / 3600)}h`;
}

export function registerSessions(program: Command): void {
  const sessions = program.command('sessions')
    .description('live sessions (from the store, whichever gateway node holds them)')
    .option('--all', 'include sessions that have ended')
    .action(async (options: { all?: boolean }, command: Command) => {
      const format = formatOf(command);
      await withRuntime(command, async ({ stores }) => {
        const sessions = await stores.sessions.list({ includeEnded: options.all === true });
        print(format, sessions, () => sessions.length === 0 ? (options.all ? 'no sessions\n' : 'no live sessions\n') : table(
          ['ID', 'NODE', 'KIND', 'USER', 'FROM', 'TARGET', 'DESTINATION', 'STARTED', 'AGE', ...(options.all ? ['ENDED'] : [])],
          sessions.map((s) => [s.id, s.node, s.kind, s.user, s.src, s.login ? `${s.login}@${s.target}` : s.target, s.destination, s.startedAt,
            age(s.startedAt, s.endedAt), ...(options.all ? [s.reason ?? 'live'] : [])]),
        ));
      });
    });
  sessions.command('kill')
    .description('end a live session; the user sees a one-line message')
    .argument('<id>')
    .action(async (id: string, _options, command: Command) => {
      await withRuntime(command, async ({ stores }) => {
        if (!(await stores.sessions.requestKill(id))) throw new Refused(`no live session ${id}`);
        // The gateway holding it acts within a second or so; wait to report the outcome.
        for (let waited = 0; waited < 10_000; waited += 250) {
          const record = await stores.sessions.get(id);
          if (record?.endedAt) {
            process.stdout.write(`session ${id} ended (${record.reason})\n`);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        const node = (await stores.sessions.get(id))?.node ?? 'unknown';
        throw new Refused(`session ${id}: kill requested, but node ${printable(node)} holding it has not ended it yet (is it up? see jumpgate nodes)`);
      });
    });
}
