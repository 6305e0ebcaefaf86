import type { Command } from 'commander';
import { printable } from '../../log/printable.js';
import { withRuntime, formatOf, cliActor } from '../context.js';
import { Refused } from '../cli-errors.js';
import { print, table } from '../output.js';

export function registerBans(program: Command): void {
  program.command('bans')
    .description('the brute-force ban list (addresses, and users as user:NAME)')
    .action(async (_options, command: Command) => {
      const format = formatOf(command);
      await withRuntime(command, async ({ stores }) => {
        const bans = await stores.bans.list(new Date());
        print(format, bans, () => bans.length === 0
          ? 'no bans\n'
          : table(['ADDRESS', 'UNTIL', 'REASON'], bans.map((b) => [b.address, b.until, b.reason])) + 'lift one with: jumpgate unban ADDRESS (bans.neverBan exempts addresses for good)\n');
      });
    });
  program.command('unban')
    .description('lift a ban')
    .argument('<address>', 'an address, or user:NAME')
    .action(async (address: string, _options, command: Command) => {
      await withRuntime(command, async ({ stores, audit }) => {
        if (!(await stores.bans.active(address, new Date()))) throw new Refused(`${printable(address)} is not banned`);
        // The event first: a ban is lifted only once the trail holds who lifted it.
        await audit.record({ type: 'ban.remove', user: cliActor(), src: null, address, reason: 'lifted by an operator' });
        await stores.bans.remove(address);
        process.stdout.write(`${printable(address)} unbanned\n`);
      });
    });
}
