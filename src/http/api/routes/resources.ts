/**
 * `GET/PUT/DELETE /api/v1/{users,targets,roles,credentials}/NAME` and the lists: the
 * resources of SPEC §3 in their YAML shapes, checked by the schemas `apply` uses, written
 * with their `config.change` event in one transaction. A credential's secret goes in
 * (`secret`, `passphrase`) and never comes out.
 */
import { z } from 'zod';
import { isDeepStrictEqual } from 'node:util';
import { CredentialFields, ResourceSchema, type Resource, type ResourceKind } from '../../../domain/resources.js';
import type { StoredCredential } from '../../../domain/credential.js';
import { describeIssue } from '../../../domain/issue-text.js';
import { deleteBlocker, findReferenceProblems, storeView } from '../../../resources/references.js';
import { credentialFromSecret } from '../../../resources/credential-secret.js';
import type { Stores } from '../../../store/store.js';
import { badRequest, conflict, notFound } from '../api-error.js';
import { actorOf } from '../principal.js';
import { json, type ApiDeps, type ApiRequest, type Route } from '../api-types.js';
import type { Principal } from '../principal.js';

type Collection = 'users' | 'targets' | 'roles' | 'credentials';
const KIND: Record<Collection, ResourceKind> = { users: 'User', targets: 'Target', roles: 'Role', credentials: 'Credential' };

/** A credential as the API shows it: never the sealed secret. */
export function publicCredential(credential: StoredCredential): Omit<StoredCredential, 'sealed'> {
  const { sealed: _sealed, ...shown } = credential;
  return shown;
}

function shown(collection: Collection, item: Resource | StoredCredential): unknown {
  return collection === 'credentials' ? publicCredential(item as StoredCredential) : item;
}

const CredentialInput = CredentialFields.omit({ secretFile: true, passphraseFile: true }).extend({
  /** Absent for `certificate` and `agent`, which hold no secret. */
  secret: z.string().min(1, 'must not be empty').max(64 * 1024, 'must be at most 64 KiB').optional(),
  passphrase: z.string().max(1024).optional(),
});

/** The body as a resource of the path's kind and name; a 400 names the fields that are wrong. */
function resourceFromBody(deps: ApiDeps, collection: Collection, name: string, body: unknown): Resource | StoredCredential {
  const kind = KIND[collection];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`send the ${kind} as a JSON object`);
  const fields = body as Record<string, unknown>;
  if (fields.name !== undefined && fields.name !== name) throw badRequest(`${kind} ${name}: name ${JSON.stringify(fields.name)} differs from the name in the path`);
  if (fields.kind !== undefined && fields.kind !== kind) throw badRequest(`${kind} ${name}: kind must be ${kind}`);
  const label = `${kind} ${name}: `;
  if (kind === 'Credential') {
    const result = CredentialInput.safeParse({ ...fields, kind, name }, { reportInput: true });
    if (!result.success) throw badRequest(label + result.error.issues.map(describeIssue).join('; '));
    const { type, secret, passphrase, rotateEvery } = result.data;
    if (rotateEvery !== undefined && type !== 'privateKey') throw badRequest(`${label}rotateEvery: applies to privateKey credentials only`);
    if (type === 'certificate' || type === 'agent') {
      if (secret !== undefined || passphrase !== undefined) throw badRequest(`${label}secret: must be absent: a ${type} credential holds no secret`);
      return { kind: 'Credential', name, type, updatedAt: new Date().toISOString() };
    }
    if (secret === undefined) throw badRequest(`${label}secret: required for a ${type} credential`);
    try {
      return { ...credentialFromSecret(deps.runtime.vault(), name, type, Buffer.from(secret), passphrase), ...(rotateEvery ? { rotateEvery } : {}) };
    } catch (error) {
      throw badRequest(`${label}secret: ${(error as Error).message}`);
    }
  }
  const result = ResourceSchema.safeParse({ ...fields, kind, name }, { reportInput: true });
  if (!result.success) throw badRequest(label + result.error.issues.map(describeIssue).join('; '));
  return result.data;
}

/** References of the store with this resource in it: roles, credentials and `via` chains that exist and end. */
async function checkReferences(stores: Stores, resource: Resource | StoredCredential): Promise<void> {
  const view = await storeView(stores);
  if (resource.kind === 'User') view.users.set(resource.name, resource);
  else if (resource.kind === 'Target') view.targets.set(resource.name, resource);
  else if (resource.kind === 'Role') view.roles.set(resource.name, resource);
  else view.credentials.add(resource.name);
  const problems = findReferenceProblems(view, new Set([`${resource.kind}/${resource.name}`]));
  if (problems.length > 0) throw badRequest(problems.map((p) => `${p.kind} ${p.name}: ${p.message}`).join('; '));
}

function routesFor(collection: Collection): Route[] {
  const kind = KIND[collection];
  const noun = kind.toLowerCase();
  const base = `/api/v1/${collection}`;
  return [
    {
      method: 'GET', path: base, need: 'read',
      handle: async (_request, deps) => json(200, (await deps.runtime.stores[collection].list()).map((item) => shown(collection, item))),
    },
    {
      method: 'GET', path: `${base}/:name`, need: 'read',
      handle: async (request, deps) => {
        const item = await deps.runtime.stores[collection].get(request.params.name);
        if (!item) throw notFound(`no ${noun} named ${request.params.name}`);
        return json(200, shown(collection, item));
      },
    },
    {
      method: 'PUT', path: `${base}/:name`, need: 'write',
      handle: async (request, deps) => {
        const { stores, audit } = deps.runtime;
        const resource = resourceFromBody(deps, collection, request.params.name, request.body);
        await checkReferences(stores, resource);
        const before = await stores[collection].get(resource.name);
        // A credential always changes: its envelope has a new nonce every time.
        if (before && resource.kind !== 'Credential' && isDeepStrictEqual(before, resource)) return json(200, shown(collection, resource));
        await audit.recordChange(
          [{ type: 'config.change', user: actorOf(request.principal), src: request.src, action: before ? 'update' : 'create', kind, name: resource.name }],
          (changeAudit) => stores.applyChanges([{ op: 'put', resource }], changeAudit));
        return json(before ? 200 : 201, shown(collection, resource));
      },
    },
    {
      method: 'DELETE', path: `${base}/:name`, need: 'write',
      handle: async (request, deps) => {
        const { stores, audit } = deps.runtime;
        const { name } = request.params;
        if (!(await stores[collection].get(name))) throw notFound(`no ${noun} named ${name}`);
        // The refusal `jumpgate delete` gives: what names it, and what to change first.
        const inUse = deleteBlocker(kind, name, await storeView(stores));
        if (inUse) throw conflict(inUse);
        await audit.recordChange(
          [{ type: 'config.change', user: actorOf(request.principal), src: request.src, action: 'delete', kind, name }],
          (changeAudit) => stores.applyChanges([{ op: 'delete', kind, name }], changeAudit));
        return json(200, { deleted: `${noun}/${name}` });
      },
    },
  ];
}

export const resourceRoutes: Route[] = (['users', 'targets', 'roles', 'credentials'] as const).flatMap(routesFor);

/** For routes that act on one target. */
export async function targetOr404(request: ApiRequest & { principal: Principal }, deps: ApiDeps) {
  const target = await deps.runtime.stores.targets.get(request.params.name);
  if (!target) throw notFound(`no target named ${request.params.name}`);
  return target;
}

