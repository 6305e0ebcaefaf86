import type pg from 'pg';
import type { NodeRecord, NodeStore } from '../store.js';
import { toNumber } from './postgres-database.js';

interface Row {
  name: string; address: string; version: string; started_at: string; heartbeat_at: string; beats: string;
  down_at: string | null; down_reason: string | null;
}

const toNode = (row: Row): NodeRecord => ({
  name: row.name, address: row.address, version: row.version, startedAt: row.started_at, heartbeatAt: row.heartbeat_at,
  beats: toNumber(row.beats), downAt: row.down_at, downReason: row.down_reason,
});

export class PostgresNodeStore implements NodeStore {
  constructor(private readonly pool: pg.Pool) {}

  async up(node: Pick<NodeRecord, 'name' | 'address' | 'version' | 'startedAt'>): Promise<void> {
    await this.pool.query(`INSERT INTO nodes (name, address, version, started_at, heartbeat_at, beats) VALUES ($1, $2, $3, $4, $4, 0)
      ON CONFLICT (name) DO UPDATE SET address = excluded.address, version = excluded.version, started_at = excluded.started_at,
        heartbeat_at = excluded.heartbeat_at, beats = nodes.beats + 1, down_at = NULL, down_reason = NULL`,
    [node.name, node.address, node.version, node.startedAt]);
  }

  async beat(name: string, at: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE nodes SET heartbeat_at = $2, beats = beats + 1 WHERE name = $1 AND down_at IS NULL', [name, at]);
    return (rowCount ?? 0) > 0;
  }

  async list(): Promise<NodeRecord[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM nodes ORDER BY name COLLATE "C"');
    return rows.map(toNode);
  }

  async markDown(name: string, beats: number | null, at: string, reason: 'shutdown' | 'lost'): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE nodes SET down_at = $3, down_reason = $4
      WHERE name = $1 AND down_at IS NULL AND ($2::bigint IS NULL OR beats = $2::bigint)`, [name, beats, at, reason]);
    return (rowCount ?? 0) > 0;
  }
}
