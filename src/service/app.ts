import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RedisConnection as Redis } from '../redis-connection.js';
import type { Logger } from 'pino';
import { DEFAULTS } from '../defaults.js';
import type { Ledger } from '../ledger/ledger.js';
import type { VidgateClient } from '../queue/client.js';
import { installAuth } from './auth.js';
import { sendError, ServiceError } from './errors.js';
import { Idempotency } from './idempotency.js';
import { JobIndex } from './job-index.js';
import type { KeyStore } from './keys.js';
import type { PolicySource } from './policy-source.js';
import { installDashboard } from './dashboard/index.js';
import { budgetRoutes } from './routes/budgets.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { policyRoutes } from './routes/policy.js';
import { pricingRoutes } from './routes/pricing.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { WebhookDeps } from '../webhooks/api.js';

export interface ServiceDeps {
  redis: Redis;
  prefix: string;
  client: VidgateClient;
  ledger: Ledger;
  keys: KeyStore;
  policies: PolicySource;
  /** VIDGATE_ADMIN_KEY, if set. */
  adminKey?: string;
  /** VIDGATE_METRICS_TOKEN, if set: a bearer token for GET /metrics alone. */
  metricsToken?: string;
  /** Requests per key per window (DEFAULTS.serviceRateLimit per DEFAULTS.serviceRateWindowMs). */
  rateLimit?: { max: number; windowMs: number };
  /** The longest `?wait=decision` waits. */
  decisionWaitMs?: number;
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-* headers are believed; none by default. */
  trustProxy?: string[];
  /** Outbound webhooks' settings (default: this Redis, private targets per VIDGATE_WEBHOOKS_ALLOW_PRIVATE). */
  webhooks?: WebhookDeps;
  /** Redis answers and the ledger's scripts are loaded. */
  ready: () => Promise<void>;
  log: Logger | false;
}

/** What every route gets: the dependencies and the stores built from them. */
export interface RouteContext extends ServiceDeps {
  idempotency: Idempotency;
  index: JobIndex;
}

/** The app as routes see it: request and reply types derived from the route's zod schemas. */
export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** The HTTP API (routes in routes/, one file per resource), its OpenAPI document and /docs. */
export async function buildService(deps: ServiceDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    ...(deps.log === false ? { logger: false } : { loggerInstance: deps.log as FastifyBaseLogger }),
    bodyLimit: DEFAULTS.serviceBodyLimitBytes,
    routerOptions: { maxParamLength: 300 },
    ...(deps.trustProxy?.length ? { trustProxy: deps.trustProxy.join(',') } : {}),
    // Our own request ids only; a caller's header is not trusted as one.
    genReqId: () => Math.random().toString(36).slice(2),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err, req, reply) => sendError(req, reply, err));
  app.setNotFoundHandler((req, reply) => sendError(req, reply, new ServiceError(404, 'not-found', `no route ${req.method} ${req.url.split('?')[0]}`)));
  // A policy may be sent as YAML: the route reads the text itself.
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'vidgate', version: '0.1.0', description: 'Budget-aware job router for AI video generation. Every /v1 route needs `Authorization: Bearer <key>`; every error is `{ error: { code, message, field?, allowed? } }`.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // The UI's assets are served from the package itself: /docs loads nothing from another host.
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  installAuth(app, deps.keys, deps.adminKey);
  const limit = deps.rateLimit ?? { max: DEFAULTS.serviceRateLimit, windowMs: DEFAULTS.serviceRateWindowMs };
  await app.register(fastifyRateLimit, {
    global: true,
    // After auth (onRequest), so the limit is the key's; routes outside /v1 by address.
    hook: 'preHandler',
    max: limit.max,
    timeWindow: limit.windowMs,
    redis: deps.redis,
    nameSpace: `${deps.prefix}:ratelimit:`,
    keyGenerator: (req) => (req.principal ? `key:${req.principal.keyId}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, ctx) => new ServiceError(429, 'rate-limited', `too many requests: at most ${ctx.max} per ${ctx.after}`, { allowed: `${ctx.max} per ${ctx.after}` }),
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
    addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true, 'retry-after': true },
  });

  const ctx: RouteContext = { ...deps, idempotency: new Idempotency(deps.redis, deps.prefix), index: new JobIndex(deps.redis, deps.prefix) };
  const typed = app.withTypeProvider<ZodTypeProvider>();
  healthRoutes(typed, ctx);
  jobRoutes(typed, ctx);
  pricingRoutes(typed, ctx);
  budgetRoutes(typed, ctx);
  policyRoutes(typed, ctx);
  webhookRoutes(typed, ctx);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // The dashboard at / (cookie sessions), GET /metrics and bull-board at /admin/queues: src/service/dashboard/.
  await installDashboard(app, ctx, { metricsToken: deps.metricsToken });
  return app;
}
