/**
 * A terminal in the page (xterm.js) over one of the gateway's WebSockets
 * (docs/web-terminal.md): binary frames are the terminal's bytes both ways, JSON text frames
 * the rest (resize, the TOTP code, the watched window's size, why the session ended).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { adoptScriptStyles } from './adopt-styles';

export type TerminalMode = 'terminal' | 'watch' | 'join';

const INPUT_FRAME_BYTES = 16 * 1024;

const ENDINGS: Record<string, string> = {
  closed: 'the session ended',
  killed: 'ended by an operator',
  idle: 'idle for too long',
  max_duration: 'it reached its maximum duration',
  shutdown: 'the gateway shut down',
  node_lost: 'its gateway node was lost',
  error: 'an error ended it',
  refused: 'it was not opened',
  'too slow': 'this page could not keep up',
};

interface Control { type?: string; reason?: string; error?: string; cols?: number; rows?: number; id?: string; joinable?: boolean }

/** `path` is the WebSocket route (`/api/v1/terminal?target=db1`); the window size is added to a terminal's. */
export function TerminalView(props: { path: string; mode: TerminalMode; onSession?: (id: string, joinable: boolean) => void }) {
  const element = useRef<HTMLDivElement>(null);
  const socketRef = useRef<WebSocket | null>(null);
  const [status, setStatus] = useState('Connecting…');
  const [codeWanted, setCodeWanted] = useState<string | null>(null);
  const [code, setCode] = useState('');

  useEffect(() => {
    const host = element.current;
    if (!host) return undefined;
    adoptScriptStyles();
    const term = new Terminal({ cursorBlink: props.mode !== 'watch', disableStdin: props.mode === 'watch', fontFamily: 'monospace', scrollback: 5000 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    if (props.mode !== 'watch') fit.fit();
    const sizeQuery = props.mode === 'terminal' ? `&cols=${term.cols}&rows=${term.rows}` : '';
    const socket = new WebSocket(`${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${props.path}${sizeQuery}`);
    socketRef.current = socket;
    socket.binaryType = 'arraybuffer';
    const encoder = new TextEncoder();
    let ended = false;
    socket.onopen = () => setStatus(props.mode === 'watch' ? 'Watching (read-only)' : props.mode === 'join' ? 'Joined' : 'Opening the session…');
    socket.onmessage = (event: MessageEvent) => {
      if (event.data instanceof ArrayBuffer) {
        term.write(new Uint8Array(event.data));
        return;
      }
      let message: Control;
      try {
        message = JSON.parse(String(event.data)) as Control;
      } catch {
        return;
      }
      if (message.type === 'totp') {
        setCodeWanted(message.error ?? '');
        setStatus('This session needs a verification code');
      } else if (message.type === 'size' && message.cols && message.rows) {
        term.resize(message.cols, message.rows);
      } else if (message.type === 'session' && message.id) {
        setStatus('Connected');
        props.onSession?.(message.id, message.joinable === true);
      } else if (message.type === 'end') {
        ended = true;
        const why = ENDINGS[message.reason ?? ''] ?? message.reason ?? 'ended';
        setCodeWanted(null);
        setStatus(`Session ended: ${why}`);
        term.write(`\r\n\x1b[1m[session ended: ${why}]\x1b[0m\r\n`);
      }
    };
    socket.onclose = () => {
      if (!ended) setStatus('Connection closed');
    };
    const typed = term.onData((data) => {
      if (props.mode === 'watch' || socket.readyState !== WebSocket.OPEN) return;
      // The gateway takes frames of at most 64 KiB: a long paste goes in pieces.
      const bytes = encoder.encode(data);
      for (let at = 0; at < bytes.length; at += INPUT_FRAME_BYTES) socket.send(bytes.subarray(at, at + INPUT_FRAME_BYTES));
    });
    const resized = term.onResize(({ cols, rows }) => {
      if (props.mode === 'terminal' && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'resize', cols, rows }));
    });
    const refit = () => { if (props.mode !== 'watch') fit.fit(); };
    window.addEventListener('resize', refit);
    term.focus();
    return () => {
      window.removeEventListener('resize', refit);
      typed.dispose();
      resized.dispose();
      socket.close();
      term.dispose();
    };
  }, [props.path, props.mode]);

  const sendCode = (event: Event) => {
    event.preventDefault();
    socketRef.current?.send(JSON.stringify({ type: 'totp', code }));
    setCode('');
    setCodeWanted(null);
    setStatus('Checking the code…');
  };

  return (
    <div class="terminal-view">
      <p role="status">{status}</p>
      {codeWanted !== null && (
        <form class="totp-form" onSubmit={sendCode}>
          {codeWanted && <p role="alert" class="error">{codeWanted}</p>}
          <label>Verification code <input autocomplete="one-time-code" inputMode="numeric" value={code} onInput={(e) => setCode(e.currentTarget.value)} /></label>
          <button type="submit">Send code</button>
        </form>
      )}
      <div class="terminal" ref={element} aria-label="Terminal" />
    </div>
  );
}
