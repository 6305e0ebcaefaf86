/**
 * A session channel of a proxied login (SPEC §2.2): the gateway logs into the target with
 * the credential it holds and relays pty, shell, exec, env (LANG, LC_*, TERM only), window
 * changes, signals, exit status, the sftp subsystem and scp. The user never sees the
 * target's credential.
 */
import type { Client, ClientChannel, PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import path from 'node:path';
import type { GatewayDeps } from './gateway-deps.js';
import type { LiveSessions } from './live-sessions.js';
import type { Requester } from './access-check.js';
import { checkSessionAccess } from './session-access.js';
import { parseScpCommand } from './scp-command.js';
import { relaySession, type ClientSide, type SessionRelay } from './session-relay.js';
import { SessionScreen } from './session-screen.js';
import { waitForWatcher } from './required-watcher.js';
import { recordingName, type EndReason } from '../domain/session.js';

import { sessionTaps } from './session-taps.js';
import { takeEnv } from './session-env.js';
import { TargetUnreachable } from '../upstream/upstream-pool.js';
import { AsciicastWriter } from '../recording/asciicast-writer.js';
import { RecordingCopy } from '../recording/recording-copy.js';
import { background } from '../runtime/background.js';
import { dataPath, ms } from '../config/load-settings.js';
import type { Target } from '../domain/resources.js';

export interface ProxiedConnection {
  deps: GatewayDeps;
  sessions: LiveSessions;
  who: Requester;
  src: string;
  /** The upstream SSH connection of this client connection, opened on first use. */
  upstream(target: Target, login: string, grants: UpstreamGrants): Promise<Client>;
  /** The client asked to forward its agent: the gateway may now use it (SPEC §12). */
  offerAgent(): void;
  /** `web` when the person is in the web console's terminal (SPEC §2.5); else an SSH client. */
  via?: 'web';
  /** The session is registered under `id`; `joinable` when its rule lets others join. */
  registered?(id: string, joinable: boolean): void;
}

/** What a rule lets the upstream login relay. */
export interface UpstreamGrants { relayAgent: boolean; remoteForward: boolean }

type Start = { kind: 'shell' } | { kind: 'exec'; command: string } | { kind: 'sftp' };
interface ForwardingRefusal { access: 'x11'; what: string; reason: string }
type Accept<T> = (() => T) | undefined;
type Reject = (() => void) | undefined;

export function handleProxiedSession(context: ProxiedConnection, session: Session, targetName: string, explicitLogin: string | null): void {
  let pty: PseudoTtyInfo | null = null;
  const env: Record<string, string> = {};
  let relay: SessionRelay | null = null;

  session.on('pty', (accept: Accept<void>, _reject: Reject, info: PseudoTtyInfo) => { pty = info; accept?.(); });
  session.on('env', (accept: Accept<void>, reject: Reject, info: { key: string; val: string }) => (takeEnv(env, info.key, info.val) ? accept?.() : reject?.()));
  session.on('window-change', (accept: Accept<void>, _reject: Reject, info: PseudoTtyInfo) => {
    if (pty) Object.assign(pty, info);
    relay?.resize(info.cols, info.rows, info.height, info.width);
    accept?.();
  });
  session.on('signal', (accept: Accept<void>, _reject: Reject, info: { name: string }) => { relay?.signal(info.name); accept?.(); });

  // X11 forwarding to targets is not relayed by this version. OpenSSH says nothing of a
  // refused X11 request but that it failed, so the user is told why once the session's
  // channel is open.
  const notices: string[] = [];
  const refused = new Set<ForwardingRefusal['access']>();
  const refuseForwarding = (refusal: ForwardingRefusal) => (_accept: unknown, reject: Reject) => {
    reject?.();
    // Once per kind: a client repeating the request gets no more events or notices.
    if (refused.has(refusal.access)) return;
    refused.add(refusal.access);
    const { deps, who, src } = context;
    notices.push(`jumpgate: ${who.userName} may not forward ${refusal.what} to ${targetName} (${refusal.reason})`);
    deps.audit.note({
      type: 'access.denied', user: who.userName, src, access: refusal.access, target: targetName,
      destination: explicitLogin ? `${explicitLogin}@${targetName}` : targetName, login: explicitLogin, reason: refusal.reason,
    });
  };
  // The agent is taken now and judged once the session starts, when the rule is known: a
  // `type: agent` target logs in with it, and it is relayed only where the rule says so.
  let agentAsked = false;
  session.on('auth-agent', (accept: Accept<void>) => {
    agentAsked = true;
    context.offerAgent();
    accept?.();
  });
  session.on('x11', refuseForwarding({ access: 'x11', what: 'X11', reason: 'X11 forwarding is not relayed to targets' }));

  const begin = (accept: Accept<ServerChannel>, start: Start) => {
    const channel = accept?.();
    if (!channel) return;
    for (const notice of notices.splice(0)) channel.stderr.write(notice + (pty ? '\r\n' : '\n'));
    background(context.deps.logger, 'proxied session', startProxied(context, channel, start, targetName, explicitLogin, pty, env, agentAsked).then((started) => { relay = started; }, (error) => {
      context.deps.logger.error('proxied session failed', { src: context.src, error });
      refuse(channel, 'jumpgate: internal error');
    }));
  };
  session.on('shell', (accept: Accept<ServerChannel>) => begin(accept, { kind: 'shell' }));
  session.on('exec', (accept: Accept<ServerChannel>, _reject: Reject, info: { command: string }) => begin(accept, { kind: 'exec', command: info.command }));
  session.on('subsystem', (accept: Accept<ServerChannel>, reject: Reject, info: { name: string }) => {
    if (info.name !== 'sftp') return reject?.();
    begin(accept, { kind: 'sftp' });
  });
}

export function refuse(channel: ClientSide, message: string): void {
  channel.stderr.write(message + '\n');
  channel.exit(1);
  channel.end();
}

/** Checks access, opens the target's channel and relays it; null when refused. */
export async function startProxied(
  context: ProxiedConnection, channel: ClientSide, start: Start, targetName: string, explicitLogin: string | null,
  pty: PseudoTtyInfo | null, env: Record<string, string>, agentAsked = false,
): Promise<SessionRelay | null> {
  const { deps, who, src } = context;
  const scp = start.kind === 'exec' ? parseScpCommand(start.command) : null;
  const access = start.kind === 'sftp' || scp ? 'sftp' : 'session';
  const decision = await checkSessionAccess(deps, who, targetName, explicitLogin, access);
  if (!decision.allowed) {
    deps.audit.note({ type: 'access.denied', user: who.userName, src, access, target: decision.target, destination: `${decision.login ?? '?'}@${targetName}`, login: decision.login, reason: decision.reason });
    refuse(channel, decision.message);
    return null;
  }
  const { target, login, rule, ruleName } = decision;

  if (!agentAsked && target.credential && (await deps.stores.credentials.get(target.credential))?.type === 'agent') {
    const reason = `${target.name} logs in with your own key: connect with ssh -A`;
    deps.audit.note({ type: 'access.denied', user: who.userName, src, access, target: target.name, destination: `${login}@${target.name}`, login, reason: 'no agent forwarded for a type: agent credential' });
    refuse(channel, `jumpgate: ${reason}`);
    return null;
  }
  const relayAgent = agentAsked && rule.agentForwarding;
  if (agentAsked && !rule.agentForwarding) {
    // OpenSSH asks for agent forwarding without wanting a reply: the session's stderr is
    // where the user learns it was refused.
    const reason = `${ruleName} does not allow agent forwarding`;
    channel.stderr.write(`jumpgate: ${who.userName} may not forward an agent to ${target.name} (${reason})${pty ? '\r\n' : '\n'}`);
    deps.audit.note({ type: 'access.denied', user: who.userName, src, access: 'agentForwarding', target: target.name, destination: `${login}@${target.name}`, login, reason });
  }
  let client: Client;
  try {
    client = await context.upstream(target, login, { relayAgent, remoteForward: rule.remoteForward });
  } catch (error) {
    refuse(channel, error instanceof TargetUnreachable ? `jumpgate: ${error.message}` : `jumpgate: ${target.name}: ${(error as Error).message}`);
    return null;
  }

  const kind = access === 'sftp' ? 'sftp' : context.via ?? 'session';
  let relay: SessionRelay | null = null;
  // Set while the session waits for a watcher (requireWatcher): a kill ends the wait.
  let holding: ((reason: EndReason) => void) | null = null;
  // Registered (sessions.maxSessionsPerUser checked atomically, session.start audited)
  // before anything runs on the target.
  const admission = await context.sessions.start(
    { kind, user: who.userName, src, target: target.name, login, destination: `${login}@${target.host}:${target.port}`, rule: ruleName },
    (reason) => {
      if (holding) return holding(reason);
      relay?.stop(reason, reason === 'killed' ? 'jumpgate: session ended by an operator' : 'jumpgate: the gateway is shutting down');
    },
  );
  if (!admission.admitted) {
    deps.audit.note({ type: 'access.denied', user: who.userName, src, access, target: target.name, destination: `${login}@${target.name}`, login, reason: admission.reason });
    refuse(channel, admission.message);
    return null;
  }
  const registered = admission.session;
  // A shell may be watched live and, where the rule says so, joined (SPEC §9).
  const newline = pty ? '\r\n' : '\n';
  const screen = start.kind === 'shell'
    ? new SessionScreen({ user: who.userName, target: target.name, login }, { join: rule.join === true, notifyWatch: rule.notifyWatch === true, requireWatcher: rule.requireWatcher === true }, pty?.cols ?? 80, pty?.rows ?? 24)
    : null;
  if (screen) {
    screen.tellUser = (line) => channel.stderr.write(`${newline}${line}${newline}`);
    registered.show(screen);
  }
  const ended = (message: string, error: string, reason: EndReason = 'error') => {
    refuse(channel, message);
    screen?.end(reason);
    registered.finish({ reason, bytesUp: 0, bytesDown: 0, error });
    return null;
  };
  context.registered?.(registered.id, screen?.rules.join ?? false);
  if (rule.requireWatcher) {
    if (!screen) return ended(`jumpgate: ${ruleName} requires a watcher, and only a shell can be watched`, 'requireWatcher: not a shell');
    const waited = await waitForWatcher(channel, screen, ms(deps.settings.sessions.idleTimeout), (stop) => { holding = stop; });
    holding = null;
    if (waited !== 'watched') return ended(waited.message, waited.error, waited.reason);
    channel.stderr.write(`jumpgate: a watcher is here; the session starts${newline}`);
  }
  if (start.kind === 'exec') {
    // The command is in the trail before the target runs it.
    try {
      await deps.audit.record({ type: 'command', user: who.userName, src, session: registered.id, command: start.command });
    } catch {
      return ended('jumpgate: the gateway cannot write its audit trail; try again later', 'the command could not be audited');
    }
  }
  let upstreamChannel: ClientChannel;
  try {
    upstreamChannel = await openUpstreamChannel(client, start, pty, env);
  } catch (error) {
    return ended(`jumpgate: ${target.name}: ${(error as Error).message}`, (error as Error).message);
  }
  const recordingFile = rule.record && start.kind !== 'sftp' && !scp
    ? path.join(dataPath(deps.dataDir, deps.settings.recordings.dir), recordingName(registered.id))
    : null;
  const recordingCopy = recordingFile ? new RecordingCopy(deps.stores.recordings, registered.id, deps.logger) : null;
  const recording = recordingFile ? new AsciicastWriter(recordingFile, { width: pty?.cols ?? 80, height: pty?.rows ?? 24, term: pty?.term, title: `${who.userName} on ${login}@${target.name}` }, deps.settings.recordings.recordInput, recordingCopy?.write) : null;

  type Recorded = { type: 'command'; command: string; truncated?: boolean } | { type: 'file.transfer'; operation: string; path: string; bytes: number; detail?: string };
  // What happens inside the session is in the trail, or the session ends (audit fails closed).
  const audit = (body: Recorded) => {
    deps.audit.record({ ...body, user: who.userName, src, session: registered.id }).then(undefined, () => {
      relay?.stop('error', 'jumpgate: the gateway cannot write its audit trail; closing');
    });
  };
  const watch = sessionTaps(start.kind, scp, {
    command: ({ command, truncated }) => audit({ type: 'command', command, ...(truncated ? { truncated } : {}) }),
    fileTransfer: (operation) => audit({ type: 'file.transfer', ...operation }),
    // A transfer the audit cannot follow must not go on unaudited: the session ends.
    blind: (reason) => {
      deps.logger.warn('file transfer audit lost track; ending the session', { src, session: registered.id, reason });
      relay?.stop('error', `jumpgate: the gateway cannot audit this file transfer (${reason}); closing`);
    },
  });

  relay = relaySession(channel, upstreamChannel, { ...watch.taps, recording, screen }, { idleMs: ms(deps.settings.sessions.idleTimeout), maxMs: ms(deps.settings.sessions.maxSessionDuration) });
  const started = relay;
  if (screen) screen.input = (data) => started.inject(data);

  background(deps.logger, 'proxied session end', relay.done.then(async (result) => {
    watch.end();
    screen?.end(result.reason);
    // The store's copy is whole before the end is recorded: replay from another node works at once.
    await recordingCopy?.flushed();
    const blind = watch.failure();
    registered.finish({
      reason: result.reason, bytesUp: result.bytesUp, bytesDown: result.bytesDown, exitStatus: result.exitStatus, recording: recordingFile ? path.basename(recordingFile) : null,
      ...(blind ? { error: `file transfer audit: ${blind}` } : {}),
    });
  }));
  return relay;
}

function openUpstreamChannel(client: Client, start: Start, pty: PseudoTtyInfo | null, env: Record<string, string>): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | undefined, stream: ClientChannel) => (error ? reject(new Error(`target refused the ${start.kind} request: ${error.message}`)) : resolve(stream));
    const window = pty ? { rows: pty.rows, cols: pty.cols, height: pty.height, width: pty.width, term: pty.term, modes: pty.modes } : undefined;
    try {
      if (start.kind === 'sftp') client.subsys('sftp', done);
      else if (start.kind === 'exec') client.exec(start.command, { env, pty: window ?? false } as never, done);
      else client.shell((window ?? false) as never, { env } as never, done);
    } catch (error) {
      reject(error instanceof Error ? error : new Error('cannot open the target channel', { cause: error }));
    }
  });
}


