import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InputError, PolicyError, PricingError, UnavailableError } from '../errors.js';
import { formatPath, issueMessage, issuePath } from '../validation.js';

/** The one shape of every error the service answers (and what OpenAPI documents for each). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('stable, machine-readable: e.g. invalid-request, not-found, forbidden, rate-limited'),
      message: z.string().describe('what was wrong, for a person'),
      field: z.string().optional().describe('where: a body field path, a header or a query parameter'),
      allowed: z.string().optional().describe('what would have been accepted'),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error with its HTTP status; thrown anywhere in a route, answered in the one shape. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { field?: string; allowed?: string } = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ServiceError(404, 'not-found', `${what} not found`);

function body(code: string, message: string, extra: { field?: string | undefined; allowed?: string | undefined } = {}): ErrorBody {
  return { error: { code, message, ...(extra.field !== undefined ? { field: extra.field } : {}), ...(extra.allowed !== undefined ? { allowed: extra.allowed } : {}) } };
}

/** Maps any error onto a status and the one shape; never a stack trace. */
export function errorReply(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ServiceError) return { status: err.status, body: body(err.code, err.message, err.extra) };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    // Each entry is a zod issue taken apart: its path in instancePath, the rest in params.
    const issues = err.validation.flatMap((v) => {
      const path = v.instancePath.split('/').slice(1).filter(Boolean).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      return leafIssues({ ...(v.params as object), code: v.keyword, message: v.message, path } as Issue);
    });
    return { status: 400, body: describe(where, issues) };
  }
  if (isResponseSerializationError(err)) return { status: 500, body: body('internal', 'the answer did not match its documented schema') };
  if (err instanceof PolicyError) {
    // The policy store names the field (and line) where it can; the message says both with the origin.
    const d = err.details as { where?: string; allowed?: string; field?: string };
    return { status: 422, body: body('invalid-policy', err.message, { field: d.field ?? d.where, allowed: d.allowed }) };
  }
  if (err instanceof PricingError) return { status: 422, body: body('unpriceable', err.message, { field: err.details.where, allowed: err.details.allowed }) };
  if (err instanceof InputError) return { status: 400, body: body('invalid-request', err.message, { field: err.details.where, allowed: err.details.allowed }) };
  if (err instanceof UnavailableError) return { status: 503, body: body('unavailable', err.message) };
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: body('too-large', 'the request body is over the limit', { allowed: `at most ${fe.message.match(/\d+/)?.[0] ?? 'the limit'} bytes` }) };
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, body: body('unsupported-media-type', fe.message, { field: 'content-type', allowed: 'application/json (policies also application/yaml)' }) };
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError) return { status: 400, body: body('invalid-json', `the body is not valid JSON: ${fe.message}`, { field: 'body' }) };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return { status: fe.statusCode, body: body('bad-request', fe.message) };
  return { status: 500, body: body('internal', 'internal error: the service logged it') };
}

type Issue = z.core.$ZodIssue;

/**
 * The issues to report: for a value that matched no branch of a union (one job, or a batch),
 * those of the branch it came nearest to (the fewest issues), so the message names the real field.
 */
function leafIssues(issue: Issue, prefix: PropertyKey[] = []): Issue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const nearest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
    return nearest.flatMap((i) => leafIssues(i, path));
  }
  return [{ ...issue, path } as Issue];
}

function describe(where: string, issues: Issue[]): ErrorBody {
  const at = (i: Issue) => (i.path.length ? `${where}.${formatPath(issuePath(i))}` : where);
  const first = issues[0]!;
  const values = (first as { values?: unknown[] }).values ?? (first as { options?: unknown[] }).options;
  const message = issues.map((i) => `${at(i)}: ${issueMessage(i)}`).join('; ');
  return body('invalid-request', message, { field: at(first), allowed: Array.isArray(values) ? values.map(String).join(', ') : undefined });
}

/** A zod error of a value checked inside a route, as a 400 naming the first field. */
export function invalid(error: z.ZodError, where: string): ServiceError {
  const b = describe(where, error.issues.flatMap((i) => leafIssues(i))).error;
  return new ServiceError(400, b.code, b.message, { ...(b.field ? { field: b.field } : {}), ...(b.allowed ? { allowed: b.allowed } : {}) });
}

export function sendError(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  let answer: ReturnType<typeof errorReply>;
  try {
    answer = errorReply(err);
  } catch (mapping) {
    req.log.error({ err: mapping }, 'error mapping failed');
    answer = { status: 500, body: body('internal', 'internal error: the service logged it') };
  }
  const { status, body: b } = answer;
  if (status >= 500) req.log.error({ err }, 'request failed');
  return reply.code(status).type('application/json').send(b);
}
