/**
 * Replays one recording (asciicast v2) in the page with asciinema-player, plus what the player
 * lacks for an audit: the speed, the session's typed commands (its `command` events) as a list
 * that seeks to each, and a search of the output that seeks to the next match.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import * as AsciinemaPlayer from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import { api, errorText } from '../api';
import type { AuditEvent } from '../types';

/** Pauses longer than this are shortened in playback; seeking accounts for it. */
const IDLE_LIMIT_SECONDS = 2;
const SPEEDS = [0.5, 1, 2, 4, 8];

interface Cast { text: string; startedAt: number; output: Array<{ time: number; text: string }>; times: number[] }
interface TypedCommand { id: string; at: number; command: string }

function parseCast(text: string): Cast {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const header = JSON.parse(lines[0] ?? '{}') as { timestamp?: number };
  const output: Cast['output'] = [];
  const times: number[] = [];
  for (const line of lines.slice(1)) {
    try {
      const [time, code, data] = JSON.parse(line) as [number, string, string];
      times.push(time);
      if (code === 'o') output.push({ time, text: data });
    } catch { /* a torn last line of a live recording */ }
  }
  return { text, startedAt: header.timestamp ?? 0, output, times };
}

/** Where `seconds` of the session falls on the player's timeline, whose pauses are at most IDLE_LIMIT_SECONDS. */
export function playerTime(times: readonly number[], seconds: number): number {
  let previous = 0;
  let at = 0;
  for (const time of times) {
    if (time > seconds) break;
    at += Math.min(time - previous, IDLE_LIMIT_SECONDS);
    previous = time;
  }
  return at + Math.min(Math.max(seconds - previous, 0), IDLE_LIMIT_SECONDS);
}

const ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** The session time of the first output after `after` (session seconds) that shows `needle`, or null. */
function findOutput(cast: Cast, needle: string, after: number): number | null {
  let carry = '';
  for (const event of cast.output) {
    const text = carry + event.text.replace(ESCAPES, '');
    if (event.time > after && text.toLowerCase().includes(needle.toLowerCase())) return event.time;
    carry = text.slice(-needle.length);
  }
  return null;
}

export function Replay(props: { id: string }) {
  const element = useRef<HTMLDivElement>(null);
  const player = useRef<AsciinemaPlayer.Player | null>(null);
  const [cast, setCast] = useState<Cast | null>(null);
  const [commands, setCommands] = useState<TypedCommand[]>([]);
  const [speed, setSpeed] = useState(1);
  const [needle, setNeedle] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const lastFound = useRef(-1);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const response = await fetch(`/api/v1/recordings/${encodeURIComponent(props.id)}`, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`the recording cannot be read (${response.status})`);
      const parsed = parseCast(await response.text());
      const typed = await api<AuditEvent[]>('GET', '/audit?type=command&since=400d');
      if (cancelled) return;
      setCast(parsed);
      setCommands(typed.filter((e) => e.session === props.id).map((e) => ({ id: e.id, at: Date.parse(e.ts) / 1000 - parsed.startedAt, command: String(e.command) })));
    })().catch((error: unknown) => setMessage(errorText(error)));
    return () => { cancelled = true; };
  }, [props.id]);

  useEffect(() => {
    if (!element.current || !cast) return undefined;
    const startAt = player.current?.getCurrentTime() ?? 0;
    const created = AsciinemaPlayer.create({ data: cast.text }, element.current, {
      fit: 'width', idleTimeLimit: IDLE_LIMIT_SECONDS, autoPlay: true, speed, startAt,
      markers: commands.map((c) => [playerTime(cast.times, c.at), c.command] as [number, string]),
    });
    player.current = created;
    return () => created.dispose();
  }, [cast, commands, speed]);

  const seekTo = (sessionSeconds: number, what: string) => {
    if (!cast || !player.current) return;
    const at = playerTime(cast.times, sessionSeconds);
    player.current.seek(at).catch(() => setMessage('the player cannot seek there'));
    setMessage(`At ${at.toFixed(1)} s: ${what}`);
  };
  const search = (event: Event) => {
    event.preventDefault();
    if (!cast || needle === '') return;
    const found = findOutput(cast, needle, lastFound.current) ?? findOutput(cast, needle, -1);
    if (found === null) {
      setMessage(`"${needle}" is not in the output`);
      return;
    }
    lastFound.current = found;
    seekTo(Math.max(found - 0.001, 0), `"${needle}" appears`);
  };

  return (
    <div class="replay">
      <div class="player" ref={element} aria-label={`Recording of session ${props.id}`} />
      <div class="replay-tools">
        <label>Speed <select value={String(speed)} onChange={(e) => setSpeed(Number(e.currentTarget.value))}>
          {SPEEDS.map((s) => <option key={s} value={String(s)}>{s}×</option>)}
        </select></label>
        <form onSubmit={search}>
          <label>Search the output <input value={needle} onInput={(e) => { setNeedle(e.currentTarget.value); lastFound.current = -1; }} /></label>
          <button type="submit">Find</button>
        </form>
      </div>
      {message && <p role="status">{message}</p>}
      {commands.length > 0 && (
        <ol class="replay-commands" aria-label="Commands">
          {commands.map((c) => (
            <li key={c.id}><button type="button" onClick={() => seekTo(c.at, c.command)}>{c.command}</button> <small>{c.at.toFixed(1)} s</small></li>
          ))}
        </ol>
      )}
    </div>
  );
}
