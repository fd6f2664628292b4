import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { RedisConnection as Redis } from '../redis-connection.js';
import type { Logger } from 'pino';
import { CallbackRejected, type Provider } from '../providers/provider.js';
import { callbackChannel } from './names.js';

/**
 * Per-task callback URLs. Kling signs no callback, so a callback is never trusted: it only wakes
 * the follow-up of a task vidgate created, which then reads the task with its own credentials.
 * Each task's URL carries a token (an HMAC of its external id under a key every worker shares,
 * kept in Redis), so a stranger's POST is refused before any work, without a lookup.
 */
export class CallbackTokens {
  private constructor(private readonly key: Buffer) {}

  /** The key every worker of this prefix shares: made once, by whichever worker comes first. */
  static async load(redis: Redis, prefix: string): Promise<CallbackTokens> {
    const name = `${prefix}:callback-key`;
    await redis.set(name, randomBytes(32).toString('hex'), 'NX');
    return new CallbackTokens(Buffer.from((await redis.get(name))!, 'hex'));
  }

  token(externalId: string): string {
    return createHmac('sha256', this.key).update(externalId).digest('base64url').slice(0, 32);
  }

  /** `base/<external id>/<token>`: the URL a new task carries. */
  urlFor(base: string, externalId: string): string {
    return `${base.replace(/\/+$/, '')}/${encodeURIComponent(externalId)}/${this.token(externalId)}`;
  }

  valid(externalId: string, token: string): boolean {
    const expected = Buffer.from(this.token(externalId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/**
 * The HTTP endpoint that receives the provider's callbacks at `/callbacks/kling/<external id>/<token>`.
 * A callback with a valid token (and signature, where one is required) is published on Redis, so
 * the generator following that task, in whichever process, polls it at once.
 */
export async function startCallbackServer(opts: { port: number; host?: string; provider: Provider; tokens: CallbackTokens; redis: Redis; prefix: string; log: Logger }): Promise<FastifyInstance> {
  // A callback body is a few kilobytes; nothing larger is read.
  // External ids run to about 230 characters (a 200-character job id, `vg-` and the model).
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 256 * 1024, routerOptions: { maxParamLength: 512 } });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post<{ Params: { externalId: string; token: string } }>('/callbacks/kling/:externalId/:token', async (req, reply) => {
    const { externalId, token } = req.params;
    if (!opts.tokens.valid(externalId, token)) return reply.code(404).send({ error: 'no such callback' });
    try {
      opts.provider.verifyCallback(req.headers as Record<string, string>, String(req.body ?? ''));
    } catch (err) {
      if (!(err instanceof CallbackRejected)) throw err;
      opts.log.warn({ externalId }, `callback refused: ${err.message}`);
      return reply.code(401).send({ error: err.message });
    }
    await opts.redis.publish(callbackChannel(opts.prefix), externalId);
    return reply.code(204).send();
  });
  await app.listen({ port: opts.port, host: opts.host ?? '0.0.0.0' });
  return app;
}

/** Wake-ups by external id, fed by the callback channel. */
export class CallbackWaker {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly subscriber: Redis, private readonly prefix: string) {}

  async start(): Promise<void> {
    await this.subscriber.subscribe(callbackChannel(this.prefix));
    this.subscriber.on('message', (_channel: string, externalId: string) => {
      for (const wake of this.waiting.get(externalId) ?? []) wake();
    });
  }

  register = (externalId: string, wake: () => void): (() => void) => {
    const set = this.waiting.get(externalId) ?? new Set();
    set.add(wake);
    this.waiting.set(externalId, set);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.waiting.delete(externalId);
    };
  };
}
