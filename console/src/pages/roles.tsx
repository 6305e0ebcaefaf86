import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { Role, Rule } from '../types';

const ACCESS = ['jump', 'session', 'sftp', 'forward'];
const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

function ruleText(rule: Rule): string {
  return [
    rule.targets ? `targets ${rule.targets.join(',')}` : null,
    rule.labels ? `labels ${Object.entries(rule.labels).map(([k, v]) => `${k}=${v}`).join(',')}` : null,
    `access ${rule.access.join(',')}`, rule.ports ? `ports ${rule.ports.join(',')}` : null, rule.logins ? `logins ${rule.logins.join(',')}` : null,
    rule.mfa ? 'mfa' : null,
  ].filter(Boolean).join('; ');
}

/** One rule of the form: the fields people set most; the rest is kept as it was. */
function RuleFields(props: { rule: Rule; index: number; onChange: (rule: Rule) => void; onRemove: () => void }) {
  const { rule } = props;
  const n = props.index + 1;
  return (
    <fieldset>
      <legend>Rule {n}</legend>
      <label>Targets (rule {n}) <input value={(rule.targets ?? []).join(', ')} placeholder="db1, * for every target" onInput={(e) => props.onChange({ ...rule, targets: list(e.currentTarget.value) })} /></label>
      <div role="group" aria-label={`Access (rule ${n})`}>
        {ACCESS.map((kind) => (
          <label class="check" key={kind}><input type="checkbox" checked={rule.access.includes(kind)}
            onChange={(e) => props.onChange({ ...rule, access: e.currentTarget.checked ? [...rule.access, kind] : rule.access.filter((a) => a !== kind) })} /> {kind}</label>
        ))}
      </div>
      <label>Ports (rule {n}) <input value={(rule.ports ?? []).join(', ')} placeholder="22, 5432" onInput={(e) => { const ports = list(e.currentTarget.value).map(Number); props.onChange({ ...rule, ports: ports.length ? ports : undefined }); }} /></label>
      <label>Logins (rule {n}) <input value={(rule.logins ?? []).join(', ')} placeholder="root, postgres" onInput={(e) => { const logins = list(e.currentTarget.value); props.onChange({ ...rule, logins: logins.length ? logins : undefined }); }} /></label>
      <label class="check"><input type="checkbox" checked={rule.mfa ?? false} onChange={(e) => props.onChange({ ...rule, mfa: e.currentTarget.checked })} /> Needs a second factor</label>
      <button type="button" onClick={props.onRemove}>Remove rule {n}</button>
    </fieldset>
  );
}

function RoleEditor(props: { role: Role | null; onDone: () => void }) {
  const original = props.role;
  const [name, setName] = useState(original?.name ?? '');
  const [admin, setAdmin] = useState(original?.admin ?? 'none');
  const [rules, setRules] = useState<Rule[]>(original?.allow ?? [{ targets: [], access: ['jump'] }]);
  const [error, setError] = useState<string | null>(null);
  const save = (event: Event) => {
    event.preventDefault();
    // Fields this editor does not show (description, requestable…) are kept as they were.
    const { kind: _kind, name: _name, allow: _allow, admin: _admin, ...kept } = original ?? { kind: 'Role', name, allow: [] };
    const body = { ...kept, allow: rules, ...(admin !== 'none' || original?.admin ? { admin } : {}) };
    api('PUT', `/roles/${encodeURIComponent(name)}`, body).then(props.onDone, (e: unknown) => setError(errorText(e)));
  };
  return (
    <section class="editor" aria-label="Role editor">
      <h2>{original ? `Role ${original.name}` : 'New role'}</h2>
      <form onSubmit={save}>
        <label>Name <input value={name} disabled={original !== null} onInput={(e) => setName(e.currentTarget.value)} required /></label>
        <label>Console access
          <select value={admin} onChange={(e) => setAdmin(e.currentTarget.value as 'none' | 'read' | 'write')}>
            <option value="none">none (My targets only)</option><option value="read">read (auditors)</option><option value="write">write (operators)</option>
          </select>
        </label>
        {rules.map((rule, index) => (
          <RuleFields key={index} rule={rule} index={index} onChange={(next) => setRules(rules.map((r, i) => (i === index ? next : r)))} onRemove={() => setRules(rules.filter((_, i) => i !== index))} />
        ))}
        <div class="actions">
          <button type="button" onClick={() => setRules([...rules, { targets: [], access: ['jump'] }])}>Add rule</button>
          <button type="submit">Save</button><button type="button" onClick={props.onDone}>Close</button>
        </div>
        {error && <p role="alert" class="error">{error}</p>}
      </form>
    </section>
  );
}

interface CheckAnswer {
  decision: string; reason?: string; role?: string; rule?: number; grants?: string; routes: Array<{ target: string; via: string[] }>;
  /** The access request that grants the deciding role, when the user does not hold it otherwise. */
  request?: { id: string; until: string };
}

function PolicyCheck() {
  const [user, setUser] = useState('');
  const [target, setTarget] = useState('');
  const [access, setAccess] = useState('');
  const [port, setPort] = useState('');
  const [login, setLogin] = useState('');
  const [from, setFrom] = useState('');
  const [answer, setAnswer] = useState<CheckAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const check = (event: Event) => {
    event.preventDefault();
    setAnswer(null);
    const body = { user, target, ...(access ? { access } : {}), ...(port ? { port: Number(port) } : {}), ...(login ? { login } : {}), ...(from ? { from } : {}) };
    api<CheckAnswer>('POST', '/policy/check', body).then((a) => { setAnswer(a); setError(null); }, (e: unknown) => setError(errorText(e)));
  };
  return (
    <section aria-label="Policy check">
      <h2>Policy check</h2>
      <form onSubmit={check} class="inline">
        <label>User <input value={user} onInput={(e) => setUser(e.currentTarget.value)} required /></label>
        <label>Target <input value={target} placeholder="db1 or 10.0.2.5" onInput={(e) => setTarget(e.currentTarget.value)} required /></label>
        <label>Access
          <select value={access} onChange={(e) => setAccess(e.currentTarget.value)}>
            <option value="">(as the port says)</option>{ACCESS.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </label>
        <label>Port <input value={port} inputMode="numeric" onInput={(e) => setPort(e.currentTarget.value)} /></label>
        <label>Login <input value={login} onInput={(e) => setLogin(e.currentTarget.value)} /></label>
        <label>From <input value={from} placeholder="client address" onInput={(e) => setFrom(e.currentTarget.value)} /></label>
        <button type="submit">Check</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {answer && (
        <p role="status" class={`decision ${answer.decision}`}>
          {answer.decision === 'deny' ? `Deny: ${answer.reason}` : `${answer.decision === 'allow' ? 'Allow' : 'Allow after a second factor'}: role ${answer.role}, rule ${answer.rule} (${answer.grants})`}
          {answer.request ? ` · granted by access request ${answer.request.id} until ${answer.request.until}` : ''}
          {answer.routes.map((r) => ` · route ${['gate', ...r.via, r.target].join(' → ')}`).join('')}
        </p>
      )}
    </section>
  );
}

export function RolesPage(props: { canWrite: boolean }) {
  const roles = useLoad(() => api<Role[]>('GET', '/roles'));
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  return (
    <section>
      <h1>Roles</h1>
      {props.canWrite && <button type="button" onClick={() => setEditing('new')}>New role</button>}
      {roles.error && <p role="alert" class="error">{roles.error}</p>}
      {editing && <RoleEditor key={editing === 'new' ? '+new' : editing.name} role={editing === 'new' ? null : editing} onDone={() => { setEditing(null); roles.reload(); }} />}
      <DataTable label="Roles" rows={roles.data ?? []} rowKey={(r) => r.name} columns={[
        { title: 'Name', value: (r) => r.name },
        { title: 'Console', value: (r) => r.admin ?? 'none' },
        { title: 'Requestable', value: (r) => r.requestable ? `up to ${r.requestable.maxDuration}, approvers ${r.requestable.approvers.join(', ')}` : '' },
        { title: 'Rules', value: (r) => r.allow.map(ruleText).join(' | ') },
        ...(props.canWrite ? [{ title: '', value: () => '', render: (r: Role) => <button type="button" aria-label={`Edit ${r.name}`} onClick={() => setEditing(r)}>Edit</button> }] : []),
      ]} />
      <PolicyCheck />
    </section>
  );
}
