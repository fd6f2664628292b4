import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CallbackRejected, type Provider } from '../providers/provider.js';
import { callbackChannel } from './names.js';

/**
 * The HTTP endpoint that receives the provider's signed callbacks. A verified callback is
 * published on Redis, so the generator following that task (in whichever process) polls at once.
 */
export async function startCallbackServer(opts: { port: number; host?: string; provider: Provider; redis: Redis; prefix: string; log: Logger }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/callbacks/kling', async (req, reply) => {
    try {
      const state = opts.provider.parseCallback(req.headers as Record<string, string>, String(req.body ?? ''));
      await opts.redis.publish(callbackChannel(opts.prefix), state.handle.externalId);
      return reply.code(204).send();
    } catch (err) {
      const status = err instanceof CallbackRejected ? 401 : 400;
      opts.log.warn({ status }, `callback refused: ${(err as Error).message}`);
      return reply.code(status).send({ error: (err as Error).message });
    }
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
