import type { z } from 'zod';
import { InputError, type ErrorDetails } from './errors.js';

/** "products[2].pricing.rates.720p" from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(top level)';
}

/** zod's message, with a missing field said plainly. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid input: expected (.+), received undefined$/, 'missing (expected $1)');
}

/** The path of the field an issue is about; for an unknown key, the key itself. */
export function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
  return issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0]!] : [...issue.path];
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issueMessage(issue)}`);
}

/**
 * Validates `value` against `schema`, or throws an InputError that names `where` (a file, a
 * flag, a job line) and every bad field with what is allowed there.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
  ErrorClass: new (message: string, details?: ErrorDetails) => InputError = InputError,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const lines = describeIssues(result.error);
  const first = result.error.issues[0]!;
  throw new ErrorClass(`${where} is not valid:\n  ${lines.join('\n  ')}`, { where, field: formatPath(issuePath(first)), allowed: issueMessage(first) });
}
