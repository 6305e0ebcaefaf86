import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Replay } from '../components/replay';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { AuditEvent } from '../types';

export function RecordingsPage(props: { id: string | null }) {
  const [playing, setPlaying] = useState<string | null>(props.id);
  useEffect(() => setPlaying(props.id), [props.id]);
  // Recorded sessions are those whose session.end names a recording.
  const ends = useLoad(() => api<AuditEvent[]>('GET', '/audit?type=session.end&since=30d'));
  const recorded = (ends.data ?? []).filter((e) => typeof e.recording === 'string' && e.recording);
  return (
    <section>
      <h1>Recordings</h1>
      {playing && <Replay key={playing} id={playing} />}
      {ends.error && <p role="alert" class="error">{ends.error}</p>}
      <DataTable label="Recordings" rows={recorded} rowKey={(e) => e.id} empty="No recorded sessions in the last 30 days." columns={[
        { title: 'Session', value: (e) => String(e.session) },
        { title: 'User', value: (e) => e.user ?? '' },
        { title: 'Target', value: (e) => String(e.target) },
        { title: 'Ended', value: (e) => e.ts },
        { title: '', value: () => '', render: (e) => <a href={`#/recordings/${String(e.session)}`}>Play {String(e.session)}</a> },
      ]} />
    </section>
  );
}
