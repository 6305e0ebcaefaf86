/** `/approve/CODE` (SPEC §12): the signed-in person approves a `jumpgate login` or an SSH login shown that code. */
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api';

interface Approval { code: string; kind: 'ssh-login' | 'certificate'; user: string | null; subject: string; expiresAt: string; state: string }

export function ApprovePage(props: { code: string; user: string }) {
  const [approval, setApproval] = useState<Approval | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/approvals/${encodeURIComponent(props.code)}`;
  useEffect(() => { api<Approval>('GET', path).then(setApproval, (e: unknown) => setError(errorText(e))); }, [path]);
  const approve = () => {
    setBusy(true);
    api<Approval>('POST', path).then(setApproval, (e: unknown) => { setError(errorText(e)); setBusy(false); });
  };
  const what = approval?.kind === 'certificate' ? 'a certificate for SSH (jumpgate login)' : 'an SSH login';
  return (
    <section class="approve">
      <h1>Approve a login</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {approval && (
        <>
          <p>Code <strong class="code">{approval.code}</strong>: {what} as <strong>{approval.user ?? props.user}</strong>.</p>
          <p>{approval.subject}. Approve only if you started it and your terminal shows this code.</p>
          {approval.state === 'pending' && <button type="button" onClick={approve} disabled={busy}>Approve</button>}
          {approval.state !== 'pending' && <p role="status">{approval.state === 'approved' ? 'Approved: go back to your terminal.' : `This code is ${approval.state}.`}</p>}
        </>
      )}
    </section>
  );
}
