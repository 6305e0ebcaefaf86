/** The web terminal (SPEC §2.5), and watching or joining a live session (SPEC §9). */
import { useState } from 'preact/hooks';
import { TerminalView } from '../components/terminal-view';

export function TerminalPage(props: { target: string }) {
  const [joinable, setJoinable] = useState<string | null>(null);
  return (
    <section class="terminal-page">
      <h1>Terminal: {props.target}</h1>
      {joinable && <p>Others allowed on {props.target} may join this session: <a href={`#/join/${joinable}`}>{`#/join/${joinable}`}</a></p>}
      <TerminalView path={`/api/v1/terminal?target=${encodeURIComponent(props.target)}`} mode="terminal"
        onSession={(id, canJoin) => setJoinable(canJoin ? id : null)} />
    </section>
  );
}

export function WatchPage(props: { id: string; join: boolean }) {
  return (
    <section class="terminal-page">
      <h1>{props.join ? 'Joined' : 'Watching'} session {props.id}</h1>
      <TerminalView path={`/api/v1/sessions/${encodeURIComponent(props.id)}/${props.join ? 'join' : 'watch'}`} mode={props.join ? 'join' : 'watch'} />
    </section>
  );
}
