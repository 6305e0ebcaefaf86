import type { Command } from 'commander';
import { addOne, setOne, collect } from './quick-add.js';
import { UsageError } from '../cli-errors.js';
import { registerTargetChecks } from './target-checks.js';

interface TargetFlags { host?: string; port?: string; via?: string; altHost?: string[]; login?: string; credential?: string; label?: string[] }

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--port must be a number, not ${text}`);
  return Number(text);
}

function parseLabels(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--label must be key=value, not ${pair}`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  }));
}

/** The flags `target add` and `target set` share. */
function targetFlags(command: Command): Command {
  return command
    .option('--port <port>', 'SSH port (default 22)')
    .option('--via <target>', 'reach it through another target acting as jump server')
    .option('--alt-host <host>', 'alternate address, tried in order when host fails (repeatable)', collect)
    .option('--login <login>', 'default login for proxied sessions')
    .option('--credential <name>', 'credential the gateway logs in with')
    .option('--label <key=value>', 'label (repeatable)', collect);
}

export function registerTarget(program: Command): void {
  const target = program.command('target').description('quick target management');
  targetFlags(target.command('add')
    .description('add a target')
    .argument('<name>')
    .requiredOption('--host <host>', 'address or DNS name'))
    .action(async (name: string, options: TargetFlags & { host: string }, command: Command) => {
      await addOne(command, {
        kind: 'Target', name, host: options.host, port: parsePort(options.port), via: options.via,
        alternateHosts: options.altHost ?? [], login: options.login, credential: options.credential, labels: parseLabels(options.label ?? []),
      });
    });

  targetFlags(target.command('set')
    .description('change a target: the flags given replace those fields, the rest stays')
    .argument('<name>')
    .option('--host <host>', 'address or DNS name'))
    .addHelpText('after', '\nA flag given replaces that field (every --alt-host or --label together replace the list);\nan empty value removes it: --via \'\', --login \'\', --credential \'\', --alt-host \'\', --label \'\'.\n')
    .action(async (name: string, options: TargetFlags, command: Command) => {
      const list = (values: string[] | undefined) => values?.filter((v) => v !== '');
      await setOne(command, 'target', name, (current) => {
        const next: Record<string, unknown> = { ...current };
        if (options.host !== undefined) next.host = options.host;
        if (options.port !== undefined) next.port = parsePort(options.port);
        for (const [field, value] of [['via', options.via], ['login', options.login], ['credential', options.credential]] as const) {
          // An empty value clears: `--via ''` makes the target direct again.
          if (value === '') delete next[field];
          else if (value !== undefined) next[field] = value;
        }
        if (options.altHost) next.alternateHosts = list(options.altHost);
        if (options.label) next.labels = parseLabels(list(options.label) ?? []);
        return next;
      });
    });
  registerTargetChecks(target);
}
