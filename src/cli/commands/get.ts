import type { Command } from 'commander';
import { withRuntime, formatOf } from '../context.js';
import { print, table } from '../output.js';
import { Refused, UsageError } from '../cli-errors.js';
import { keyLine, type User, type Target, type Role } from '../../domain/resources.js';
import type { StoredCredential } from '../../domain/credential.js';
import { fingerprint, publicKeyBlob } from '../../domain/ssh-public-key.js';
import type { Stores } from '../../store/store.js';
import { heldRoles } from '../../policy/effective-roles.js';

export const KIND_ALIASES: Record<string, 'users' | 'targets' | 'roles' | 'credentials'> = {
  user: 'users', users: 'users', target: 'targets', targets: 'targets', role: 'roles', roles: 'roles',
  credential: 'credentials', credentials: 'credentials',
};

export function storeKind(kind: string): 'users' | 'targets' | 'roles' | 'credentials' {
  const resolved = KIND_ALIASES[kind.toLowerCase()];
  if (!resolved) throw new UsageError(`unknown kind ${kind}; use users, targets, roles or credentials`);
  return resolved;
}

/** What `get` shows of a credential: never the sealed secret. */
function publicView(credential: StoredCredential) {
  const { sealed: _sealed, ...rest } = credential;
  return rest;
}

const EXPIRY_WARNING_MS = 14 * 86_400_000;

function keySummary(user: User): string {
  const soon = user.keys.filter((k) => typeof k !== 'string' && k.expires && new Date(k.expires).getTime() - Date.now() < EXPIRY_WARNING_MS);
  const fingerprints = user.keys.map((k) => publicKeyBlob(keyLine(k))).filter((b) => b !== null).map((b) => fingerprint(b).slice(0, 19) + '…');
  return fingerprints.join(' ') + (soon.length > 0 ? ` (${soon.length} expiring soon)` : '');
}

const TEXT: Record<string, (items: never[]) => string> = {
  users: (items: User[]) => table(['NAME', 'ROLES', 'KEYS', 'SOURCE', 'STATUS'],
    items.map((u) => [u.name, u.roles.join(','), keySummary(u), u.sourceCidrs.join(',') || 'any', (u.disabled ? 'disabled' : 'active') + (u.source === 'oidc' ? ', oidc' : '')])),
  targets: (items: Target[]) => table(['NAME', 'HOST', 'PORT', 'VIA', 'LOGIN', 'LABELS'],
    items.map((t) => [t.name, [t.host, ...t.alternateHosts].join(','), String(t.port), t.via ?? '-', t.login ?? '-',
      Object.entries(t.labels).map(([k, v]) => `${k}=${v}`).join(',')])),
  roles: (items: Role[]) => table(['NAME', 'RULES', 'GRANTS'],
    items.map((r) => [r.name, String(r.allow.length), r.allow.map((a) => `${(a.targets ?? []).join(',') || JSON.stringify(a.labels)}:${a.access.join('+')}`).join(' ')])),
  credentials: (items: ReturnType<typeof publicView>[]) => table(['NAME', 'TYPE', 'PUBLIC KEY', 'UPDATED'],
    items.map((c) => [c.name, c.type, c.publicKey ? c.publicKey.slice(0, 40) + '…' : '-', c.updatedAt])),
};

export async function listKind(stores: Stores, kind: ReturnType<typeof storeKind>): Promise<unknown[]> {
  const items = await stores[kind].list();
  return kind === 'credentials' ? (items as StoredCredential[]).map(publicView) : items;
}

/**
 * Roles the user holds now by an approved access request (SPEC §12), with their end: shown by
 * `get users NAME`, ignored by `apply` (they are state, not configuration).
 */
async function grantedRoles(stores: Stores, user: User): Promise<{ role: string; until: string; request: string }[]> {
  const { grants } = await heldRoles(stores, user);
  return [...grants.values()].map((g) => ({ role: g.role, until: g.until ?? '', request: g.id }));
}

export function registerGet(program: Command): void {
  program.command('get')
    .description('list resources: users, targets, roles or credentials (secrets never shown)')
    .argument('<kind>', 'users | targets | roles | credentials')
    .argument('[name]', 'one resource')
    .action(async (kindArg: string, name: string | undefined, _options, command: Command) => {
      const kind = storeKind(kindArg);
      const format = formatOf(command);
      await withRuntime(command, async ({ stores }) => {
        let items = await listKind(stores, kind);
        if (name !== undefined) {
          items = items.filter((item) => (item as { name: string }).name === name);
          if (items.length === 0) throw new Refused(`no ${kind.replace(/s$/, '')} named ${name}`);
          if (kind === 'users') {
            const granted = await grantedRoles(stores, items[0] as User);
            print(format, granted.length > 0 ? { ...(items[0] as User), grantedRoles: granted } : items[0], () => TEXT.users(items as never[])
              + granted.map((g) => `granted: role ${g.role} until ${g.until} (access request ${g.request})\n`).join(''));
            return;
          }
          print(format, items[0], () => TEXT[kind](items as never[]));
          return;
        }
        print(format, items, () => TEXT[kind](items as never[]));
      });
    });
}
