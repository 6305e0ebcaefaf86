import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { Session } from '../types';

export function SessionsPage(props: { canWrite: boolean }) {
  const [all, setAll] = useState(false);
  const sessions = useLoad(() => api<Session[]>('GET', all ? '/sessions' : '/sessions?live=true'), [all]);
  const [message, setMessage] = useState<string | null>(null);
  const kill = (session: Session) => {
    setMessage(`Ending session ${session.id}…`);
    api<{ ended: boolean; reason: string | null }>('POST', `/sessions/${session.id}/kill`).then((r) => {
      setMessage(r.ended ? `Session ${session.id} ended (${r.reason}).` : `Session ${session.id}: asked to end; its gateway has not answered yet.`);
      sessions.reload();
    }, (e: unknown) => setMessage(errorText(e)));
  };
  return (
    <section>
      <h1>Sessions</h1>
      <div class="actions">
        <label class="check"><input type="checkbox" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} /> Include ended sessions</label>
        <button type="button" onClick={sessions.reload}>Refresh</button>
      </div>
      {message && <p role="status">{message}</p>}
      {sessions.error && <p role="alert" class="error">{sessions.error}</p>}
      <DataTable label="Sessions" rows={sessions.data ?? []} rowKey={(s) => s.id} empty={all ? 'No sessions.' : 'No live sessions.'} columns={[
        { title: 'ID', value: (s) => s.id },
        { title: 'Kind', value: (s) => s.kind },
        { title: 'User', value: (s) => s.user },
        { title: 'From', value: (s) => s.src },
        { title: 'Target', value: (s) => (s.login ? `${s.login}@${s.target}` : s.target) },
        { title: 'Started', value: (s) => s.startedAt },
        { title: 'Ended', value: (s) => (s.endedAt ? `${s.endedAt} (${s.reason})` : 'live') },
        { title: '', value: () => '', render: (s) => (
          <span>
            {props.canWrite && !s.endedAt && <button type="button" aria-label={`Kill ${s.id}`} onClick={() => kill(s)}>Kill</button>}
            {!s.endedAt && (s.kind === 'session' || s.kind === 'web') && <a href={`#/watch/${s.id}`} aria-label={`Watch ${s.id}`}>Watch</a>}
            {(s.kind === 'session' || s.kind === 'web') && <a href={`#/recordings/${s.id}`}>Recording</a>}
          </span>
        ) },
      ]} />
    </section>
  );
}
