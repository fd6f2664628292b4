// The delivery worker at delivery time: a name that pointed at a public address when it was
// registered and at loopback now is refused then (DNS rebinding), once, without retries; an
// endpoint removed since the event gets nothing.
import { Queue, QueueEvents } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Ledger } from '../../../src/ledger/ledger.js';
import { listDeliveries, putWebhooks } from '../../../src/webhooks/api.js';
import { WEBHOOK_QUEUE } from '../../../src/webhooks/keys.js';
import { startWebhooks, type RunningWebhooks } from '../../../src/webhooks/runtime.js';
import type { DeliveryJob } from '../../../src/webhooks/schema.js';
import type { Resolver } from '../../../src/webhooks/send.js';
import { startReceiver } from '../../helpers/receiver.js';
import { connect, redisUrl, uniquePrefix } from '../../helpers/redis.js';

const prefix = uniquePrefix('whdeliver');
const redis = connect();
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let webhooks: RunningWebhooks;
let queue: Queue<DeliveryJob>;
let events: QueueEvents;
const eventsRedis = connect();
let answer = '93.184.216.34';
const resolve: Resolver = async (host) => (host === 'hooks.test' ? [{ address: answer, family: 4 }] : []);

beforeAll(async () => {
  receiver = await startReceiver();
  webhooks = await startWebhooks({ redisUrl: redisUrl(), prefix, ledger: new Ledger({ redis, prefix }), log: pino({ level: 'silent' }), config: { dispatcher: false, allowPrivate: false, resolve, backoffMs: 20, attempts: 5 } });
  queue = new Queue(WEBHOOK_QUEUE, { connection: redis, prefix });
  events = new QueueEvents(WEBHOOK_QUEUE, { connection: eventsRedis, prefix });
  await events.waitUntilReady();
});
afterAll(async () => {
  await webhooks.close();
  await events.close();
  await queue.close();
  await receiver.close();
  redis.disconnect();
  eventsRedis.disconnect();
});

const event = (id: string, endpointId: string, url: string): DeliveryJob => ({ id, team: 'dt', endpointId, url, payload: { type: 'job.failed', timestamp: new Date().toISOString(), data: { id: 'x' } } });

it('checks the address again at delivery: a name now resolving to loopback is refused once, not retried', async () => {
  const url = `http://hooks.test:${receiver.port}/in`;
  const view = await putWebhooks({ redis, prefix, allowPrivate: false, resolve }, 'dt', { endpoints: [{ url }] }, 'test');
  answer = '127.0.0.1'; // the name's owner points it at the operator's loopback
  const job = await queue.add('job.failed', event('msg_rebind', view.endpoints[0]!.id, url), { jobId: 'rebind', attempts: 5, backoff: { type: 'exponential', delay: 20 } });
  await expect(job.waitUntilFinished(events)).rejects.toThrow(/address 127\.0\.0\.1 is in a loopback range/);
  expect((await queue.getJob('rebind'))!.attemptsMade).toBe(1);
  expect(receiver.received.length).toBe(0);
  const { deliveries } = await listDeliveries({ redis, prefix, allowPrivate: false }, 'dt', { eventId: 'msg_rebind' });
  expect(deliveries.map((d) => [d.attempt, d.outcome, d.final, d.httpStatus])).toEqual([[1, 'refused', true, null]]);
});

it('drops an event whose endpoint was removed since', async () => {
  const job = await queue.add('job.failed', event('msg_gone', 'ep_0000000000000000', 'http://hooks.test/old'), { jobId: 'gone', attempts: 5 });
  expect(await job.waitUntilFinished(events)).toEqual({ outcome: 'dropped', httpStatus: null });
  const { deliveries } = await listDeliveries({ redis, prefix, allowPrivate: false }, 'dt', { eventId: 'msg_gone' });
  expect(deliveries.map((d) => [d.outcome, d.final])).toEqual([['dropped', true]]);
  expect(receiver.received.length).toBe(0);
});
