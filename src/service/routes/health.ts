import { z } from 'zod';
import type { RouteContext, TypedApp } from '../app.js';
import { ErrorBody, ServiceError } from '../errors.js';

const Ok = z.object({ status: z.literal('ok') });

/** Liveness (the process answers) and readiness (Redis answers, the ledger's scripts are loaded). */
export function healthRoutes(app: TypedApp, ctx: RouteContext): void {
  app.get('/healthz', { schema: { summary: 'the process is up', security: [], response: { 200: Ok } } }, async () => ({ status: 'ok' as const }));
  app.get('/readyz', { schema: { summary: 'Redis answers and the scripts are loaded', security: [], response: { 200: Ok, 503: ErrorBody } } }, async () => {
    try {
      await ctx.ready();
    } catch (err) {
      throw new ServiceError(503, 'not-ready', `not ready: ${(err as Error).message}`);
    }
    return { status: 'ok' as const };
  });
}
