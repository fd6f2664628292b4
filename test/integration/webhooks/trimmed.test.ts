// A queue's event stream trimmed past what the dispatchers read: the loss is said, not silent.
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { Ledger } from '../../../src/ledger/ledger.js';
import { Dispatcher } from '../../../src/webhooks/dispatcher.js';
import { DISPATCH_GROUP, WEBHOOK_QUEUE } from '../../../src/webhooks/keys.js';
import { connect, uniquePrefix } from '../../helpers/redis.js';

const redis = connect();
const prefix = uniquePrefix('whtrim');
const deliveries = new Queue(WEBHOOK_QUEUE, { connection: redis, prefix });
afterAll(async () => {
  await deliveries.close();
  redis.disconnect();
});

it('warns when entries the group never read were trimmed, and not when only read ones were', async () => {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
  const d = new Dispatcher({ redis, prefix, ledger: new Ledger({ redis, prefix }), deliveries, consumer: 'c', pollMs: 10, reclaimIdleMs: 1000, resolveCheckMs: 1000, batch: 10, job: { attempts: 1, backoffMs: 1, retentionMs: 1000 }, log });
  const intake = `${prefix}:intake:events`;
  await redis.xgroup('CREATE', intake, DISPATCH_GROUP, '$', 'MKSTREAM');
  await redis.xgroup('CREATE', `${prefix}:generate:events`, DISPATCH_GROUP, '$', 'MKSTREAM');
  expect(await d.checkTrimmed()).toEqual([]); // a group that has read nothing yet
  for (let i = 0; i < 5; i++) await redis.xadd(intake, '*', 'event', 'waiting', 'jobId', `x${i}`);
  // Read two, as a dispatcher would, then trim only those: nothing unread is gone.
  await redis.xreadgroup('GROUP', DISPATCH_GROUP, 'c', 'COUNT', 2, 'STREAMS', intake, '>');
  await redis.xtrim(intake, 'MAXLEN', 3);
  expect(await d.checkTrimmed()).toEqual([]);
  await redis.xtrim(intake, 'MAXLEN', 1); // two entries no one read are gone
  expect(await d.checkTrimmed()).toEqual(['intake']);
  expect(warnings).toEqual([expect.stringMatching(/^webhook events of intake were trimmed before any dispatcher read them/)]);
});
