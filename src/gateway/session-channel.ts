/**
 * `session` channels (RFC 4254 §6). There is never a shell on the gateway: a session
 * without a target prints how to connect and exits 1 (SPEC §2.4). Proxied sessions
 * (`alice+db1`) are refused the same way until the gateway relays them.
 */
import type { ServerChannel, Session } from 'ssh2';

export interface HowToConnect {
  user: string;
  /** `host` or `host:port` as the client reached the gateway. */
  gate: string;
  port: number;
  targets: string[];
  /** Set when the login name asked for a proxied session. */
  proxiedTarget: string | null;
}

export function howToConnectText({ user, gate, port, targets, proxiedTarget }: HowToConnect): string {
  const lines = proxiedTarget
    ? [`jumpgate: proxied sessions (${user}+${proxiedTarget}) are not available on this gateway; use ProxyJump:`]
    : ['jumpgate: there is no shell on the gateway; name a target to connect to:'];
  const example = targets[0] ?? 'TARGET';
  lines.push(
    `  ssh -J ${user}@${gate}:${port} LOGIN@${example}`,
    `  ssh -N -L LOCALPORT:${example}:PORT -p ${port} ${user}@${gate}`,
    targets.length > 0 ? `targets you may reach: ${targets.join(', ')}` : 'no target is granted to you yet; ask an operator',
  );
  return lines.join('\n') + '\n';
}

type Accept<T> = (() => T) | undefined;
type Reject = (() => void) | undefined;

export function handleSessionChannel(session: Session, help: () => Promise<string>): void {
  let pty = false;
  const refuseWithHelp = (accept: Accept<ServerChannel>) => {
    const channel = accept?.();
    if (!channel) return;
    void help().then((text) => {
      channel.stderr.write(pty ? text.replace(/\n/g, '\r\n') : text);
      channel.exit(1);
      channel.end();
    });
  };
  session.on('pty', (accept: Accept<void>) => { pty = true; accept?.(); });
  session.on('window-change', (accept: Accept<void>) => accept?.());
  session.on('env', (accept: Accept<void>) => accept?.());
  session.on('signal', (accept: Accept<void>) => accept?.());
  session.on('shell', refuseWithHelp);
  session.on('exec', refuseWithHelp);
  session.on('subsystem', (_accept: unknown, reject: Reject) => reject?.());
  session.on('x11', (_accept: unknown, reject: Reject) => reject?.());
  session.on('auth-agent', (_accept: unknown, reject: Reject) => reject?.());
  session.on('sftp', (_accept: unknown, reject: Reject) => reject?.());
}
