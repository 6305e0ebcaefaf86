import type { Command } from 'commander';
import { withRuntime } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { reachableTargetList } from '../../policy/reachable-targets.js';
import { gateAddress, gateText, readListening } from '../../gateway/public-address.js';

export function registerSshConfig(program: Command): void {
  program.command('ssh-config')
    .description('print ~/.ssh/config blocks (ProxyJump) for every target USER may reach')
    .argument('<user>')
    .option('--gate <host:port>', 'how clients reach the gateway (default: ssh.publicAddress, else the address the gateway listens on)')
    .action(async (userName: string, options: { gate?: string }, command: Command) => {
      await withRuntime(command, async ({ stores, settings, dataDir }) => {
        if (options.gate !== undefined && !/^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(options.gate)) {
          throw new UsageError(`--gate must be HOST:PORT, not ${options.gate}`);
        }
        if (!(await stores.users.get(userName))) throw new Refused(`no user named ${userName}`);
        const gate = options.gate ?? gateText(gateAddress(settings.ssh.publicAddress, readListening(dataDir) ?? settings.ssh.listen[0]));
        const targets = await reachableTargetList(stores, userName, 'jump');
        const blocks = [`# jumpgate: targets ${userName} may reach through ${gate}`, ''];
        for (const target of targets) {
          blocks.push(`Host ${target.name}`, `  HostName ${target.name}`);
          if (target.login) blocks.push(`  User ${target.login}`);
          blocks.push(`  ProxyJump ${userName}@${gate}`, '');
        }
        if (targets.length === 0) blocks.push(`# ${userName} may not reach any target yet`, '');
        process.stdout.write(blocks.join('\n'));
      });
    });
}
