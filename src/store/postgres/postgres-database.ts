import pg from 'pg';

/** What runs a query: the pool (one statement, its own transaction) or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * Connections each gateway process keeps at most. Every login, channel and audit event takes
 * one only for the few milliseconds of its statements; ten serve a busy node and keep well
 * under PostgreSQL's default max_connections (100) for several nodes and the CLI.
 */
const POOL_SIZE = 10;
/**
 * How long a statement or a wait for a connection may take before it fails. A bastion fails
 * closed: a login or channel whose audit event cannot be committed is refused, not left
 * hanging on a database that stopped answering.
 */
const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 30_000;
/** A transaction left open (a process stuck between statements) gives up its locks after this. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export function createPool(url: string, onIdleError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    application_name: 'jumpgate',
    keepAlive: true,
    // A command-line run ends when its work is done, not when idle connections time out.
    allowExitOnIdle: true,
  });
  // An idle connection the server ends (a restart, a failover) is reported here; without a
  // listener it would end the process. The pool opens a new one for the next query.
  pool.on('error', onIdleError);
  return pool;
}

/**
 * Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
 * throws. The isolation is READ COMMITTED: each writer that reads before it writes takes the
 * row lock it needs (`SELECT … FOR UPDATE`) or writes with one conditional statement, which
 * PostgreSQL re-checks on the newest row version after waiting for a concurrent writer.
 * Nothing but statements happens inside: no file, socket or sink I/O holds a lock.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let unusable: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      unusable = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    // A connection that could not roll back is closed rather than handed to the next caller.
    client.release(unusable);
  }
}

/** PostgreSQL's bigint (seq, byte counts, steps) arrives as text from node-postgres; ours stay below 2^53. */
export function toNumber(value: string | number): number {
  return typeof value === 'number' ? value : Number(value);
}
