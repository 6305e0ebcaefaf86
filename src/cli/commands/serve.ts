import cluster from 'node:cluster';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { dataDirOf } from '../context.js';
import { applyLogLevel, logLevelOption } from './serve-log-level.js';
import { initDataDir, isInitialised } from '../../data-dir/init-data-dir.js';
import { checkAddressFlags, readHostKeys, vaultProblem, identityProblems } from './serve-checks.js';
import type { HostKey } from '../../data-dir/host-keys.js';
import { openRuntime, type Runtime } from '../../main.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { certificateTrustProblems } from '../../auth/revoked-keys.js';
import { AuditSinks } from '../../audit/sinks/audit-sinks.js';
import { invocationName } from '../invocation.js';
import { gateAddress, gateText } from '../../gateway/public-address.js';
import { keepHeapHeadroom } from '../../runtime/heap-headroom.js';
import { raiseOpenFilesLimit } from '../../runtime/open-files.js';
import { ms } from '../../config/load-settings.js';
import { NodeMembership } from '../../cluster/node-membership.js';
import { jumpgateVersion } from '../../runtime/version.js';
import { background } from '../../runtime/background.js';
import { splitHostPort } from '../../gateway/gateway.js';
import { endLostSessions } from '../../cluster/lost-sessions.js';
import { startGatewayProcess, type GatewayProcess } from './serve-gateway.js';
import { startWorkers, WORKER_ENV, type WorkerMessage, type WorkerPool } from './serve-workers.js';
import { UsageError } from '../cli-errors.js';
import { httpTls } from '../../http/console-api.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ServeOptions { listen?: string[]; http?: string }

export function registerServe(program: Command): void {
  program.command('serve')
    .description('run the gateway (initialises the data dir first if needed)')
    .addOption(logLevelOption()).hook('preAction', applyLogLevel)
    .option('--listen <host:port>', 'SSH listen address (repeatable; overrides ssh.listen)', collect)
    .option('--http <host:port>', 'admin HTTP listen address ("" disables; overrides http.listen)')
    .action(async (options: ServeOptions, command: Command) => {
      checkAddressFlags(options.listen, options.http);
      const logger = createLogger();
      // Listen for signals before anything else, so a stop during start-up is clean too.
      const stopSignal = firstStopSignal(logger);
      // Every gateway process relays data (a worker, or the single process), and the primary serves HTTP.
      keepHeapHeadroom();
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
      // Read before anything listens, so a missing key is named as the setting that names it.
      let hostKeys: HostKey[];
      try {
        hostKeys = readHostKeys(dataDir, runtime.settings);
      } catch (error) {
        await runtime.close();
        throw error;
      }
      const vaultTrouble = vaultProblem(dataDir, runtime.settings);
      if (vaultTrouble) logger.warn(vaultTrouble);
      const httpListen = options.http ?? runtime.settings.http.listen;
      // --http is the listener in force: approval links and the offer of browser approvals follow it.
      runtime.settings.http.listen = httpListen;
      for (const problem of identityProblems(dataDir, runtime.settings)) logger.warn(problem);
      const tls = httpTls(runtime.settings.http.tls, dataDir);
      if (httpListen && !tls && !isLoopbackListen(httpListen)) {
        await runtime.close();
        throw new UsageError(`http.listen ${httpListen} is not a loopback address: set http.tls.cert and http.tls.key (the console and API carry passwords and session cookies), or listen on 127.0.0.1`);
      }
      for (const problem of certificateTrustProblems(dataDir, runtime.settings.ssh)) logger.error(problem);
      const { settings, stores } = runtime;
      const listen = options.listen ?? settings.ssh.listen;
      const orphans = await endLostSessions(runtime, runtime.node, { reason: 'error', error: 'the gateway process holding it ended without closing it' });
      if (orphans.length > 0) logger.warn('sessions left open by an earlier run were marked ended', { count: orphans.length });

      const sinks = new AuditSinks(settings, dataDir, { store: stores.audit, node: runtime.node }, logger);
      runtime.audit.subscribe(() => sinks.soon());
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

      if (settings.ssh.workers > 1) {
        workers = startWorkers(settings.ssh.workers, logger, async (workerPid) => {
          const lost = await endLostSessions(runtime, runtime.node, { reason: 'error', error: 'the worker process holding it died', workerPid });
          return lost.length;
        });
        await Promise.race([workers.ready, stopSignal]);
        logger.info(`${settings.ssh.workers} gateway workers listening on ${listen.join(', ')}`);
      } else {
        gatewayProcess = await startGatewayProcess(runtime, {
          listen, listenSource: options.listen ? '--listen' : 'ssh.listen', hostKeys, http: httpListen || null, httpTls: tls, sinkDepths: () => sinks.depths(),
        }).catch(async (error: unknown) => {
          // Nothing may keep the process up after a failed start: close what was opened.
          await sinks.stop();
          await runtime.close();
          throw error;
        });
      }
      // Up once it serves: a node that could not listen never says it was up.
      await membership.start();
      if ((await stores.users.list()).length === 0) process.stderr.write(nextSteps(dataDir, settings.ssh.publicAddress, gatewayProcess?.bound[0] ?? listen[0]));

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
  runtime.settings.http.listen = httpListen;
  const served = await startGatewayProcess(runtime, {
    listen: options.listen ?? runtime.settings.ssh.listen, listenSource: options.listen ? '--listen' : 'ssh.listen', http: first && httpListen ? httpListen : null, httpTls: httpTls(runtime.settings.http.tls, dataDir), sinkDepths: () => [],
    workerPid: process.pid,
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

/** 127.0.0.0/8, ::1 and localhost: only this host reaches the listener. */
function isLoopbackListen(listen: string): boolean {
  const host = listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
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

/** `publicAddress` (`ssh.publicAddress`) names the gateway as people reach it; without it, THIS-HOST stands in. */
function nextSteps(dataDir: string, publicAddress: string | null, address: string): string {
  const gate = publicAddress ? gateAddress(publicAddress, address) : null;
  const port = gate ? gate.port : address.split(':').pop();
  const host = gate ? gate.host : 'THIS-HOST';
  // Quoted when the shell would split it: the lines are meant to be pasted as they are.
  const shown = /^[\w@%+=:,./-]+$/.test(dataDir) ? dataDir : `'${dataDir.replace(/'/g, `'\\''`)}'`;
  const data = dataDir === process.cwd() + '/jumpgate-data' ? '' : ` --data ${shown}`;
  const jumpgate = invocationName();
  return `
jumpgate is running, with no users yet. Next steps, in another terminal, in this order:
  1. a role:       ${jumpgate} role add admins --allow 'targets=*,access=jump+session+sftp'${data}
  2. yourself:     ${jumpgate} user add alice --key ~/.ssh/id_ed25519.pub --role admins${data}
  3. a target:     ${jumpgate} target add db1 --host 10.0.2.5 --login root${data}
  4. connect:      ssh -J alice@${gate ? gateText(gate) : `${host}:${port}`} root@db1
For a proxied session (ssh -p ${port} alice+db1@${host}), scp and the target menu, the
gateway logs into db1 itself, with a key that db1's root accepts:
                   ${jumpgate} credential set db1-key --type privateKey --from-file KEY${data}
                   ${jumpgate} target set db1 --credential db1-key${data}
Check any decision with: ${jumpgate} policy check alice db1${data}

`;
}
