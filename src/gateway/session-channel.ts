/**
 * `session` channels without a target (RFC 4254 §6). There is never a shell on the gateway:
 * with a terminal the target menu runs; without one the session prints how to connect
 * and exits 1 (SPEC §2.4).
 */
import type { PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import { takeEnv } from './session-env.js';
import type { CommandResult } from './gateway-commands.js';

export interface HowToConnect {
  user: string;
  /** `host` as the client reached the gateway. */
  gate: string;
  port: number;
  /** Targets the user may open a proxied session on. */
  sessionTargets: string[];
  /** Targets the user may reach with ProxyJump. */
  jumpTargets: string[];
}

export function howToConnectText({ user, gate, port, sessionTargets, jumpTargets }: HowToConnect): string {
  const lines = ['jumpgate: there is no shell on the gateway; name a target to connect to:'];
  if (sessionTargets.length > 0) {
    lines.push(`  ssh -p ${port} ${user}+${sessionTargets[0]}@${gate}`, `    a session on: ${sessionTargets.join(', ')}`);
  }
  if (jumpTargets.length > 0) {
    lines.push(`  ssh -J ${user}@${gate}:${port} LOGIN@${jumpTargets[0]}`, `    end-to-end encrypted (ProxyJump) to: ${jumpTargets.join(', ')}`);
  }
  if (sessionTargets.length === 0 && jumpTargets.length === 0) {
    lines.push(`  ssh -J ${user}@${gate}:${port} LOGIN@TARGET   or   ssh -p ${port} ${user}+TARGET@${gate}`, 'no target is granted to you yet; ask an operator');
  }
  lines.push(`the gateway's own commands: ssh -p ${port} ${user}@${gate} targets | requests | request ROLE --for 2h --reason TEXT`);
  return lines.join('\n') + '\n';
}

const HELP_UNAVAILABLE = 'jumpgate: there is no shell on the gateway, and the list of your targets is not available now\n';

type Accept<T> = (() => T) | undefined;
type Reject = (() => void) | undefined;

/**
 * `menu` runs instead of the help when the client asked for a terminal and a shell;
 * `command` runs an exec request that is one of the gateway's own commands (null: it is not).
 */
export function handleSessionChannel(
  session: Session, help: () => Promise<string>, menu: (channel: ServerChannel, pty: PseudoTtyInfo, env: Record<string, string>) => void,
  command: (line: string) => Promise<CommandResult | null> = async () => null,
): void {
  let pty: PseudoTtyInfo | null = null;
  const env: Record<string, string> = {};
  /** Writes the answer (CRLF under a terminal) and ends the channel with its status. */
  const reply = (channel: ServerChannel, answer: CommandResult) => {
    const text = (value: string) => (pty ? value.replace(/\n/g, '\r\n') : value);
    if (answer.stdout) channel.write(text(answer.stdout));
    if (answer.stderr) channel.stderr.write(text(answer.stderr));
    channel.exit(answer.status);
    channel.end();
  };
  // The help lists the user's targets from the store; if that fails, the session still ends
  // with status 1 and a line saying so, rather than an unhandled rejection.
  const showHelp = (channel: ServerChannel) => help().then(
    (text) => reply(channel, { stdout: '', stderr: text, status: 1 }),
    () => reply(channel, { stdout: '', stderr: HELP_UNAVAILABLE, status: 1 }),
  );
  const refuseWithHelp = (accept: Accept<ServerChannel>) => {
    const channel = accept?.();
    if (channel) showHelp(channel).catch(() => channel.destroy());
  };
  session.on('pty', (accept: Accept<void>, _reject: Reject, info: PseudoTtyInfo) => { pty = info; accept?.(); });
  session.on('window-change', (accept: Accept<void>, _reject: Reject, info: PseudoTtyInfo) => { if (pty) Object.assign(pty, info); accept?.(); });
  session.on('env', (accept: Accept<void>, reject: Reject, info: { key: string; val: string }) => (takeEnv(env, info.key, info.val) ? accept?.() : reject?.()));
  session.on('signal', (accept: Accept<void>) => accept?.());
  session.on('shell', (accept: Accept<ServerChannel>) => {
    if (!pty) return refuseWithHelp(accept);
    const channel = accept?.();
    if (channel) menu(channel, pty, env);
  });
  session.on('exec', (accept: Accept<ServerChannel>, _reject: Reject, info: { command: string }) => {
    const channel = accept?.();
    if (!channel) return;
    command(info.command).then(
      (answer) => (answer ? reply(channel, answer) : showHelp(channel)),
      // A store or audit failure: nothing was done, and the user is told so rather than left waiting.
      () => reply(channel, { stdout: '', stderr: 'jumpgate: the gateway could not do that now (internal error; the gateway log says why)\n', status: 1 }),
    ).catch(() => channel.destroy());
  });
  session.on('subsystem', (_accept: unknown, reject: Reject) => reject?.());
  session.on('x11', (_accept: unknown, reject: Reject) => reject?.());
  session.on('auth-agent', (_accept: unknown, reject: Reject) => reject?.());
  session.on('sftp', (_accept: unknown, reject: Reject) => reject?.());
}
