import { hostname } from 'node:os';
import type { Command } from 'commander';
import { withRuntime } from '../context.js';
import { Refused } from '../cli-errors.js';
import { reachableTargetList } from '../../policy/reachable-targets.js';
import { splitHostPort } from '../../gateway/gateway.js';

export function registerSshConfig(program: Command): void {
  program.command('ssh-config')
    .description('print ~/.ssh/config blocks (ProxyJump) for every target USER may reach')
    .argument('<user>')
    .option('--gate <host:port>', 'how clients reach the gateway (default: this host and the first listen port)')
    .action(async (userName: string, options: { gate?: string }, command: Command) => {
      await withRuntime(command, async ({ stores, settings }) => {
        if (!(await stores.users.get(userName))) throw new Refused(`no user named ${userName}`);
        const gate = options.gate ?? defaultGate(settings.ssh.listen[0]);
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

function defaultGate(listen: string): string {
  const { host, port } = splitHostPort(listen);
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? hostname() : host;
  return `${shown}:${port}`;
}
