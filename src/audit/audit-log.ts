import type { AuditStore, ChangeAudit, StoredAuditEvent } from '../store/store.js';
import type { AuditDraft, AuditEvent } from './events.js';
import { sealEvent } from './hash-chain.js';
import { AuditFile } from './audit-file.js';

export type AuditListener = (event: AuditEvent) => void;

/** An event could not be committed: the action it records must not happen (or must end). */
export class AuditUnavailable extends Error {
  readonly code = 'AUDIT_UNAVAILABLE';
  constructor(readonly type: string, cause: unknown) {
    super(`the audit trail cannot be written (${type}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Records audit events: sealed into the hash chain and committed by the store, then written
 * to this node's audit file and told to listeners (metrics, alerts, the sinks' feed).
 * Nothing but the commit happens under the store's lock, and only committed events reach
 * the file or a sink. Audit fails closed: `record` throws `AuditUnavailable` when the store
 * cannot commit the event, and the caller refuses or ends the action it was about to allow.
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

  async record(draft: AuditDraft): Promise<AuditEvent> {
    return (await this.recordWithRow(draft.type, (seal) => this.store.append(draft, seal)))!;
  }

  /**
   * Commits an event of `type` in the transaction that writes the row it records (`commit`
   * runs the store's writer with the seal; null when the writer changed nothing and so
   * committed no event), then writes it out as `record` does, and fails closed as it does.
   */
  async recordWithRow(type: string, commit: (seal: ChangeAudit['seal']) => Promise<StoredAuditEvent | null>): Promise<AuditEvent | null> {
    let event: StoredAuditEvent | null;
    try {
      event = await commit(this.seal);
    } catch (error) {
      const unavailable = new AuditUnavailable(type, error);
      this.options.onError?.(unavailable);
      throw unavailable;
    }
    return event ? this.committed([event])[0] : null;
  }

  /**
   * Records an event about something already decided (a refusal, a failure, an end): nobody
   * waits for it, and a failure to write it is reported through `onError` like any other.
   */
  note(draft: AuditDraft): void {
    this.record(draft).then(undefined, () => { /* reported by record() */ });
  }

  /**
   * Commits a change and the events that record it in one transaction (`commit` runs the
   * store's writer with the events to seal), then writes the events out as `record` does.
   */
  async recordChange(drafts: readonly AuditDraft[], commit: (audit: ChangeAudit) => Promise<StoredAuditEvent[]>): Promise<AuditEvent[]> {
    return this.committed(await commit({ drafts, seal: this.seal }));
  }

  /**
   * Commits a step whose events the store drafts from the rows it changes (an access
   * request's), sealed in the step's own transaction, then writes them out as `record` does.
   */
  async recordStep<T>(commit: (seal: ChangeAudit['seal']) => Promise<{ result: T; events: StoredAuditEvent[] }>): Promise<{ result: T; events: AuditEvent[] }> {
    const step = await commit(this.seal);
    return { result: step.result, events: this.committed(step.events) };
  }

  close(): void {
    this.file.close();
  }

  private readonly seal = (draft: AuditDraft, prev: string): AuditEvent => sealEvent(draft, prev, this.node);

  private committed(events: readonly StoredAuditEvent[]): AuditEvent[] {
    return events.map(({ seq: _seq, ...rest }) => {
      const sealed = rest;
      try {
        this.file.append(JSON.stringify(sealed) + '\n', sealed.ts);
      } catch (error) {
        // Committed: the store holds it and the sinks get it; `audit verify` names it as
        // missing from this node's file.
        this.options.onError?.(new Error(`audit event ${sealed.id} committed but not written to the audit file: ${(error as Error).message}`));
      }
      for (const listener of this.listeners) listener(sealed);
      return sealed;
    });
  }
}
