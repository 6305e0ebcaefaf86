import type { z } from 'zod';
import { describeIssue } from '../../../domain/issue-text.js';
import { ApiError } from '../api-error.js';

/** Checks a request body against a schema; a 400 names each field that is wrong. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, label = ''): z.infer<T> {
  const result = schema.safeParse(body ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new ApiError(400, label + result.error.issues.map(describeIssue).join('; '));
}
