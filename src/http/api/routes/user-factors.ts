/**
 * A user's second factor from the console (SPEC §9: TOTP status and enrolment QR). The new
 * secret is shown once, in the answer to the operator who enrols it, as `jumpgate user totp`.
 */
import QRCode from 'qrcode';
import { enrolTotp, totpVaultName } from '../../../auth/totp.js';
import { hashRecoveryCode } from '../../../auth/recovery-codes.js';
import { notFound } from '../api-error.js';
import { actorOf } from '../principal.js';
import { json, type Route } from '../api-types.js';

export const userFactorRoutes: Route[] = [
  {
    method: 'GET', path: '/api/v1/users/:name/factors', need: 'read',
    handle: async (request, deps) => {
      const { stores } = deps.runtime;
      if (!(await stores.users.get(request.params.name))) throw notFound(`no user named ${request.params.name}`);
      const factors = await stores.factors.get(request.params.name);
      return json(200, { password: Boolean(factors?.passwordHash), totp: Boolean(factors?.totpSealed), recoveryCodesLeft: factors?.recoveryHashes.length ?? 0 });
    },
  },
  {
    method: 'POST', path: '/api/v1/users/:name/totp', need: 'write',
    handle: async (request, deps) => {
      const { stores, audit, vault } = deps.runtime;
      const { name } = request.params;
      if (!(await stores.users.get(name))) throw notFound(`no user named ${name}`);
      const enrolment = enrolTotp(name);
      const sealed = vault().seal(totpVaultName(name), Buffer.from(enrolment.secretBase32));
      const recoveryHashes = await Promise.all(enrolment.recoveryCodes.map(hashRecoveryCode));
      // The event first: a factor changes only once the trail holds who changed it.
      await audit.record({ type: 'config.change', user: actorOf(request.principal), src: request.src, action: 'update', kind: 'UserTotp', name });
      await stores.factors.setTotp(name, sealed, recoveryHashes);
      const svg = await QRCode.toString(enrolment.uri, { type: 'svg', margin: 2 });
      return json(200, { uri: enrolment.uri, qr: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`, recoveryCodes: enrolment.recoveryCodes });
    },
  },
  {
    method: 'DELETE', path: '/api/v1/users/:name/totp', need: 'write',
    handle: async (request, deps) => {
      const { stores, audit } = deps.runtime;
      const { name } = request.params;
      if (!(await stores.users.get(name))) throw notFound(`no user named ${name}`);
      await audit.record({ type: 'config.change', user: actorOf(request.principal), src: request.src, action: 'delete', kind: 'UserTotp', name });
      await stores.factors.setTotp(name, null, []);
      return json(200, { user: name, totp: false });
    },
  },
];
