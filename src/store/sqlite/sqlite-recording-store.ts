import type Database from 'better-sqlite3';
import type { RecordingStore } from '../store.js';

export class SqliteRecordingStore implements RecordingStore {
  private readonly insert: Database.Statement<[string, number, Buffer]>;
  private readonly select: Database.Statement<[string], { data: Buffer }>;
  private readonly selectRecorded: Database.Statement<[string], { session_id: string }>;

  constructor(db: Database.Database) {
    // A chunk written twice (a retry after a lost answer) is the same bytes: kept once.
    this.insert = db.prepare('INSERT INTO recording_chunks (session_id, seq, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.select = db.prepare('SELECT data FROM recording_chunks WHERE session_id = ? ORDER BY seq');
    this.selectRecorded = db.prepare('SELECT DISTINCT session_id FROM recording_chunks WHERE session_id IN (SELECT value FROM json_each(?))');
  }

  async append(sessionId: string, seq: number, data: Buffer): Promise<void> {
    this.insert.run(sessionId, seq, data);
  }

  async read(sessionId: string): Promise<Buffer | null> {
    const chunks = this.select.all(sessionId).map((row) => row.data);
    return chunks.length > 0 ? Buffer.concat(chunks) : null;
  }

  async recorded(sessionIds: readonly string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    return new Set(this.selectRecorded.all(JSON.stringify(sessionIds)).map((row) => row.session_id));
  }
}
