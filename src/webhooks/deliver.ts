import { UnrecoverableError, type Job as BullJob } from 'bullmq';
import type { RedisConnection as Redis } from '../redis-connection.js';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { WebhookKeys } from './keys.js';
import { DeliveryJob, type DeliveryAttempt } from './schema.js';
import { postJson, TargetRefused, type Resolver } from './send.js';
import { readConfig, recordAttempt } from './store.js';

export interface DelivererOptions {
  redis: Redis;
  prefix: string;
  allowPrivate: boolean;
  resolve?: Resolver;
  timeoutMs: number;
  maxResponseBytes: number;
  historyMax: number;
  log: Logger;
}

/** The Standard Webhooks headers for one attempt: signed now, under the event's stable id. */
export function signedHeaders(secret: string, eventId: string, body: string, at: Date): Record<string, string> {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(eventId, at, body),
  };
}

/**
 * The delivery worker's step: one attempt of one event to one endpoint, kept in the team's
 * history whatever its outcome. A 2xx delivers; anything else throws, and BullMQ retries with
 * exponential backoff; a refused target (its address is not allowed) is not retried. The
 * endpoint and secret are read now, so a removed endpoint gets nothing more and a rotated secret
 * signs the next attempt.
 */
export function createDeliverer(o: DelivererOptions) {
  const keys = new WebhookKeys(o.prefix);
  return async (bull: BullJob): Promise<{ outcome: DeliveryAttempt['outcome']; httpStatus: number | null }> => {
    const job = DeliveryJob.parse(bull.data);
    const attempt = bull.attemptsMade + 1;
    const last = attempt >= (bull.opts.attempts ?? 1);
    const started = Date.now();
    const keep = (a: Pick<DeliveryAttempt, 'outcome' | 'httpStatus' | 'error' | 'response' | 'final'>) =>
      recordAttempt(o.redis, keys, job.team, {
        eventId: job.id,
        type: job.payload.type,
        endpointId: job.endpointId,
        url: job.url,
        attempt,
        at: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        ...a,
      }, o.historyMax);

    const config = await readConfig(o.redis, keys, job.team);
    const endpoint = config?.endpoints.find((e) => e.id === job.endpointId);
    if (!config || !endpoint || !endpoint.events.includes(job.payload.type)) {
      await keep({ outcome: 'dropped', httpStatus: null, error: 'the endpoint was removed (or no longer takes this event)', response: null, final: true });
      return { outcome: 'dropped', httpStatus: null };
    }
    const body = JSON.stringify(job.payload);
    let res;
    try {
      res = await postJson(endpoint.url, signedHeaders(config.secret, job.id, body, new Date()), body, o);
    } catch (err) {
      const refused = err instanceof TargetRefused;
      await keep({ outcome: refused ? 'refused' : 'failed', httpStatus: null, error: (err as Error).message, response: null, final: refused || last });
      o.log.warn({ team: job.team, event: job.id, endpoint: job.endpointId, attempt, err: (err as Error).message }, refused ? 'webhook target refused' : 'webhook delivery failed');
      throw refused ? new UnrecoverableError((err as Error).message) : err;
    }
    const ok = res.status >= 200 && res.status < 300;
    const redirect = res.status >= 300 && res.status < 400;
    const error = ok ? null : redirect ? `HTTP ${res.status}: redirects are not followed` : `HTTP ${res.status}`;
    await keep({ outcome: ok ? 'delivered' : 'failed', httpStatus: res.status, error, response: res.body.slice(0, 1000), final: ok || last });
    if (!ok) throw new Error(error!);
    return { outcome: 'delivered', httpStatus: res.status };
  };
}
