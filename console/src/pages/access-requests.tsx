/** Access requests (SPEC §9, §12): ask for a requestable role for a while; approvers approve or deny. */
import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { DataTable } from '../components/data-table';
import { useLoad } from '../components/use-load';
import type { AccessRequest } from '../types';

function durationText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

function statusText(request: AccessRequest): string {
  if (request.status === 'approved') return `approved by ${request.decidedBy ?? '?'} until ${request.until ?? '?'}`;
  if (request.status === 'denied') return `denied by ${request.decidedBy ?? '?'}${request.decisionReason ? `: ${request.decisionReason}` : ''}`;
  return request.status;
}

export function AccessRequestsPage(props: { user: string }) {
  const [all, setAll] = useState(false);
  const requests = useLoad(() => api<AccessRequest[]>('GET', `/requests${all ? '?all=true' : ''}`), [all]);
  const [role, setRole] = useState('');
  const [duration, setDuration] = useState('1h');
  const [reason, setReason] = useState('');
  const [decisionReason, setDecisionReason] = useState('');
  const [message, setMessage] = useState<string | null>(null);

  const file = (event: Event) => {
    event.preventDefault();
    api<AccessRequest>('POST', '/requests', { role, for: duration, reason }).then((filed) => {
      setMessage(`Request ${filed.id} filed: role ${filed.role} for ${durationText(filed.durationMs)}. An approver decides it.`);
      setReason('');
      requests.reload();
    }, (e: unknown) => setMessage(errorText(e)));
  };
  const decide = (request: AccessRequest, action: 'approve' | 'deny') => {
    api<AccessRequest>('POST', `/requests/${encodeURIComponent(request.id)}/${action}`, { reason: decisionReason || null }).then((decided) => {
      setMessage(decided.status === 'approved'
        ? `Request ${decided.id} approved: ${decided.user} holds role ${decided.role} until ${decided.until ?? '?'}.`
        : `Request ${decided.id} denied.`);
      setDecisionReason('');
      requests.reload();
    }, (e: unknown) => setMessage(errorText(e)));
  };

  const rows = requests.data ?? [];
  const decidable = rows.some((r) => r.mayDecide);
  return (
    <section>
      <h1>Access requests</h1>
      <form onSubmit={file} class="editor" aria-label="Request access">
        <label>Role <input value={role} onInput={(e) => setRole(e.currentTarget.value)} required maxLength={63} /></label>
        <label>For <input value={duration} onInput={(e) => setDuration(e.currentTarget.value)} required maxLength={16} placeholder="2h" /></label>
        <label>Reason <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} required maxLength={200} placeholder="INC-42: why" /></label>
        <button type="submit">Request</button>
      </form>
      {message && <p role="status">{message}</p>}
      {requests.error && <p role="alert" class="error">{requests.error}</p>}
      <div class="actions">
        <label class="check"><input type="checkbox" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} /> Show decided and expired requests</label>
        <button type="button" onClick={requests.reload}>Refresh</button>
      </div>
      {decidable && (
        <form class="inline" onSubmit={(e) => e.preventDefault()}>
          <label>Decision reason (optional) <input value={decisionReason} onInput={(e) => setDecisionReason(e.currentTarget.value)} maxLength={200} size={40} /></label>
        </form>
      )}
      <DataTable label="Access requests" rows={rows} rowKey={(r) => r.id} empty="No access requests." columns={[
        { title: 'ID', value: (r) => r.id },
        { title: 'User', value: (r) => r.user === props.user ? `${r.user} (you)` : r.user },
        { title: 'Role', value: (r) => r.role },
        { title: 'For', value: (r) => r.durationMs, render: (r) => durationText(r.durationMs) },
        { title: 'Reason', value: (r) => r.reason },
        { title: 'Status', value: (r) => statusText(r) },
        { title: 'Asked', value: (r) => r.createdAt },
        { title: '', value: () => '', render: (r: AccessRequest) => r.mayDecide ? (
          <span class="actions">
            <button type="button" aria-label={`Approve ${r.id}`} onClick={() => decide(r, 'approve')}>Approve</button>
            <button type="button" aria-label={`Deny ${r.id}`} onClick={() => decide(r, 'deny')}>Deny</button>
          </span>
        ) : null },
      ]} />
    </section>
  );
}
