import { appendFileSync, openSync, closeSync, statSync, renameSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { AuditStore } from '../store/store.js';
import type { AuditDraft, AuditEvent } from './events.js';
import { sealEvent } from './hash-chain.js';

export type AuditListener = (event: AuditEvent) => void;

/** Where sealed events go besides the file and the store (the sinks' spools). */
export interface AuditOutlet { offer(event: AuditEvent): void }

/**
 * Records audit events: sealed into the hash chain and written to the JSONL file, the
 * store and the sinks' spools in one step under the store's write lock, so every copy has
 * the same order. Past `rotateSize` the file is renamed `audit-<time>.log` and the chain
 * goes on in a new file. Failures to audit are reported, never thrown into the data path.
 */
export class AuditLog {
  private readonly listeners: AuditListener[] = [];

  constructor(
    private readonly store: AuditStore,
    private readonly file: string,
    private readonly node: string,
    private readonly options: { rotateSize: number; outlets?: AuditOutlet[]; onError?: (error: unknown) => void },
  ) {
    closeSync(openSync(file, 'a', 0o600));
  }

  subscribe(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  async record(draft: AuditDraft): Promise<AuditEvent | null> {
    try {
      const event = await this.store.append(draft, (d, prev) => sealEvent(d, prev, this.node), (sealed) => this.persist(sealed));
      for (const listener of this.listeners) listener(event);
      return event;
    } catch (error) {
      this.options.onError?.(error);
      return null;
    }
  }

  /** Runs `work` under the lock every append holds. */
  exclusive(work: () => void): Promise<void> {
    return this.store.exclusive(work);
  }

  private persist(event: AuditEvent): void {
    const line = JSON.stringify(event) + '\n';
    this.rotateIfFull(line.length, event.ts);
    appendFileSync(this.file, line, { mode: 0o600 });
    for (const outlet of this.options.outlets ?? []) outlet.offer(event);
  }

  private rotateIfFull(adding: number, ts: string): void {
    if (!existsSync(this.file)) return;
    const size = statSync(this.file).size;
    if (size === 0 || size + adding <= this.options.rotateSize) return;
    renameSync(this.file, rotatedName(this.file, ts));
  }
}

/**
 * `audit.log` -> `audit-20261121T153000.123Z-0000.log`: names sort in chain order, and a
 * second rotation within the same millisecond takes the next sequence number.
 */
export function rotatedName(file: string, ts: string): string {
  const { dir, name, ext } = path.parse(file);
  for (let seq = 0; ; seq++) {
    const candidate = path.join(dir, `${name}-${ts.replace(/[-:]/g, '')}-${String(seq).padStart(4, '0')}${ext}`);
    if (!existsSync(candidate)) return candidate;
  }
}
