import type Database from 'better-sqlite3';
import type { NodeRecord, NodeStore } from '../store.js';

interface Row {
  name: string; address: string; version: string; started_at: string; heartbeat_at: string; beats: number;
  down_at: string | null; down_reason: string | null;
}

const toNode = (row: Row): NodeRecord => ({
  name: row.name, address: row.address, version: row.version, startedAt: row.started_at, heartbeatAt: row.heartbeat_at,
  beats: row.beats, downAt: row.down_at, downReason: row.down_reason,
});

export class SqliteNodeStore implements NodeStore {
  private readonly upsert: Database.Statement;
  private readonly beat_: Database.Statement<[string, string]>;
  private readonly selectAll: Database.Statement<[], Row>;
  private readonly markDown_: Database.Statement<[{ name: string; beats: number | null; at: string; reason: string }]>;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(`INSERT INTO nodes (name, address, version, started_at, heartbeat_at, beats)
      VALUES (@name, @address, @version, @startedAt, @startedAt, 0)
      ON CONFLICT (name) DO UPDATE SET address = excluded.address, version = excluded.version, started_at = excluded.started_at,
        heartbeat_at = excluded.heartbeat_at, beats = nodes.beats + 1, down_at = NULL, down_reason = NULL`);
    this.beat_ = db.prepare('UPDATE nodes SET heartbeat_at = ?, beats = beats + 1 WHERE name = ? AND down_at IS NULL');
    this.selectAll = db.prepare('SELECT * FROM nodes ORDER BY name');
    this.markDown_ = db.prepare(`UPDATE nodes SET down_at = @at, down_reason = @reason
      WHERE name = @name AND down_at IS NULL AND (@beats IS NULL OR beats = @beats)`);
  }

  async up(node: Pick<NodeRecord, 'name' | 'address' | 'version' | 'startedAt'>): Promise<void> {
    this.upsert.run(node);
  }

  async beat(name: string, at: string): Promise<boolean> {
    return this.beat_.run(at, name).changes > 0;
  }

  async list(): Promise<NodeRecord[]> {
    return this.selectAll.all().map(toNode);
  }

  async markDown(name: string, beats: number | null, at: string, reason: 'shutdown' | 'lost'): Promise<boolean> {
    return this.markDown_.run({ name, beats, at, reason }).changes > 0;
  }
}
