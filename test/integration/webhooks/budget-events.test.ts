// budget.threshold and budget.resolved from the ledger's audit stream, through a real dispatcher
// and delivery worker to a real receiver: a threshold fires once per window; a new window
// resolves it, and so does a raised limit that puts the scope back under it.
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Ledger } from '../../../src/ledger/ledger.js';
import { windowsAt } from '../../../src/ledger/windows.js';
import { putWebhooks } from '../../../src/webhooks/api.js';
import { startWebhooks, type RunningWebhooks } from '../../../src/webhooks/runtime.js';
import { EventPayload } from '../../../src/webhooks/schema.js';
import { startReceiver } from '../../helpers/receiver.js';
import { connect, redisUrl, uniquePrefix } from '../../helpers/redis.js';

const prefix = uniquePrefix('whbudget');
const redis = connect();
const DAY = 86_400_000;
let now: Ledger;
let yesterday: Ledger;
let webhooks: RunningWebhooks;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  now = new Ledger({ redis, prefix });
  yesterday = new Ledger({ redis, prefix, clock: () => Date.now() - DAY });
  receiver = await startReceiver();
});
afterAll(async () => {
  await webhooks?.close();
  await receiver?.close();
  redis.disconnect();
});

it('fires budget.threshold once per window and budget.resolved on a new window and on a raised limit', async () => {
  await now.setBudget({ team: 'bt', limit: '100', period: 'daily' });
  await now.setBudget({ team: 'bt', project: 'p', limit: '1.00', period: 'daily', alerts: [0.5] });
  const view = await putWebhooks({ redis, prefix, allowPrivate: true }, 'bt', { endpoints: [{ url: receiver.url, events: ['budget.threshold', 'budget.resolved'] }] }, 'test');
  webhooks = await startWebhooks({ redisUrl: redisUrl(), prefix, ledger: now, log: pino({ level: 'silent' }), config: { allowPrivate: true, pollMs: 20, resolveCheckMs: 50, backoffMs: 20 } });
  const reserve = (l: Ledger, id: string, cost: string) => l.reserve({ reservationId: id, team: 'bt', project: 'p', candidates: [{ cost }] });
  const windowOf = (ms: number) => windowsAt(ms).daily;

  // Yesterday's window: 0.3 stays under half, 0.6 crosses it, 0.7 is past it already.
  for (const [id, cost] of [['y1', '0.3'], ['y2', '0.3'], ['y3', '0.1']] as const) expect((await reserve(yesterday, id, cost)).status).toBe('reserved');
  await receiver.waitFor(2); // its threshold, then resolved: today is a new window
  // Today's window crosses it again: once.
  for (const [id, cost] of [['t1', '0.6'], ['t2', '0.1']] as const) expect((await reserve(now, id, cost)).status).toBe('reserved');
  await receiver.waitFor(3);
  await now.setBudget({ team: 'bt', project: 'p', limit: '5.00', period: 'daily', alerts: [0.5] });
  await receiver.waitFor(4);

  const events = receiver.received.map((r) => EventPayload.parse(new Webhook(view.secret).verify(r.body, r.headers)));
  const yWindow = windowOf(Date.now() - DAY);
  const tWindow = windowOf(Date.now());
  expect(events.map((e) => [e.type, e.data.window])).toEqual([
    ['budget.threshold', yWindow],
    ['budget.resolved', yWindow],
    ['budget.threshold', tWindow],
    ['budget.resolved', tWindow],
  ]);
  expect(events[0]!.data).toEqual({ team: 'bt', scope: 'project', name: 'p', window: yWindow, threshold: '0.5', limit: '1.00', spent: '0.00', reserved: '0.60' });
  expect(events[1]!.data).toMatchObject({ reason: 'new-window', currentWindow: tWindow, threshold: '0.5' });
  expect(events[2]!.data).toMatchObject({ window: tWindow, limit: '1.00', reserved: '0.60' });
  expect(events[3]!.data).toMatchObject({ reason: 'limit-raised', window: tWindow, currentWindow: tWindow, limit: '5.00', reserved: '0.70' });

  // Nothing more is pending: the dispatcher has read everything and no threshold is open.
  await webhooks.close();
  webhooks = undefined as unknown as RunningWebhooks;
  expect(receiver.received.length).toBe(4);
  expect(await redis.hlen(`${prefix}:{bt}:webhooks:open`)).toBe(0);
  const pending = (await redis.xpending(`${prefix}:{bt}:audit`, 'vidgate-webhooks')) as [number, ...unknown[]];
  expect(pending[0]).toBe(0);
});
