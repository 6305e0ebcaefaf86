import { api } from '../api';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { MyTarget } from '../types';

export function MyTargetsPage(props: { user: string }) {
  const targets = useLoad(() => api<MyTarget[]>('GET', '/my/targets'));
  const gate = window.location.hostname;
  return (
    <section>
      <h1>My targets</h1>
      {targets.error && <p role="alert" class="error">{targets.error}</p>}
      <DataTable label="My targets" rows={targets.data ?? []} rowKey={(t) => t.name} empty="No target is granted to you." columns={[
        { title: 'Name', value: (t) => t.name },
        { title: 'Access', value: (t) => t.access.join(', ') },
        { title: 'Login', value: (t) => t.login ?? '' },
        { title: 'Connect with', value: (t) => (t.access.includes('jump') ? `ssh -J ${props.user}@${gate} ${t.login ? `${t.login}@` : ''}${t.name}` : t.access.includes('session') ? `ssh ${props.user}+${t.name}@${gate}` : '') },
        { title: '', value: () => '', render: (t) => (t.access.includes('session') ? <a class="button" href={`#/terminal/${encodeURIComponent(t.name)}`} aria-label={`Open terminal on ${t.name}`}>Open terminal</a> : null) },
      ]} />
    </section>
  );
}
