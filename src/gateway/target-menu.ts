/**
 * The target menu (SPEC §2.4): `ssh -t alice@gate` with a terminal and no target shows the
 * targets alice may open a session on; choosing one starts a proxied session on the same
 * channel; `q` leaves. The terminal is raw, so the menu echoes what is typed itself.
 */
import type { PseudoTtyInfo, ServerChannel } from 'ssh2';
import { reachableTargetList } from '../policy/reachable-targets.js';
import { refuse, startProxied, type ProxiedConnection } from './proxied-session.js';
import { background } from '../runtime/background.js';
import type { Target } from '../domain/resources.js';

/**
 * Characters of a choice the menu keeps: a number or `q`. What is typed past it is
 * neither kept nor echoed, so a client that never presses Enter costs nothing.
 */
export const MENU_LINE_LIMIT = 16;

/** Runs the menu on `channel`; it never rejects: a failure is logged and ends the channel. */
export async function runTargetMenu(context: ProxiedConnection, channel: ServerChannel, pty: PseudoTtyInfo, env: Record<string, string>): Promise<void> {
  let targets: Target[];
  try {
    targets = await reachableTargetList(context.deps.stores, context.who.userName, 'session');
  } catch (error) {
    context.deps.logger.error('target menu failed', { src: context.src, error });
    refuse(channel, 'jumpgate: internal error');
    return;
  }
  const say = (text: string) => channel.write(text.replace(/\n/g, '\r\n'));
  if (targets.length === 0) {
    say('jumpgate: no target is open to you for sessions; ask an operator\n');
    channel.exit(1);
    channel.end();
    return;
  }
  say(`jumpgate: targets ${context.who.userName} may open a session on:\n`);
  targets.forEach((target, index) => say(`  ${String(index + 1).padStart(2)}) ${target.name}${target.login ? ` (${target.login})` : ''}${target.description ? ` - ${target.description}` : ''}\n`));
  const prompt = () => say(targets.length === 1 ? 'choose 1, or q to leave: ' : `choose 1-${targets.length}, or q to leave: `);
  prompt();

  let line = '';
  const onData = (data: Buffer) => {
    for (const char of data.toString('utf8')) {
      if (char === '\r' || char === '\n') {
        say('\n');
        const choice = line.trim();
        line = '';
        if (choice === 'q' || choice === 'Q') return leave(0);
        const index = /^\d+$/.test(choice) ? Number(choice) - 1 : -1;
        const target = targets[index];
        if (!target) {
          say(`jumpgate: no target numbered ${choice || '(empty)'}\n`);
          prompt();
          continue;
        }
        channel.removeListener('data', onData);
        say(`connecting to ${target.name}...\n`);
        background(context.deps.logger, 'proxied session from the menu', startProxied(context, channel, { kind: 'shell' }, target.name, null, pty, env).catch((error: unknown) => {
          context.deps.logger.error('proxied session failed', { src: context.src, error });
          refuse(channel, 'jumpgate: internal error');
        }));
        return;
      }
      if (char === '\x03' || char === '\x04') return leave(1);
      if (char === '\x7f' || char === '\b') {
        if (line) { line = line.slice(0, -1); say('\b \b'); }
      } else if (char >= ' ' && line.length < MENU_LINE_LIMIT) {
        line += char;
        say(char);
      }
    }
  };
  const leave = (status: number) => {
    channel.removeListener('data', onData);
    channel.exit(status);
    channel.end();
  };
  channel.on('data', onData);
}
