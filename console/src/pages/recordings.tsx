import { useEffect, useRef, useState } from 'preact/hooks';
import * as AsciinemaPlayer from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import { api } from '../api';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { AuditEvent } from '../types';

/** Plays one asciicast in the page (asciinema-player), fetched from the API with the session cookie. */
function Player(props: { id: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return undefined;
    const player = AsciinemaPlayer.create(`/api/v1/recordings/${encodeURIComponent(props.id)}`, element.current, { fit: 'width', idleTimeLimit: 2, autoPlay: true });
    return () => player.dispose();
  }, [props.id]);
  return <div class="player" ref={element} aria-label={`Recording of session ${props.id}`} />;
}

export function RecordingsPage(props: { id: string | null }) {
  const [playing, setPlaying] = useState<string | null>(props.id);
  useEffect(() => setPlaying(props.id), [props.id]);
  // Recorded sessions are those whose session.end names a recording.
  const ends = useLoad(() => api<AuditEvent[]>('GET', '/audit?type=session.end&since=30d'));
  const recorded = (ends.data ?? []).filter((e) => typeof e.recording === 'string' && e.recording);
  return (
    <section>
      <h1>Recordings</h1>
      {playing && <Player key={playing} id={playing} />}
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
