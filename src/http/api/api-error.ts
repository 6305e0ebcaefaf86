/** The one place that turns failures into HTTP responses (`{"error": "jumpgate: …"}`, SPEC §9). */
import { ResourceFileError } from '../../domain/resource-yaml.js';
import { AuditUnavailable } from '../../audit/audit-log.js';
import type { Logger } from '../../log/logger.js';

/** An expected refusal with its status: 400 invalid, 401, 403, 404, 409 in use, 413, 415. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);

export interface ErrorReply { status: number; body: { error: string } & Record<string, unknown> }

export function errorReply(error: unknown, logger: Pick<Logger, 'error'>): ErrorReply {
  if (error instanceof ApiError) return { status: error.status, body: { error: `jumpgate: ${error.message}`, ...error.extra } };
  if (error instanceof ResourceFileError) return { status: 400, body: { error: `jumpgate: ${error.errors.map((e) => e.message).join('; ')}` } };
  if (error instanceof AuditUnavailable) return { status: 503, body: { error: 'jumpgate: the audit trail cannot be written; nothing was changed' } };
  // Anything else is ours: logged in full, answered without details (they may hold paths or internals).
  logger.error('http api request failed', { error });
  return { status: 500, body: { error: 'jumpgate: internal error (see the gateway log)' } };
}
