/**
 * One process serving SSH: the gateway itself, its upstream side, metrics, alert rules and,
 * where asked, the HTTP listener. `serve` runs one in its own process (`ssh.workers: 1`) or
 * one per worker process (`ssh.workers: N`).
 */
import type { Runtime } from '../../main.js';
import { createUpstream } from '../../main.js';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import { localAddresses } from '../../inventory/special-addresses.js';
import { listenFailure, readHostKeys } from './serve-checks.js';
import type { HostKey } from '../../data-dir/host-keys.js';
import { Metrics } from '../../metrics/metrics.js';
import { AlertEngine } from '../../audit/alerts.js';
import { ClusterAlerts } from '../../audit/cluster-alerts.js';
import type { SinkDepth } from '../../audit/sinks/audit-sinks.js';
import { startHttpServer } from '../../http/http-server.js';
import { consoleApi, type HttpTls } from '../../http/console-api.js';
import { addressText } from '../../gateway/address-text.js';
import { ms } from '../../config/load-settings.js';
import { createRdGateway } from '../../rdp/rd-gateway.js';
import { RotationSchedule } from '../../rotation/rotation-schedule.js';
import { auditUpstreamFailure } from '../../gateway/direct-tcpip-channel.js';
import { RequestExpiry } from '../../requests/request-expiry.js';

export interface GatewayProcess {
  gateway: Gateway;
  bound: string[];
  close(): Promise<void>;
}

export interface GatewayProcessOptions {
  listen: readonly string[];
  /** Where the addresses came from (`--listen` or `ssh.listen`), named when one cannot be bound. */
  listenSource: string;
  /** Already read by the caller; a worker process reads its own. */
  hostKeys?: HostKey[];
  /** The HTTP listener, or null for none (every worker but the first). */
  http: string | null;
  /** The certificate and key of `http.tls`, or null for plain HTTP (loopback only). */
  httpTls: HttpTls | null;
  sinkDepths: () => SinkDepth[];
  workerPid?: number;
}

export async function startGatewayProcess(runtime: Runtime, options: GatewayProcessOptions): Promise<GatewayProcess> {
  const { settings, stores, logger, dataDir } = runtime;
  const hostKeys = options.hostKeys ?? readHostKeys(dataDir, settings);
  const metrics = new Metrics(options.sinkDepths);
  runtime.audit.subscribe((event) => metrics.observe(event));
  // Every process may count them; a lease in the store lets one at a time, over every node's events.
  const alerts = new ClusterAlerts({ stores, engine: new AlertEngine(settings.audit.alerts, runtime.audit, stores.targets), logger, holder: `${runtime.node} pid ${process.pid}` });
  const upstream = createUpstream(runtime, (seconds, outcome) => metrics.dialSeconds.observe({ outcome }, seconds));
  const gatewayDeps = { ...runtime, ownAddresses: localAddresses(), upstream, workerPid: options.workerPid };
  const gateway = createGateway(gatewayDeps, hostKeys.map((k) => k.privateKey));
  // Every process runs the schedule; a lease in the store lets one rotation through at a time.
  const rotations = new RotationSchedule({
    stores, audit: runtime.audit, vault: runtime.vault, upstream, logger, holder: `${runtime.node} pid ${process.pid}`,
    commandTimeoutMs: ms(settings.upstream.connectTimeout),
    report: (failed, failure) => auditUpstreamFailure(runtime, null, null, failed.name, failure),
  });
  const bound = await gateway.listen(options.listen).catch(async (error: unknown) => {
    await gateway.close('shutdown');
    await upstream.closeAll();
    throw listenFailure(error, options.listenSource);
  });
  rotations.start();
  alerts.start();
  const expiry = new RequestExpiry({ stores, audit: runtime.audit, settings, logger });
  expiry.start();
  for (const key of hostKeys) logger.info('host key', { type: key.type, fingerprint: key.fingerprint });
  const httpListen = options.http;
  const tls = options.httpTls;
  // The SSH door matters more than its console: a busy HTTP port is reported, not fatal.
  // The web terminal is a proxied session of this process: the gateway's sessions, upstream and limits.
  const { api, terminal } = consoleApi(runtime, { bans: gateway.bans, secure: tls !== null, terminal: { gateway: gatewayDeps, sessions: gateway.sessions } });
  const http = httpListen ? await startHttpServer(httpListen, metrics, { tls, api, upgrade: terminal.upgrade, onError: (error) => logger.error('http request failed', { error }) }).catch((error: Error) => {
    logger.error(`http listener on ${httpListen} failed; the console, the API and /metrics are unavailable`, { error });
    return null;
  }) : null;
  const httpAddress = http?.address();
  if (httpAddress && typeof httpAddress === 'object') logger.info(`http listening on ${tls ? 'https' : 'http'}://${addressText(httpAddress.address, httpAddress.port)} (web console, /api/v1/, /metrics, /healthz)`);
  for (const address of bound) logger.info(`ssh listening on ${address}`);
  // The RD Gateway shares the SSH side's sessions: one per-user limit, one kill path, one shutdown.
  const rdGateway = settings.rdp.listen ? createRdGateway({ ...runtime, ownAddresses: localAddresses(), upstream }, gateway.sessions) : null;
  if (rdGateway) logger.info(`rdp gateway listening on ${await rdGateway.listen(settings.rdp.listen)}`);
  return {
    gateway,
    bound,
    async close() {
      http?.close();
      // A browser tab's keep-alive connection must not hold the process open.
      http?.closeAllConnections();
      await gateway.close('shutdown');
      // Upgraded sockets are not the HTTP server's any more: watchers and unanswered code prompts end here.
      terminal.closeAll();
      await rdGateway?.close();
      await rotations.stop();
      await expiry.stop();
      await alerts.stop();
      await upstream.closeAll();
    },
  };
}
