import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { Ban, Credential } from '../types';

export function BansPage(props: { canWrite: boolean }) {
  const bans = useLoad(() => api<Ban[]>('GET', '/bans'));
  const [message, setMessage] = useState<string | null>(null);
  const unban = (address: string) => {
    api('DELETE', `/bans/${encodeURIComponent(address)}`).then(() => { setMessage(`${address} unbanned.`); bans.reload(); }, (e: unknown) => setMessage(errorText(e)));
  };
  return (
    <section>
      <h1>Bans</h1>
      {message && <p role="status">{message}</p>}
      {bans.error && <p role="alert" class="error">{bans.error}</p>}
      <DataTable label="Bans" rows={bans.data ?? []} rowKey={(b) => b.address} empty="No bans." columns={[
        { title: 'Address', value: (b) => b.address },
        { title: 'Until', value: (b) => b.until },
        { title: 'Reason', value: (b) => b.reason },
        ...(props.canWrite ? [{ title: '', value: () => '', render: (b: Ban) => <button type="button" aria-label={`Unban ${b.address}`} onClick={() => unban(b.address)}>Unban</button> }] : []),
      ]} />
    </section>
  );
}

export function CredentialsPage(props: { canWrite: boolean }) {
  const credentials = useLoad(() => api<Credential[]>('GET', '/credentials'));
  const [name, setName] = useState('');
  const [type, setType] = useState('privateKey');
  const [secret, setSecret] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const save = (event: Event) => {
    event.preventDefault();
    api('PUT', `/credentials/${encodeURIComponent(name)}`, { type, secret }).then(() => {
      setSecret('');
      setMessage(`Credential ${name} stored (encrypted; it is never shown again).`);
      credentials.reload();
    }, (e: unknown) => setMessage(errorText(e)));
  };
  return (
    <section>
      <h1>Credentials</h1>
      {props.canWrite && (
        <form onSubmit={save} class="editor" aria-label="Set a credential">
          <label>Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} required /></label>
          <label>Type <select value={type} onChange={(e) => setType(e.currentTarget.value)}><option value="privateKey">private key</option><option value="password">password</option></select></label>
          <label>Secret <textarea rows={4} value={secret} autoComplete="off" onInput={(e) => setSecret(e.currentTarget.value)} required /></label>
          <button type="submit">Set or replace</button>
        </form>
      )}
      {message && <p role="status">{message}</p>}
      <DataTable label="Credentials" rows={credentials.data ?? []} rowKey={(c) => c.name} columns={[
        { title: 'Name', value: (c) => c.name },
        { title: 'Type', value: (c) => c.type },
        { title: 'Public key', value: (c) => c.publicKey ?? '' },
        { title: 'Updated', value: (c) => c.updatedAt },
      ]} />
    </section>
  );
}
