/**
 * A private PostgreSQL for tests: ONE cluster per test process, started on first use, in
 * its own temp dir, on a free loopback port, never the system's cluster. PostgreSQL refuses
 * to run as root, so as root it runs as the `postgres` user the Debian package creates.
 * fsync is off (a test's data need not survive a power cut). Each caller gets a fresh
 * database. The cluster is stopped and its directory removed when the process exits, also
 * after a failure; a watchdog shell does it if the process is killed outright.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

export interface PostgresCluster {
  port: number;
  /** The directory holding the data dir, the log and the unix socket. */
  dir: string;
  /** A new empty database owned by the test role, as a store URL (`postgres://…`) with its password. */
  freshDatabase(label?: string): Promise<string>;
}

const isRoot = process.getuid?.() === 0;
const APP_ROLE = 'jumpgate';

function run(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** As root, a PostgreSQL program runs as `postgres`; otherwise as whoever runs the tests. */
function asPostgres(bin: string, args: readonly string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, [...args]];
}

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/N/bin). */
function serverBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const versions = fs.readdirSync(base)
    .filter((name) => fs.existsSync(path.join(base, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : null;
}

/** Installs Debian's server package when it is missing (as root; the test command does it too). */
async function ensureServer(): Promise<string> {
  let bin = serverBinDir();
  if (bin) return bin;
  if (!isRoot) throw new Error('PostgreSQL is not installed: sudo apt-get install -y postgresql');
  // Another job may hold the dpkg lock for minutes: wait for it rather than fail.
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=240', 'postgresql'], { timeoutMs: 600_000 })
    .catch(async () => {
      await run('apt-get', ['update', '-qq'], { timeoutMs: 600_000 });
      await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=240', 'postgresql'], { timeoutMs: 600_000 });
    });
  bin = serverBinDir();
  if (!bin) throw new Error('apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb is there');
  return bin;
}

function stopSync(bin: string, dir: string): void {
  const [command, args] = asPostgres(path.join(bin, 'pg_ctl'), ['-D', path.join(dir, 'data'), 'stop', '-m', 'immediate', '-w', '-t', '15']);
  const stopped = spawnSync(command, args, { cwd: dir, stdio: 'ignore', timeout: 20_000 });
  if (stopped.status !== 0) {
    // pg_ctl failed: the postmaster's pid is the first line of postmaster.pid.
    try {
      const pid = Number(fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      /* not running */
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Stops the cluster once `pid` (this test process) is gone, however it ended. It polls
 * every second and stops by itself; it never outlives the cluster.
 */
function startWatchdog(bin: string, dir: string): number | undefined {
  const [command, args] = asPostgres(path.join(bin, 'pg_ctl'), ['-D', path.join(dir, 'data'), 'stop', '-m', 'immediate', '-w', '-t', '15']);
  const quoted = [command, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `while kill -0 ${process.pid} 2>/dev/null && [ -d '${dir}' ]; do sleep 1; done; [ -d '${dir}' ] && { cd '${dir}' && ${quoted} >/dev/null 2>&1; rm -rf '${dir}'; }; exit 0`;
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  return watchdog.pid;
}

async function startCluster(): Promise<PostgresCluster> {
  const bin = await ensureServer();
  // Its own temp dir under the OS temp dir: postgres cannot enter a root-only test dir.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jumpgate-pg-'));
  if (isRoot) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    fs.chownSync(dir, Number(owner.stdout.trim()), Number(gid.stdout.trim()));
  }
  fs.chmodSync(dir, 0o700);
  const watchdog = startWatchdog(bin, dir);
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    stopSync(bin, dir);
    if (watchdog) {
      try {
        process.kill(watchdog);
      } catch {
        /* gone */
      }
    }
  };
  process.on('exit', stop);

  try {
    const data = path.join(dir, 'data');
    // Local (socket) logins are trusted: the socket lives in the private dir. TCP logins need
    // the role's password (scram-sha-256), as a gateway node's would.
    const [initdb, initArgs] = asPostgres(path.join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale', '-N']);
    await run(initdb, initArgs, { cwd: dir });
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort('127.0.0.1');
      const options = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`
        + ' -c synchronous_commit=off -c full_page_writes=off -c max_connections=300';
      const [pgCtl, ctlArgs] = asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'pg.log'), '-w', '-t', '30', '-o', options, 'start']);
      try {
        await run(pgCtl, ctlArgs, { cwd: dir });
        break;
      } catch (error) {
        // Another process may have taken the free port in between: try another one.
        if (attempt >= 3) throw new Error(`${(error as Error).message}\n${readLog(dir)}`);
      }
    }
    const password = randomBytes(18).toString('base64url');
    await asSuperuser(dir, port, [`CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${password}'`]);
    let counter = 0;
    return {
      port,
      dir,
      freshDatabase: async (label = 'test') => {
        counter += 1;
        const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${process.pid}_${counter}`;
        await asSuperuser(dir, port, [`CREATE DATABASE ${name} OWNER ${APP_ROLE}`]);
        return `postgres://${APP_ROLE}:${password}@127.0.0.1:${port}/${name}`;
      },
    };
  } catch (error) {
    stop();
    throw error;
  }
}

function readLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'pg.log'), 'utf8');
  } catch {
    return '';
  }
}

/** Runs statements as the superuser over the private unix socket, on a connection of its own. */
async function asSuperuser(dir: string, port: number, statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

let cluster: Promise<PostgresCluster> | undefined;

/** This test process's cluster, started on the first call. */
export function postgresCluster(): Promise<PostgresCluster> {
  cluster ??= startCluster();
  return cluster;
}

/** A fresh database on this process's cluster, as a `store:` URL. */
export async function freshPostgresDatabase(label?: string): Promise<string> {
  return (await postgresCluster()).freshDatabase(label);
}
