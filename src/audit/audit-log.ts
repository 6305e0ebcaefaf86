import { appendFileSync, openSync, closeSync } from 'node:fs';
import type { AuditStore } from '../store/store.js';
import type { AuditDraft, AuditEvent } from './events.js';
import { sealEvent } from './hash-chain.js';

export type AuditListener = (event: AuditEvent) => void;

/**
 * Records audit events: sealed into the hash chain, appended to the JSONL file and the
 * store in one step. Failures to audit are reported, never thrown into the data path.
 */
export class AuditLog {
  private readonly listeners: AuditListener[] = [];

  constructor(
    private readonly store: AuditStore,
    private readonly file: string,
    private readonly node: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    closeSync(openSync(file, 'a', 0o600));
  }

  subscribe(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  async record(draft: AuditDraft): Promise<AuditEvent | null> {
    try {
      const event = await this.store.append(
        draft,
        (d, prev) => sealEvent(d, prev, this.node),
        (sealed) => appendFileSync(this.file, JSON.stringify(sealed) + '\n'),
      );
      for (const listener of this.listeners) listener(event);
      return event;
    } catch (error) {
      this.onError(error);
      return null;
    }
  }
}
