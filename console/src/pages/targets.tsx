import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { Credential, Target, TestResult } from '../types';

/** `gate → core-jump → dmz-jump → db1`: the hops from the gateway to the target, or the cycle that stops it. */
export function chainText(name: string, via: string | undefined, targets: Target[]): { text: string; cycle: boolean } {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const path = [name];
  let next = via;
  while (next) {
    if (path.includes(next)) return { text: [...path, next].reverse().join(' → '), cycle: true };
    path.push(next);
    next = byName.get(next)?.via;
  }
  return { text: ['gate', ...path.reverse()].join(' → '), cycle: false };
}

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');
}

function TargetEditor(props: { target: Target | null; targets: Target[]; credentials: Credential[]; onDone: () => void; onSaved: () => void; canWrite: boolean }) {
  const original = props.target;
  const [name, setName] = useState(original?.name ?? '');
  const [host, setHost] = useState(original?.host ?? '');
  const [port, setPort] = useState(String(original?.port ?? 22));
  const [alternates, setAlternates] = useState((original?.alternateHosts ?? []).join(', '));
  const [via, setVia] = useState(original?.via ?? '');
  const [login, setLogin] = useState(original?.login ?? '');
  const [credential, setCredential] = useState(original?.credential ?? '');
  const [timeout, setConnectTimeout] = useState(original?.connectTimeout ?? '');
  const [labels, setLabels] = useState(labelsText(original?.labels ?? {}));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(original !== null);
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<TestResult | null>(null);
  const chain = chainText(name || 'this target', via || undefined, props.targets);

  const save = (event: Event) => {
    event.preventDefault();
    setSaving(true);
    const body = {
      host, port: Number(port), alternateHosts: list(alternates), labels: Object.fromEntries(list(labels).map((pair) => { const [k, ...v] = pair.split('='); return [k.trim(), v.join('=').trim()]; })),
      ...(via ? { via } : {}), ...(login ? { login } : {}), ...(credential ? { credential } : {}), ...(timeout ? { connectTimeout: timeout } : {}),
      ...(original?.hostKey ? { hostKey: original.hostKey } : {}), ...(original?.description ? { description: original.description } : {}),
    };
    api<Target>('PUT', `/targets/${encodeURIComponent(name)}`, body)
      .then(() => { setError(null); setSaved(true); props.onSaved(); }, (e: unknown) => setError(errorText(e)))
      .finally(() => setSaving(false));
  };
  const test = () => {
    setTesting(true);
    setResult(null);
    api<TestResult>('POST', `/targets/${encodeURIComponent(name)}/test`).then(setResult, (e: unknown) => setError(errorText(e))).finally(() => setTesting(false));
  };
  const trust = () => {
    api('POST', `/targets/${encodeURIComponent(result?.failure?.hop ?? name)}/trust`).then(test, (e: unknown) => setError(errorText(e)));
  };
  const others = props.targets.filter((t) => t.name !== name);
  return (
    <section class="editor" aria-label="Target editor">
      <h2>{original ? `Target ${original.name}` : 'New target'}</h2>
      <form onSubmit={save}>
        <label>Name <input value={name} disabled={original !== null} onInput={(e) => setName(e.currentTarget.value)} required /></label>
        <label>Host <input value={host} onInput={(e) => setHost(e.currentTarget.value)} required /></label>
        <label>Port <input type="number" min={1} max={65535} value={port} onInput={(e) => setPort(e.currentTarget.value)} /></label>
        <label>Alternate hosts <input value={alternates} placeholder="db1-b.internal, 10.0.2.6" onInput={(e) => setAlternates(e.currentTarget.value)} /></label>
        <label>Jump server
          <select value={via} onChange={(e) => setVia(e.currentTarget.value)}>
            <option value="">(none: the gateway connects directly)</option>
            {others.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
          </select>
        </label>
        <p class={chain.cycle ? 'chain error' : 'chain'} aria-label="Chain">{chain.cycle ? `Cycle: ${chain.text}` : chain.text}</p>
        <label>Login <input value={login} onInput={(e) => setLogin(e.currentTarget.value)} /></label>
        <label>Credential
          <select value={credential} onChange={(e) => setCredential(e.currentTarget.value)}>
            <option value="">(none)</option>
            {props.credentials.map((c) => <option key={c.name} value={c.name}>{c.name} ({c.type})</option>)}
          </select>
        </label>
        <label>Connect timeout <input value={timeout} placeholder="10s" onInput={(e) => setConnectTimeout(e.currentTarget.value)} /></label>
        <label>Labels <input value={labels} placeholder="env=prod, zone=db" onInput={(e) => setLabels(e.currentTarget.value)} /></label>
        <div class="actions">
          {props.canWrite && <button type="submit" disabled={saving}>{saving ? 'Saving…' : 'Save'}</button>}
          {props.canWrite && saved && <button type="button" onClick={test} disabled={testing}>Test connection</button>}
          <button type="button" onClick={props.onDone}>Close</button>
        </div>
        {error && <p role="alert" class="error">{error}</p>}
        {saved && !error && !saving && <p class="note">Saved.</p>}
      </form>
      {testing && <p role="status" aria-live="polite">Testing: connecting hop by hop…</p>}
      {result && (
        <div class="test-result" aria-label="Connection test">
          <p role="status">{result.ok ? `Connected to ${result.target}: ${result.hops.length} hop(s).` : result.error}</p>
          <table aria-label="Hops">
            <thead><tr><th>Hop</th><th>Address</th><th>Latency</th><th>Host key</th></tr></thead>
            <tbody>
              {result.hops.map((hop) => (
                <tr key={hop.hop}><td>{hop.hop}</td><td>{hop.address}</td><td>{hop.latencyMs} ms</td><td><code>{hop.hostKey}</code>{hop.loggedIn ? '' : ' (host key only: no credential)'}</td></tr>
              ))}
              {result.failure && <tr class="failed"><td>{result.failure.hop}</td><td>{result.failure.address}</td><td colSpan={2}>{result.failure.why}</td></tr>}
            </tbody>
          </table>
          {result.failure?.mismatch && (
            <p>The host key of {result.failure.hop} changed: expected <code>{result.failure.mismatch.expected}</code>, presented <code>{result.failure.mismatch.presented}</code>.{' '}
              <button type="button" onClick={trust}>Trust new key</button></p>
          )}
        </div>
      )}
    </section>
  );
}

export function TargetsPage(props: { canWrite: boolean }) {
  const targets = useLoad(() => api<Target[]>('GET', '/targets'));
  const credentials = useLoad(() => api<Credential[]>('GET', '/credentials'));
  const [editing, setEditing] = useState<Target | 'new' | null>(null);
  const all = targets.data ?? [];
  return (
    <section>
      <h1>Targets</h1>
      {props.canWrite && <button type="button" onClick={() => setEditing('new')}>New target</button>}
      {targets.error && <p role="alert" class="error">{targets.error}</p>}
      {editing && (
        <TargetEditor key={editing === 'new' ? '+new' : editing.name} target={editing === 'new' ? null : editing} targets={all}
          credentials={credentials.data ?? []} canWrite={props.canWrite} onSaved={targets.reload} onDone={() => { setEditing(null); targets.reload(); }} />
      )}
      <DataTable label="Targets" rows={all} rowKey={(t) => t.name} columns={[
        { title: 'Name', value: (t) => t.name },
        { title: 'Host', value: (t) => [t.host, ...t.alternateHosts].join(', ') },
        { title: 'Port', value: (t) => t.port },
        { title: 'Chain', value: (t) => chainText(t.name, t.via, all).text },
        { title: 'Login', value: (t) => t.login ?? '' },
        { title: 'Labels', value: (t) => labelsText(t.labels) },
        { title: '', value: () => '', render: (t) => <button type="button" onClick={() => { setEditing(t); }} aria-label={`Edit ${t.name}`}>{props.canWrite ? 'Edit' : 'View'}</button> },
      ]} />
    </section>
  );
}
