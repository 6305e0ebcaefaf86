import type { Command } from 'commander';
import { addOne, collect } from './quick-add.js';
import { UsageError } from '../cli-errors.js';
import { registerTargetChecks } from './target-checks.js';

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--port must be a number, not ${text}`);
  return Number(text);
}

export function registerTarget(program: Command): void {
  const target = program.command('target').description('quick target management');
  target.command('add')
    .description('add a target')
    .argument('<name>')
    .requiredOption('--host <host>', 'address or DNS name')
    .option('--port <port>', 'SSH port (default 22)')
    .option('--via <target>', 'reach it through another target acting as jump server')
    .option('--alt-host <host>', 'alternate address, tried in order when host fails (repeatable)', collect)
    .option('--login <login>', 'default login for proxied sessions')
    .option('--credential <name>', 'credential the gateway logs in with')
    .option('--label <key=value>', 'label (repeatable)', collect)
    .action(async (name: string, options: { host: string; port?: string; via?: string; altHost?: string[]; login?: string; credential?: string; label?: string[] }, command: Command) => {
      const labels = Object.fromEntries((options.label ?? []).map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 1) throw new UsageError(`--label must be key=value, not ${pair}`);
        return [pair.slice(0, eq), pair.slice(eq + 1)];
      }));
      await addOne(command, {
        kind: 'Target', name, host: options.host, port: parsePort(options.port), via: options.via,
        alternateHosts: options.altHost ?? [], login: options.login, credential: options.credential, labels,
      });
    });
  registerTargetChecks(target);
}
