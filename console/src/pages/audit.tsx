import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { DataTable } from '../components/data-table';
import type { AuditEvent } from '../types';

const CHAIN = new Set(['seq', 'ts', 'id', 'type', 'node', 'user', 'src', 'prev', 'hash']);
/** The most events the page keeps while following. */
const KEEP = 5000;
/** What one API request returns at most. */
const PAGE = 1000;

function details(event: AuditEvent): string {
  return Object.entries(event).filter(([k, v]) => !CHAIN.has(k) && v !== null && v !== undefined).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

interface Verdict { ok: boolean; storeEvents?: number; head?: string; where?: string; reason?: string }

export function AuditPage() {
  const [type, setType] = useState('');
  const [user, setUser] = useState('');
  const [since, setSince] = useState('24h');
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [follow, setFollow] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [verifying, setVerifying] = useState(false);
  const last = useRef(0);
  const query = () => new URLSearchParams({ ...(type ? { type } : {}), ...(user ? { user } : {}), ...(since ? { since } : {}) });

  /** Reads page after page (the API returns them in chain order), keeping the newest KEEP events. */
  const load = () => {
    const read = async () => {
      let all: AuditEvent[] = [];
      let after = 0;
      for (;;) {
        const params = query();
        params.set('after', String(after));
        const page = await api<AuditEvent[]>('GET', `/audit?${params.toString()}`);
        all = [...all, ...page].slice(-KEEP);
        if (page.length < PAGE) return { all, after: page.at(-1)?.seq ?? after };
        after = page.at(-1)!.seq;
      }
    };
    read().then(({ all, after }) => {
      setEvents(all);
      last.current = after;
      setError(null);
    }, (e: unknown) => setError(errorText(e)));
  };
  useEffect(load, []);
  useEffect(() => {
    if (!follow) return undefined;
    const timer = setInterval(() => {
      const params = query();
      params.set('after', String(last.current));
      api<AuditEvent[]>('GET', `/audit?${params.toString()}`).then((more) => {
        if (more.length === 0) return;
        last.current = more.at(-1)!.seq;
        setEvents((current) => [...current, ...more].slice(-KEEP));
      }, (e: unknown) => setError(errorText(e)));
    }, 2000);
    return () => clearInterval(timer);
  }, [follow, type, user, since]);

  const verify = () => {
    setVerifying(true);
    setVerdict(null);
    api<Verdict>('POST', '/audit/verify').then(setVerdict, (e: unknown) => setError(errorText(e))).finally(() => setVerifying(false));
  };
  return (
    <section>
      <h1>Audit</h1>
      <form class="inline" onSubmit={(e) => { e.preventDefault(); load(); }}>
        <label>Type <input value={type} placeholder="session.start" onInput={(e) => setType(e.currentTarget.value)} /></label>
        <label>User <input value={user} onInput={(e) => setUser(e.currentTarget.value)} /></label>
        <label>Since <input value={since} placeholder="24h or 2026-01-31T10:00:00Z" onInput={(e) => setSince(e.currentTarget.value)} /></label>
        <button type="submit">Show</button>
        <label class="check"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow live</label>
      </form>
      <div class="actions">
        <button type="button" onClick={verify} disabled={verifying}>Verify chain</button>
        <a class="button" href={`/api/v1/audit/export?since=${encodeURIComponent(since || '30d')}`} download>Download signed export</a>
      </div>
      {verifying && <p role="status">Verifying the hash chain…</p>}
      {verdict && (
        <p role="status" class={verdict.ok ? 'ok' : 'error'}>
          {verdict.ok ? `Audit chain intact: ${verdict.storeEvents} events, head ${verdict.head}` : `Audit trail altered at ${verdict.where}: ${verdict.reason}`}
        </p>
      )}
      {error && <p role="alert" class="error">{error}</p>}
      <DataTable label="Audit events" rows={[...events].reverse()} rowKey={(e) => e.id} columns={[
        { title: 'Time', value: (e) => e.ts },
        { title: 'Type', value: (e) => e.type },
        { title: 'User', value: (e) => e.user ?? '' },
        { title: 'From', value: (e) => e.src ?? '' },
        { title: 'Details', value: details },
      ]} />
    </section>
  );
}
