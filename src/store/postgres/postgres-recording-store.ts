import type pg from 'pg';
import type { RecordingStore } from '../store.js';

export class PostgresRecordingStore implements RecordingStore {
  constructor(private readonly pool: pg.Pool) {}

  async append(sessionId: string, seq: number, data: Buffer): Promise<void> {
    // A chunk written twice (a retry after a lost answer) is the same bytes: kept once.
    await this.pool.query('INSERT INTO recording_chunks (session_id, seq, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [sessionId, seq, data]);
  }

  async read(sessionId: string): Promise<Buffer | null> {
    const { rows } = await this.pool.query<{ data: Buffer }>('SELECT data FROM recording_chunks WHERE session_id = $1 ORDER BY seq', [sessionId]);
    return rows.length > 0 ? Buffer.concat(rows.map((row) => row.data)) : null;
  }

  async recorded(sessionIds: readonly string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ session_id: string }>(
      'SELECT DISTINCT session_id FROM recording_chunks WHERE session_id = ANY($1::text[])', [sessionIds]);
    return new Set(rows.map((row) => row.session_id));
  }
}
