/** The jumpgate web console: a single-page app over the HTTP API, routed by the URL's hash. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signOut, whoAmI, errorText, type Me } from './api';
import { SignIn } from './pages/sign-in';
import { TargetsPage } from './pages/targets';
import { UsersPage } from './pages/users';
import { RolesPage } from './pages/roles';
import { SessionsPage } from './pages/sessions';
import { AuditPage } from './pages/audit';
import { RecordingsPage } from './pages/recordings';
import { MyTargetsPage } from './pages/my-targets';
import { BansPage, CredentialsPage } from './pages/bans';
import { TerminalPage, WatchPage } from './pages/terminal';
import { ApprovePage } from './pages/approve';
import { AccessRequestsPage } from './pages/access-requests';
import './style.css';

/** The pages, and the admin level each needs (SPEC §9). */
const PAGES = [
  { path: 'my-targets', title: 'My targets', need: 'none' },
  { path: 'requests', title: 'Access requests', need: 'none' },
  { path: 'targets', title: 'Targets', need: 'read' },
  { path: 'users', title: 'Users', need: 'read' },
  { path: 'roles', title: 'Roles', need: 'read' },
  { path: 'credentials', title: 'Credentials', need: 'read' },
  { path: 'sessions', title: 'Sessions', need: 'read' },
  { path: 'recordings', title: 'Recordings', need: 'read' },
  { path: 'audit', title: 'Audit', need: 'read' },
  { path: 'bans', title: 'Bans', need: 'read' },
] as const;

const TERMINAL_PAGES = ['terminal', 'watch', 'join'];

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function Page(props: { me: Me; path: string; rest: string | null }) {
  const canWrite = props.me.admin === 'write';
  switch (props.path) {
    case 'targets': return <TargetsPage canWrite={canWrite} />;
    case 'users': return <UsersPage canWrite={canWrite} />;
    case 'roles': return <RolesPage canWrite={canWrite} />;
    case 'credentials': return <CredentialsPage canWrite={canWrite} />;
    case 'sessions': return <SessionsPage canWrite={canWrite} />;
    case 'recordings': return <RecordingsPage id={props.rest} />;
    case 'audit': return <AuditPage />;
    case 'bans': return <BansPage canWrite={canWrite} />;
    case 'terminal': return props.rest ? <TerminalPage destination={props.rest} /> : <MyTargetsPage user={props.me.user} />;
    case 'watch': case 'join': return props.rest ? <WatchPage id={props.rest} join={props.path === 'join'} /> : <MyTargetsPage user={props.me.user} />;
    case 'requests': return <AccessRequestsPage user={props.me.user} />;
    default: return <MyTargetsPage user={props.me.user} />;
  }
}

/** `/approve/CODE`: a path of its own (not a hash route), so the link a terminal shows survives a sign-in. */
const APPROVE = /^\/approve\/([^/]+)$/.exec(window.location.pathname)?.[1];

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const hash = useHash();
  useEffect(() => { whoAmI().then(setMe, (e: unknown) => setError(errorText(e))); }, []);
  if (error) return <p role="alert" class="error">{error}</p>;
  if (me === undefined) return <p role="status">Loading…</p>;
  if (me === null) return <SignIn onSignedIn={(signedIn) => { setMe(signedIn); if (!APPROVE) window.location.hash = signedIn.admin === 'none' ? '#/my-targets' : '#/targets'; }} />;
  const allowed = PAGES.filter((page) => page.need === 'none' || me.admin !== 'none');
  const [path, rest] = hash.replace(/^#\/?/, '').split('/');
  // Terminals are opened from My targets and Sessions, not from the navigation.
  const current = TERMINAL_PAGES.includes(path) ? path : allowed.find((page) => page.path === path)?.path ?? 'my-targets';
  return (
    <div class="layout">
      <header>
        <a class="brand" href="#/my-targets">jumpgate</a>
        <nav aria-label="Pages">
          {allowed.map((page) => <a key={page.path} href={`#/${page.path}`} aria-current={page.path === current ? 'page' : undefined}>{page.title}</a>)}
        </nav>
        <span class="me">{me.user} ({me.admin === 'none' ? 'user' : me.admin === 'read' ? 'auditor' : 'operator'})</span>
        <button type="button" onClick={() => { signOut().then(() => setMe(null), () => setMe(null)); }}>Sign out</button>
      </header>
      <main>{APPROVE ? <ApprovePage code={decodeURIComponent(APPROVE)} user={me.user} /> : <Page me={me} path={current} rest={rest ? decodeURIComponent(rest) : null} />}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
