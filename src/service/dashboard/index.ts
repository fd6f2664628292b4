import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { QUEUE_GENERATE, QUEUE_INTAKE, QUEUE_OPTIONS } from '../../queue/names.js';
import { queuePrefix } from '../../redis-connection.js';
import type { RouteContext } from '../app.js';
import { sendError, ServiceError } from '../errors.js';
import { metricsRoutes } from '../metrics.js';
import { COOKIE, dashboardRoutes } from './routes.js';
import { Sessions } from './session.js';

/**
 * The dashboard (/dashboard, sessions by cookie), GET /metrics and bull-board at /admin/queues
 * (admin sessions only), added to the service's app.
 */
export async function installDashboard(app: FastifyInstance, ctx: RouteContext, opts: { metricsToken?: string | undefined } = {}): Promise<void> {
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  const sessions = new Sessions(ctx.redis, ctx.prefix, ctx.keys, ctx.adminKey);
  const teamsOf = () => ctx.policies.teams();
  const queues = [QUEUE_INTAKE, QUEUE_GENERATE].map((name) => new Queue(name, { ...QUEUE_OPTIONS, connection: ctx.redis, prefix: queuePrefix(ctx.prefix, ctx.redis) }));
  for (const q of queues) q.on('error', () => undefined); // Redis being away is reported by the service's own connection
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((q) => q.close()));
  });
  // Pages, not API: kept out of the OpenAPI document.
  const hidden = (scope: FastifyInstance) => scope.addHook('onRoute', (route) => void (route.schema = { ...route.schema, hide: true }));
  await app.register(async (scope) => {
    hidden(scope);
    dashboardRoutes(scope, ctx, sessions, teamsOf);
    metricsRoutes(scope, ctx, queues, teamsOf, { token: opts.metricsToken, adminKey: ctx.adminKey });
  });

  const board = new FastifyAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter: board });
  await app.register(
    async (scope) => {
      hidden(scope);
      // Answered here, not thrown: bull-board's own error handler would make it a 500.
      scope.addHook('onRequest', async (req, reply) => {
        const s = await sessions.get(req.cookies[COOKIE]);
        if (!s || s.team !== null) return sendError(req, reply, new ServiceError(403, 'forbidden', 'the queues page needs a dashboard session of the admin key (sign in at /dashboard/login)'));
      });
      await scope.register(board.registerPlugin());
    },
    { prefix: '/admin/queues' },
  );
}
