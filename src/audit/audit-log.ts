import type { AuditStore, StoredAuditEvent } from '../store/store.js';
import type { AuditDraft, AuditEvent } from './events.js';
import { sealEvent } from './hash-chain.js';
import { AuditFile } from './audit-file.js';

export type AuditListener = (event: AuditEvent) => void;

/**
 * Records audit events: sealed into the hash chain and committed by the store, then written
 * to this node's audit file and told to listeners (metrics, alerts, the sinks' feed).
 * Nothing but the commit happens under the store's lock, and only committed events reach
 * the file or a sink.
 */
export class AuditLog {
  private readonly listeners: AuditListener[] = [];
  private readonly file: AuditFile;

  constructor(
    private readonly store: AuditStore,
    file: string,
    private readonly node: string,
    private readonly options: { rotateSize: number; onError?: (error: unknown) => void },
  ) {
    this.file = new AuditFile(file, options.rotateSize);
  }

  subscribe(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  async record(draft: AuditDraft): Promise<AuditEvent | null> {
    let event: StoredAuditEvent;
    try {
      event = await this.store.append(draft, (d, prev) => sealEvent(d, prev, this.node));
    } catch (error) {
      this.options.onError?.(error);
      return null;
    }
    const { seq: _seq, ...rest } = event;
    const sealed = rest;
    try {
      this.file.append(JSON.stringify(sealed) + '\n', sealed.ts);
    } catch (error) {
      // The event is committed: the store holds it and the sinks get it; `audit verify`
      // names it as missing from this node's file.
      this.options.onError?.(new Error(`audit event ${sealed.id} committed but not written to the audit file: ${(error as Error).message}`));
    }
    for (const listener of this.listeners) listener(sealed);
    return sealed;
  }

  close(): void {
    this.file.close();
  }
}
