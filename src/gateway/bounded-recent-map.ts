/**
 * A map keyed by something a stranger chooses (a source address, a user name sent before
 * authentication). It forgets an entry once it is stale, and never holds more than
 * `limit` entries: past that, the least recently written go first. Entries are kept in
 * the order they were last written, so stale ones are found at the front without a scan.
 */
export class BoundedRecentMap<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly limit: number,
    /**
     * Whether an entry can be forgotten at `now`. Entries are checked from the least
     * recently written and the check stops at the first fresh one, so a stale entry
     * written after a fresh one waits until that one is stale too (or it is read).
     */
    private readonly isStale: (value: V, now: number) => boolean,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): V | undefined {
    this.forgetStale(now);
    const value = this.entries.get(key);
    if (value === undefined || !this.isStale(value, now)) return value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, now: number): void {
    this.forgetStale(now);
    this.entries.delete(key);
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private forgetStale(now: number): void {
    for (const [key, value] of this.entries) {
      if (!this.isStale(value, now)) break;
      this.entries.delete(key);
    }
  }
}
