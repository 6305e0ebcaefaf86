import cluster from 'node:cluster';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { dataDirOf } from '../context.js';
import { initDataDir, isInitialised } from '../../data-dir/init-data-dir.js';
import { openRuntime, type Runtime } from '../../main.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { certificateTrustProblems } from '../../auth/revoked-keys.js';
import { AuditSinks } from '../../audit/sinks/audit-sinks.js';
import { raiseOpenFilesLimit } from '../../runtime/open-files.js';
import { ms } from '../../config/load-settings.js';
import { NodeMembership } from '../../cluster/node-membership.js';
import { jumpgateVersion } from '../../runtime/version.js';
import { background } from '../../runtime/background.js';
import { splitHostPort } from '../../gateway/gateway.js';
import type { SessionRecord } from '../../domain/session.js';
import { startGatewayProcess, type GatewayProcess } from './serve-gateway.js';
import { startWorkers, WORKER_ENV, type PrimaryMessage, type WorkerMessage, type WorkerPool } from './serve-workers.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ServeOptions { listen?: string[]; http?: string }

export function registerServe(program: Command): void {
  program.command('serve')
    .description('run the gateway (initialises the data dir first if needed)')
    .option('--listen <host:port>', 'SSH listen address (repeatable; overrides ssh.listen)', collect)
    .option('--http <host:port>', 'admin HTTP listen address ("" disables; overrides http.listen)')
    .action(async (options: ServeOptions, command: Command) => {
      const logger = createLogger();
      // Listen for signals before anything else, so a stop during start-up is clean too.
      const stopSignal = firstStopSignal(logger);
      const dataDir = dataDirOf(command);
      if (cluster.isWorker) {
        await serveAsWorker(dataDir, options, logger, stopSignal);
        return;
      }
      if (!isInitialised(dataDir)) {
        await initDataDir(dataDir);
        logger.info('initialised data dir', { dir: dataDir });
      }
      // Before anything opens many files: each connection, dial and audit write needs one.
      raiseOpenFilesLimit(logger);
      const runtime = await openRuntime(dataDir, logger);
      for (const problem of certificateTrustProblems(dataDir, runtime.settings.ssh)) logger.error(problem);
      const { settings, stores } = runtime;
      const listen = options.listen ?? settings.ssh.listen;
      const orphans = await stores.sessions.endOrphans(runtime.node, { endedAt: new Date().toISOString(), reason: 'error', bytesUp: 0, bytesDown: 0 });
      if (orphans.length > 0) logger.warn('sessions left open by an earlier run were marked ended', { count: orphans.length });
      for (const session of orphans) runtime.audit.note(orphanEnd(session, 'the gateway process holding it ended without closing it'));

      const sinks = new AuditSinks(settings, dataDir, { store: stores.audit, node: runtime.node }, logger);
      runtime.audit.subscribe(() => sinks.wake());
      sinks.start();

      let gatewayProcess: GatewayProcess | null = null;
      let workers: WorkerPool | null = null;
      const membership = new NodeMembership({ stores, audit: runtime.audit, logger }, {
        node: runtime.node, address: nodeAddress(listen[0]), version: jumpgateVersion(),
        heartbeatMs: ms(settings.cluster.heartbeat), deadAfterMs: ms(settings.cluster.deadAfter),
        // Its sessions were ended as node_lost in the store: they must not run on unrecorded.
        onDeclaredDead: async () => {
          workers?.tell({ type: 'node-lost' });
          await gatewayProcess?.gateway.sessions.endedByAnotherNode();
        },
      });

      const httpListen = options.http ?? settings.http.listen;
      if (settings.ssh.workers > 1) {
        workers = startWorkers(settings.ssh.workers, logger, async (lost) => {
          for (const id of lost) {
            const session = await stores.sessions.get(id);
            if (!session || session.endedAt) continue;
            await stores.sessions.end(id, { endedAt: new Date().toISOString(), reason: 'error', bytesUp: session.bytesUp, bytesDown: session.bytesDown });
            runtime.audit.note(orphanEnd(session, 'the worker process holding it died'));
          }
        });
        await Promise.race([workers.ready, stopSignal]);
        logger.info(`${settings.ssh.workers} gateway workers listening on ${listen.join(', ')}`);
      } else {
        gatewayProcess = await startGatewayProcess(runtime, { listen, http: httpListen || null, sinkDepths: () => sinks.depths() });
      }
      // Up once it serves: a node that could not listen never says it was up.
      await membership.start();
      if ((await stores.users.list()).length === 0) process.stderr.write(nextSteps(dataDir, gatewayProcess?.bound[0] ?? listen[0]));

      const signal = await stopSignal;
      logger.info('stopping: ending open sessions', { signal });
      await workers?.stop();
      await gatewayProcess?.close();
      await membership.stop().catch((error: unknown) => logger.error('recording this node\'s clean stop failed', { error }));
      await sinks.stop();
      await runtime.close();
      logger.info('stopped');
    });
}

/** A worker of `ssh.workers`: serves SSH until told to stop, or until its primary is gone. */
async function serveAsWorker(dataDir: string, options: ServeOptions, logger: Logger, stopSignal: Promise<string>): Promise<void> {
  raiseOpenFilesLimit(logger);
  const runtime: Runtime = await openRuntime(dataDir, logger);
  const first = process.env[WORKER_ENV] === '1';
  const httpListen = options.http ?? runtime.settings.http.listen;
  const served = await startGatewayProcess(runtime, {
    listen: options.listen ?? runtime.settings.ssh.listen, http: first && httpListen ? httpListen : null, sinkDepths: () => [],
    onSessionLive: (id, live) => { process.send?.({ type: 'session', id, live } satisfies PrimaryMessage); },
  });
  process.on('message', (message: WorkerMessage) => {
    if (message.type === 'node-lost') background(logger, 'ending sessions of a node declared dead', served.gateway.sessions.endedByAnotherNode());
  });
  // The primary died (kill -9 of the node): its workers go too, and other nodes end their sessions as node_lost.
  const orphaned = new Promise<string>((resolve) => process.once('disconnect', () => resolve('primary gone')));
  const why = await Promise.race([stopSignal, orphaned]);
  if (why === 'primary gone') process.exit(1);
  await served.close();
  await runtime.close();
  // The channel to the primary would keep this process alive.
  process.disconnect?.();
}

/** Where people reach this node, for `jumpgate nodes`: a wildcard listener is named by the host name. */
function nodeAddress(listen: string): string {
  const { host, port } = splitHostPort(listen);
  return host === '0.0.0.0' || host === '::' || host === '' ? `${hostname()}:${port}` : listen;
}

function orphanEnd(session: SessionRecord, why: string) {
  return {
    type: 'session.end' as const, user: session.user, src: session.src, session: session.id, kind: session.kind, target: session.target,
    login: session.login, destination: session.destination, duration_ms: Math.max(0, Date.now() - Date.parse(session.startedAt)),
    bytes_up: session.bytesUp, bytes_down: session.bytesDown, exit_status: null, recording: null, reason: 'error' as const,
    error: why,
  };
}

/** Resolves with the first SIGINT or SIGTERM; a second one exits at once. */
function firstStopSignal(logger: ReturnType<typeof createLogger>): Promise<string> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: string) => {
      if (received) {
        logger.warn('second signal: exiting now', { signal });
        process.exit(1);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
}

function nextSteps(dataDir: string, address: string): string {
  const port = address.split(':').pop();
  const data = dataDir === process.cwd() + '/jumpgate-data' ? '' : ` --data ${dataDir}`;
  return `
jumpgate is running, with no users yet. Next steps, in another terminal:
  1. add yourself:   ./bin/jumpgate user add alice --key ~/.ssh/id_ed25519.pub --role admins${data}
  2. add a target:   ./bin/jumpgate target add db1 --host 10.0.2.5 --login root${data}
  3. grant a role:   write roles.yaml with
                       kind: Role
                       name: admins
                       allow: [{targets: ["*"], access: [jump, forward], ports: [22]}]
                     then: ./bin/jumpgate apply -f roles.yaml${data}
  4. connect:        ssh -J alice@THIS-HOST:${port} root@db1
Check any decision with: ./bin/jumpgate policy check alice db1${data}

`;
}
