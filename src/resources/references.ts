/**
 * Checks the references between resources once a batch is merged with the store:
 * users name existing roles, targets name existing credentials and jump hosts, and
 * `via` chains end (no cycles). Pure: works on the merged view.
 */
import type { Role, Target, User } from '../domain/resources.js';
import type { Stores } from '../store/store.js';

export interface MergedView {
  users: ReadonlyMap<string, User>;
  targets: ReadonlyMap<string, Target>;
  roles: ReadonlyMap<string, Role>;
  credentials: ReadonlySet<string>;
}

/** The store's resources as a view to check, in maps a caller may merge a change into. */
export async function storeView(stores: Pick<Stores, 'users' | 'targets' | 'roles' | 'credentials'>) {
  const [users, targets, roles, credentials] = await Promise.all([stores.users.list(), stores.targets.list(), stores.roles.list(), stores.credentials.list()]);
  return {
    users: new Map(users.map((u) => [u.name, u])),
    targets: new Map(targets.map((t) => [t.name, t])),
    roles: new Map(roles.map((r) => [r.name, r])),
    credentials: new Set(credentials.map((c) => c.name)),
  };
}

export interface ReferenceProblem { kind: string; name: string; message: string }

export function findReferenceProblems(view: MergedView, changed: ReadonlySet<string>): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const touched = (kind: string, name: string) => changed.has(`${kind}/${name}`);
  for (const user of view.users.values()) {
    if (!touched('User', user.name)) continue;
    for (const role of user.roles) {
      if (!view.roles.has(role)) problems.push({ kind: 'User', name: user.name, message: `role ${role} does not exist (create it first: jumpgate role add ${role} --allow …)` });
    }
  }
  for (const role of view.roles.values()) {
    if (!touched('Role', role.name)) continue;
    for (const approver of role.requestable?.approvers ?? []) {
      if (!view.roles.has(approver)) problems.push({ kind: 'Role', name: role.name, message: `requestable.approvers: role ${approver} does not exist (create it first)` });
    }
  }
  for (const target of view.targets.values()) {
    if (target.credential && !view.credentials.has(target.credential) && touched('Target', target.name)) {
      problems.push({ kind: 'Target', name: target.name, message: `credential ${target.credential} does not exist (store it first: jumpgate credential set ${target.credential} --type …)` });
    }
    const chain = viaChain(target, view.targets);
    if (chain.problem && (touched('Target', target.name) || chain.names.some((n) => touched('Target', n)))) {
      problems.push({ kind: 'Target', name: target.name, message: chain.problem });
    }
    const hop = target.via ? view.targets.get(target.via) : undefined;
    if (!chain.problem && hop) problems.push(...jumpHostProblems(target, hop, touched));
  }
  return problems;
}

/**
 * The gateway logs into a jump host with its own login and credential, never as a
 * default user such as root: a hop without either can carry nothing. Reported on the
 * resource of the batch, the hop itself or the target that names it.
 */
function jumpHostProblems(target: Target, hop: Target, touched: (kind: string, name: string) => boolean): ReferenceProblem[] {
  const missing = [hop.login ? null : 'login', hop.credential ? null : 'credential'].filter((m) => m !== null).join(' or ');
  if (!missing) return [];
  const why = 'the gateway logs into a jump host with its login and credential';
  if (touched('Target', hop.name)) return [{ kind: 'Target', name: hop.name, message: `is the jump host (via) of ${target.name} but has no ${missing}: ${why}` }];
  if (touched('Target', target.name)) return [{ kind: 'Target', name: target.name, message: `via ${hop.name}, which has no ${missing}: ${why}` }];
  return [];
}

/** Follows `via` from a target; reports a hop that does not exist or a cycle, naming the chain. */
export function viaChain(target: Target, targets: ReadonlyMap<string, Target>): { names: string[]; problem: string | null } {
  const names = [target.name];
  let current = target;
  while (current.via) {
    const next = targets.get(current.via);
    if (!next) return { names, problem: `via ${current.via} names no target (chain ${[...names, current.via].join(' -> ')})` };
    if (names.includes(next.name)) return { names, problem: `via makes a cycle (${[...names, next.name].join(' -> ')})` };
    names.push(next.name);
    current = next;
  }
  return { names, problem: null };
}

/**
 * Why a resource may not be deleted: the resources that name it, and what to change
 * first. Null when nothing names it. A delete that left a dangling name would make the
 * exported YAML fail to apply again, so it is refused instead (HTTP 409 in the API).
 */
export function deleteBlocker(kind: 'User' | 'Target' | 'Role' | 'Credential', name: string, view: Omit<MergedView, 'credentials'>): string | null {
  const names = (noun: string, items: ReadonlyArray<{ name: string }>) => `${noun}${items.length === 1 ? '' : 's'} ${items.map((item) => item.name).sort().join(', ')}`;
  if (kind === 'Role') {
    const holders = [...view.users.values()].filter((user) => user.roles.includes(name));
    if (holders.length > 0) return `role ${name} is held by ${names('user', holders)}; take it from them first (jumpgate user set USER --role …)`;
    const approved = [...view.roles.values()].filter((role) => role.requestable?.approvers.includes(name));
    if (approved.length > 0) return `role ${name} approves requests for ${names('role', approved)}; change their requestable.approvers first`;
  }
  if (kind === 'Credential') {
    const users = [...view.targets.values()].filter((target) => target.credential === name);
    if (users.length > 0) return `credential ${name} is used by ${names('target', users)}; change their credential first (jumpgate target set TARGET --credential …)`;
  }
  if (kind === 'Target') {
    const dependents = [...view.targets.values()].filter((target) => target.via === name);
    if (dependents.length > 0) return `target ${name} is the jump host of ${dependents.map((t) => t.name).sort().join(', ')}; change their via first (jumpgate target set TARGET --via …)`;
  }
  return null;
}
