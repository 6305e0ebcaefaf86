import { useState } from 'preact/hooks';
import { signIn, errorText, ssoAvailable, type Me } from '../api';

export function SignIn(props: { onSignedIn: (me: Me) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    signIn(user, password, totp).then(props.onSignedIn, (e: unknown) => { setError(errorText(e)); setBusy(false); });
  };
  return (
    <main class="sign-in">
      <h1>jumpgate</h1>
      {ssoAvailable && <a class="button sso" href={`/auth/oidc/login?next=${encodeURIComponent(window.location.pathname)}`}>Sign in with SSO</a>}
      <form onSubmit={submit}>
        <label>User <input name="user" autoComplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} required /></label>
        <label>Password <input name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required /></label>
        <label>Verification code <input name="totp" inputMode="numeric" autoComplete="one-time-code" placeholder="if you enrolled one" value={totp} onInput={(e) => setTotp(e.currentTarget.value)} /></label>
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        {error && <p role="alert" class="error">{error}</p>}
      </form>
    </main>
  );
}
