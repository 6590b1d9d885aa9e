import type { z } from 'zod';
import { AppError } from './errors.js';

/** One readable sentence from a schema failure: the first problem, with where it is. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

/** Parses input at the edge with a protocol schema, or fails with `bad_request`. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new AppError('bad_request', describeIssues(result.error));
  return result.data;
}
