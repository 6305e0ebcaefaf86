/** The web terminal (SPEC §2.5), and watching or joining a live session (SPEC §9). */
import { useState } from 'preact/hooks';
import { TerminalView } from '../components/terminal-view';

/** `#/terminal/db1` logs in as the target's default login, `#/terminal/postgres@db1` as postgres (as `ssh alice+postgres@db1@gate`). */
export function TerminalPage(props: { destination: string }) {
  const at = props.destination.lastIndexOf('@');
  const target = at < 0 ? props.destination : props.destination.slice(at + 1);
  const login = at < 0 ? null : props.destination.slice(0, at);
  const [joinable, setJoinable] = useState<string | null>(null);
  const [otherLogin, setOtherLogin] = useState(login ?? '');
  const path = `/api/v1/terminal?target=${encodeURIComponent(target)}${login ? `&login=${encodeURIComponent(login)}` : ''}`;
  const reopen = (event: Event) => {
    event.preventDefault();
    window.location.hash = `#/terminal/${otherLogin ? `${encodeURIComponent(otherLogin)}@` : ''}${encodeURIComponent(target)}`;
  };
  return (
    <section class="terminal-page">
      <h1>Terminal: {login ? `${login}@${target}` : target}</h1>
      <form class="actions" onSubmit={reopen}>
        <label>Log in as <input value={otherLogin} placeholder="the target's login" onInput={(e) => setOtherLogin(e.currentTarget.value)} /></label>
        <button type="submit">Open</button>
      </form>
      {joinable && <p>Others allowed on {target} may join this session: <a href={`#/join/${joinable}`}>{`#/join/${joinable}`}</a></p>}
      <TerminalView key={path} path={path} mode="terminal" onSession={(id, canJoin) => setJoinable(canJoin ? id : null)} />
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
