import type { Command } from 'commander';
import { dataDirOf } from '../context.js';
import { initDataDir, isInitialised } from '../../data-dir/init-data-dir.js';
import { readHostKey } from '../../data-dir/host-keys.js';
import { openRuntime, createUpstream } from '../../main.js';
import { createGateway } from '../../gateway/gateway.js';
import { localAddresses } from '../../inventory/special-addresses.js';
import { dataPath } from '../../config/load-settings.js';
import { createLogger } from '../../log/logger.js';
import { certificateTrustProblems } from '../../auth/revoked-keys.js';
import { Metrics } from '../../metrics/metrics.js';
import { AlertEngine } from '../../audit/alerts.js';
import { AuditSinks } from '../../audit/sinks/audit-sinks.js';
import { startHttpServer } from '../../http/http-server.js';
import { addressText } from '../../gateway/address-text.js';
import { raiseOpenFilesLimit } from '../../runtime/open-files.js';
import { UsageError } from '../cli-errors.js';
import { consoleApi, httpTls } from '../../http/console-api.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerServe(program: Command): void {
  program.command('serve')
    .description('run the gateway (initialises the data dir first if needed)')
    .option('--listen <host:port>', 'SSH listen address (repeatable; overrides ssh.listen)', collect)
    .option('--http <host:port>', 'admin HTTP listen address ("" disables; overrides http.listen)')
    .action(async (options: { listen?: string[]; http?: string }, command: Command) => {
      const logger = createLogger();
      // Listen for signals before anything else, so a stop during start-up is clean too.
      const stopSignal = firstStopSignal(logger);
      const dataDir = dataDirOf(command);
      if (!isInitialised(dataDir)) {
        await initDataDir(dataDir);
        logger.info('initialised data dir', { dir: dataDir });
      }
      // Before anything opens many files: each connection, dial and audit write needs one.
      raiseOpenFilesLimit(logger);
      const runtime = await openRuntime(dataDir, logger);
      const httpListen = options.http ?? runtime.settings.http.listen;
      const tls = httpTls(runtime.settings.http.tls, dataDir);
      if (httpListen && !tls && !isLoopbackListen(httpListen)) {
        await runtime.close();
        throw new UsageError(`http.listen ${httpListen} is not a loopback address: set http.tls.cert and http.tls.key (the console and API carry passwords and session cookies), or listen on 127.0.0.1`);
      }
      for (const problem of certificateTrustProblems(dataDir, runtime.settings.ssh)) logger.error(problem);
      if (runtime.settings.ssh.workers > 1) logger.warn('ssh.workers above 1 is not supported by this version; one process serves every connection');
      const { settings, stores } = runtime;
      const orphans = await stores.sessions.endOrphans(runtime.node, { endedAt: new Date().toISOString(), reason: 'error', bytesUp: 0, bytesDown: 0 });
      if (orphans > 0) logger.warn('sessions left open by an earlier run were marked ended', { count: orphans });

      const hostKeys = settings.ssh.hostKeys.map((file) => readHostKey(dataPath(dataDir, file)));
      const sinks = new AuditSinks(settings, dataDir, { store: stores.audit, node: runtime.node }, logger);
      const metrics = new Metrics(() => sinks.depths());
      runtime.audit.subscribe((event) => metrics.observe(event));
      runtime.audit.subscribe(() => sinks.wake());
      new AlertEngine(settings.audit.alerts, runtime.audit, stores.targets, logger).start();
      sinks.start();
      const upstream = createUpstream(runtime, (seconds, outcome) => metrics.dialSeconds.observe({ outcome }, seconds));
      const gateway = createGateway({ ...runtime, ownAddresses: localAddresses(), upstream }, hostKeys.map((k) => k.privateKey));
      const bound = await gateway.listen(options.listen ?? settings.ssh.listen);
      for (const key of hostKeys) logger.info('host key', { type: key.type, fingerprint: key.fingerprint });
      // The SSH door matters more than its console: a busy HTTP port is reported, not fatal.
      const api = consoleApi(runtime, { bans: gateway.bans, secure: tls !== null });
      const http = httpListen ? await startHttpServer(httpListen, metrics, { tls, api, onError: (error) => logger.error('http request failed', { error }) }).catch((error: Error) => {
        logger.error(`http listener on ${httpListen} failed; the console, the API and /metrics are unavailable`, { error });
        return null;
      }) : null;
      const httpAddress = http?.address();
      if (httpAddress && typeof httpAddress === 'object') logger.info(`http listening on ${tls ? 'https' : 'http'}://${addressText(httpAddress.address, httpAddress.port)} (web console, /api/v1/, /metrics, /healthz)`);
      for (const address of bound) logger.info(`ssh listening on ${address}`);
      if ((await stores.users.list()).length === 0) process.stderr.write(nextSteps(dataDir, bound[0]));

      const signal = await stopSignal;
      logger.info('stopping: ending open sessions', { signal });
      http?.close();
      // A browser tab's keep-alive connection must not hold the process open.
      http?.closeAllConnections();
      await gateway.close('shutdown');
      await upstream.closeAll();
      await sinks.stop();
      await runtime.close();
      logger.info('stopped');
    });
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
