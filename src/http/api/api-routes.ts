/** Every route of the API (SPEC §9), one file per area. */
import type { PublicRoute, Route } from './api-types.js';
import { signInRoutes } from './routes/sign-in.js';
import { resourceRoutes } from './routes/resources.js';
import { targetRoutes } from './routes/targets.js';
import { operationRoutes } from './routes/operations.js';
import { auditRoutes } from './routes/audit.js';
import { myTargetRoutes } from './routes/my-targets.js';
import { userFactorRoutes } from './routes/user-factors.js';
import { approvalRoutes } from './routes/approvals.js';
import { requestRoutes } from './routes/requests.js';

export const API_ROUTES: ReadonlyArray<Route | PublicRoute> = [
  ...signInRoutes, ...resourceRoutes, ...targetRoutes, ...operationRoutes, ...auditRoutes, ...myTargetRoutes, ...userFactorRoutes,
  ...approvalRoutes, ...requestRoutes,
];
