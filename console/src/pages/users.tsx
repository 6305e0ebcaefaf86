import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { User } from '../types';

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

interface Factors { password: boolean; totp: boolean; recoveryCodesLeft: number }
interface Enrolment { uri: string; qr: string; recoveryCodes: string[] }

/** Password and TOTP status; enrolling shows the new secret (QR, URI, recovery codes) once. */
function SecondFactor(props: { user: string; canWrite: boolean }) {
  const factors = useLoad(() => api<Factors>('GET', `/users/${encodeURIComponent(props.user)}/factors`), [props.user]);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const enrol = () => {
    api<Enrolment>('POST', `/users/${encodeURIComponent(props.user)}/totp`).then((e) => { setEnrolment(e); factors.reload(); }, (e: unknown) => setError(errorText(e)));
  };
  const remove = () => {
    api('DELETE', `/users/${encodeURIComponent(props.user)}/totp`).then(() => { setEnrolment(null); factors.reload(); }, (e: unknown) => setError(errorText(e)));
  };
  const f = factors.data;
  return (
    <div class="factors" aria-label="Second factor">
      {f && <p>Password: {f.password ? 'set' : 'not set'} · Second factor (TOTP): {f.totp ? `enrolled, ${f.recoveryCodesLeft} recovery codes left` : 'not enrolled'}</p>}
      {props.canWrite && (
        <div class="actions">
          <button type="button" onClick={enrol}>{f?.totp ? 'Enrol a new TOTP secret' : 'Enrol TOTP'}</button>
          {f?.totp && <button type="button" onClick={remove}>Remove TOTP</button>}
        </div>
      )}
      {enrolment && (
        <div class="enrolment">
          <p>Scan this with an authenticator app now: it is not shown again.</p>
          <img src={enrolment.qr} alt="TOTP enrolment QR code" width={200} height={200} />
          <p><code>{enrolment.uri}</code></p>
          <p>Recovery codes (each works once):</p>
          <ul>{enrolment.recoveryCodes.map((code) => <li key={code}><code>{code}</code></li>)}</ul>
        </div>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </div>
  );
}

function UserEditor(props: { user: User | null; onDone: () => void; canWrite: boolean }) {
  const original = props.user;
  const [name, setName] = useState(original?.name ?? '');
  const [roles, setRoles] = useState((original?.roles ?? []).join(', '));
  const [keys, setKeys] = useState((original?.keys ?? []).map((k) => (typeof k === 'string' ? k : k.key)).join('\n'));
  const [sources, setSources] = useState((original?.sourceCidrs ?? []).join(', '));
  const [disabled, setDisabled] = useState(original?.disabled ?? false);
  const [error, setError] = useState<string | null>(null);
  const save = (event: Event) => {
    event.preventDefault();
    const keptExpiries = (original?.keys ?? []).filter((k) => typeof k !== 'string');
    const lines = keys.split('\n').map((k) => k.trim()).filter(Boolean);
    const body = {
      roles: list(roles), sourceCidrs: list(sources), disabled,
      keys: lines.map((line) => keptExpiries.find((k) => typeof k !== 'string' && k.key === line) ?? line),
      ...(original && 'principals' in original ? { principals: (original as { principals?: string[] }).principals } : {}),
    };
    api('PUT', `/users/${encodeURIComponent(name)}`, body).then(props.onDone, (e: unknown) => setError(errorText(e)));
  };
  return (
    <section class="editor" aria-label="User editor">
      <h2>{original ? `User ${original.name}` : 'New user'}</h2>
      <form onSubmit={save}>
        <label>Name <input value={name} disabled={original !== null} onInput={(e) => setName(e.currentTarget.value)} required /></label>
        <label>Roles <input value={roles} placeholder="dba, ops" onInput={(e) => setRoles(e.currentTarget.value)} /></label>
        <label>Public keys (one per line) <textarea rows={4} value={keys} onInput={(e) => setKeys(e.currentTarget.value)} /></label>
        <label>Source addresses <input value={sources} placeholder="203.0.113.0/24" onInput={(e) => setSources(e.currentTarget.value)} /></label>
        <label class="check"><input type="checkbox" checked={disabled} onChange={(e) => setDisabled(e.currentTarget.checked)} /> Disabled</label>
        <div class="actions">{props.canWrite && <button type="submit">Save</button>}<button type="button" onClick={props.onDone}>Close</button></div>
        {error && <p role="alert" class="error">{error}</p>}
      </form>
      {original && <SecondFactor user={original.name} canWrite={props.canWrite} />}
    </section>
  );
}

export function UsersPage(props: { canWrite: boolean }) {
  const users = useLoad(() => api<User[]>('GET', '/users'));
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  return (
    <section>
      <h1>Users</h1>
      {props.canWrite && <button type="button" onClick={() => setEditing('new')}>New user</button>}
      {users.error && <p role="alert" class="error">{users.error}</p>}
      {editing && <UserEditor key={editing === 'new' ? '+new' : editing.name} user={editing === 'new' ? null : editing} canWrite={props.canWrite} onDone={() => { setEditing(null); users.reload(); }} />}
      <DataTable label="Users" rows={users.data ?? []} rowKey={(u) => u.name} columns={[
        { title: 'Name', value: (u) => u.name },
        { title: 'Roles', value: (u) => u.roles.join(', ') },
        { title: 'Keys', value: (u) => u.keys.length },
        { title: 'Source', value: (u) => u.sourceCidrs.join(', ') || 'any' },
        { title: 'Status', value: (u) => (u.disabled ? 'disabled' : 'active') },
        { title: '', value: () => '', render: (u: User) => <button type="button" aria-label={`${props.canWrite ? 'Edit' : 'View'} ${u.name}`} onClick={() => setEditing(u)}>{props.canWrite ? 'Edit' : 'View'}</button> },
      ]} />
      <p class="note">Passwords: <code>jumpgate user passwd NAME</code> on the gateway host.</p>
    </section>
  );
}
