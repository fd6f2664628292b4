// Outbound webhooks through the whole flow: real Redis, the router and generator with the local
// Kling server, the dispatcher and delivery worker in the same workers, and real HTTP receivers
// that check each signature with the Standard Webhooks verifier.
import { Queue } from 'bullmq';
import type { RedisConnection as Redis } from '../../src/redis-connection.js';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getWebhooks, listDeliveries, putWebhooks, type WebhookDeps } from '../../src/webhooks/api.js';
import { WEBHOOK_QUEUE } from '../../src/webhooks/keys.js';
import { EventPayload } from '../../src/webhooks/schema.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { startReceiver, type Received } from '../helpers/receiver.js';
import { connect } from '../helpers/redis.js';

const team = (name: string, projects: string) => `team: ${name}\nbudgets:\n  projects:\n${projects}\n`;
const policies = {
  'hooks-a.yaml': team('hooks-a', '    main: { limit: "20.00", period: monthly }'),
  'hooks-b.yaml': team('hooks-b', '    main: { limit: "20.00", period: monthly }'),
};
const job = (t: string, id: string, project = 'main') => ({ id, team: t, project, model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a harbour' }) as const;

let p: Pipeline;
let redis: Redis;
let deps: WebhookDeps;
beforeAll(async () => {
  p = await startPipeline({ policies, workers: { webhooks: { allowPrivate: true, backoffMs: 30, pollMs: 20, attempts: 6 } } });
  redis = connect();
  deps = { redis, prefix: p.prefix, allowPrivate: true };
});
afterAll(async () => {
  await p?.close();
  redis?.disconnect();
});

/** Verifies a request with the Standard Webhooks verifier and answers its payload. */
const verified = (secret: string, r: Received) => EventPayload.parse(new Webhook(secret).verify(r.body, r.headers));

/** Polls the team's delivery history until `done` holds (bounded). */
async function historyUntil(t: string, done: (v: Awaited<ReturnType<typeof listDeliveries>>) => boolean) {
  for (let i = 0; i < 400; i++) {
    const v = await listDeliveries(deps, t, { limit: 100 });
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the delivery history of ${t} never got there`);
}

describe('job events', () => {
  it('signs job.decided, job.completed and job.rejected; the verifier accepts them; money is decimal strings', async () => {
    const receiver = await startReceiver();
    try {
      const view = await putWebhooks(deps, 'hooks-a', { endpoints: [{ url: `${receiver.url}/in`, description: 'all events' }] }, 'test');
      expect(view.secretShown).toBe(true);
      expect(view.secret).toMatch(/^whsec_/);
      const ok = await (await p.client.enqueue(job('hooks-a', 'ok-1'))).result();
      expect(ok.state).toBe('completed');
      const rejected = await (await p.client.enqueue(job('hooks-a', 'nope-1', 'nowhere'))).result();
      expect(rejected.state).toBe('rejected');
      await receiver.waitFor(3);
      const byType = new Map(receiver.received.map((r) => [verified(view.secret, r).type, { r, payload: verified(view.secret, r) }]));
      expect([...byType.keys()].sort()).toEqual(['job.completed', 'job.decided', 'job.rejected']);

      const decided = byType.get('job.decided')!.payload.data;
      expect(decided).toMatchObject({ id: 'ok-1', team: 'hooks-a', project: 'main', outcome: 'admit', code: 'admitted', cost: '0.375', currency: 'USD' });
      const completed = byType.get('job.completed')!.payload.data;
      expect(completed).toMatchObject({ id: 'ok-1', team: 'hooks-a', project: 'main', state: 'completed', actualCost: '0.375', charged: '0.375', settlement: 'committed' });
      for (const f of ['estimatedCost', 'reserved', 'actualCost', 'charged', 'variance']) expect(typeof completed[f]).toBe('string');
      expect(byType.get('job.rejected')!.payload.data).toMatchObject({ id: 'nope-1', team: 'hooks-a', project: 'nowhere', outcome: 'reject', code: 'no-project-budget' });
      // A tampered body fails the same verifier.
      const r = byType.get('job.completed')!.r;
      expect(() => new Webhook(view.secret).verify(r.body.replace('0.375', '0.001'), r.headers)).toThrow();
      expect(new Set(receiver.received.map((x) => x.headers['webhook-id'])).size).toBe(3);
      const history = await historyUntil('hooks-a', (v) => v.deliveries.filter((d) => d.outcome === 'delivered').length === 3);
      expect(history.deliveries.every((d) => d.attempt === 1 && d.httpStatus === 204 && d.final)).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('retries a failing receiver with backoff: three failures, then exactly one more attempt, which succeeds', async () => {
    const receiver = await startReceiver((_q, res, n) => res.writeHead(n <= 3 ? 500 : 200).end(n <= 3 ? 'not yet' : 'ok'));
    try {
      const view = await putWebhooks(deps, 'hooks-b', { endpoints: [{ url: `${receiver.url}/flaky`, events: ['job.rejected'] }] }, 'test');
      await (await p.client.enqueue(job('hooks-b', 'flaky-1', 'nowhere'))).result();
      await receiver.waitFor(4);
      const history = await historyUntil('hooks-b', (v) => v.deliveries.some((d) => d.outcome === 'delivered'));
      // The delivery job is finished: nothing follows the success.
      const deliveries = new Queue(WEBHOOK_QUEUE, { connection: redis, prefix: p.prefix });
      try {
        const jobs = await deliveries.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active']);
        const mine = jobs.filter((j) => j.data.team === 'hooks-b');
        expect(mine.length).toBe(1);
        expect(await mine[0]!.getState()).toBe('completed');
        expect(mine[0]!.attemptsMade).toBe(4);
      } finally {
        await deliveries.close();
      }
      expect(receiver.received.length).toBe(4);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1); // one event, stable id
      for (const r of receiver.received) expect(verified(view.secret, r).type).toBe('job.rejected');
      const attempts = history.deliveries.filter((d) => d.eventId === receiver.received[0]!.headers['webhook-id']).reverse();
      expect(attempts.map((d) => [d.attempt, d.outcome, d.httpStatus, d.final])).toEqual([
        [1, 'failed', 500, false],
        [2, 'failed', 500, false],
        [3, 'failed', 500, false],
        [4, 'delivered', 200, true],
      ]);
      expect(attempts[0]!.response).toBe('not yet');
    } finally {
      await receiver.close();
    }
  });
});

describe('the routes\' functions', () => {
  it('shows the secret once, masked afterwards; keeps it on a PUT without one; rotates on request', async () => {
    const first = await putWebhooks(deps, 'hooks-c', { endpoints: [{ url: 'http://127.0.0.1:9/x' }] }, 'alice');
    expect(first).toMatchObject({ team: 'hooks-c', secretShown: true, updatedBy: 'alice' });
    const got = await getWebhooks(deps, 'hooks-c');
    expect(got).toMatchObject({ secretShown: false, secret: `whsec_…${first.secret.slice(-4)}` });
    expect(got!.endpoints).toEqual([{ id: first.endpoints[0]!.id, url: 'http://127.0.0.1:9/x', events: ['job.decided', 'job.rejected', 'job.completed', 'job.failed', 'budget.threshold', 'budget.resolved'], description: null }]);
    const again = await putWebhooks(deps, 'hooks-c', { endpoints: [{ url: 'http://127.0.0.1:9/y', events: ['job.failed'] }] }, 'bob');
    expect(again).toMatchObject({ secretShown: false, secret: got!.secret, updatedBy: 'bob', createdAt: first.createdAt });
    const rotated = await putWebhooks(deps, 'hooks-c', { endpoints: [], rotateSecret: true }, 'bob');
    expect(rotated.secretShown).toBe(true);
    expect(rotated.secret).not.toBe(first.secret);
    expect(await getWebhooks(deps, 'nobody')).toBeNull();
  });

  it('refuses bad input with where and what is allowed, and writes nothing', async () => {
    const bad = async (input: unknown, where: RegExp, dev = false) => {
      const err = await putWebhooks({ ...deps, allowPrivate: dev }, 'hooks-d', input, 't').then(() => null, (e: Error & { details?: { where?: string; allowed?: string } }) => e);
      expect(err?.name).toBe('InputError');
      expect(err!.details?.where ?? err!.message).toMatch(where);
      expect(err!.details?.allowed ?? err!.message).toBeTruthy();
      return err!.message;
    };
    expect(await bad({ endpoints: [{ url: 'http://127.0.0.1:8080/x' }] }, /endpoints\[0\]\.url/)).toMatch(/loopback/);
    expect(await bad({ endpoints: [{ url: 'https://93.184.216.34/a' }, { url: 'http://169.254.169.254/' }] }, /endpoints\[1\]\.url/)).toMatch(/linkLocal/);
    expect(await bad({ endpoints: [{ url: 'http://localhost:1/x' }] }, /endpoints\[0\]\.url/)).toMatch(/loopback/);
    expect(await bad({ endpoints: [{ url: 'http://127.0.0.1:1/x' }, { url: 'http://127.0.0.1:1/x' }] }, /endpoints\[1\]\.url/, true)).toMatch(/same URL/);
    expect(await bad({ endpoints: [{ url: 'http://127.0.0.1:1/x', events: ['job.exploded'] }] }, /events/, true)).toMatch(/events/);
    expect(await bad({ endpoints: Array.from({ length: 11 }, (_, i) => ({ url: `http://127.0.0.1:1/${i}` })) }, /endpoints/, true)).toMatch(/at most 10/);
    expect(await bad({ endpoints: [], secret: 'hunter2' }, /secret/, true)).toMatch(/whsec_/);
    expect(await bad({ endpoints: [], extra: 1 }, /extra/, true)).toBeTruthy();
    await expect(putWebhooks(deps, 'Bad Team', { endpoints: [] }, 't')).rejects.toThrow(/team/);
    expect(await getWebhooks(deps, 'hooks-d')).toBeNull();
    await expect(listDeliveries(deps, 'hooks-a', { limit: 0 })).rejects.toThrow(/limit/);
    await expect(listDeliveries(deps, 'hooks-a', { before: '../x' })).rejects.toThrow(/before/);
  });

  it('lists a team\'s deliveries only, a page at a time', async () => {
    const a = await listDeliveries(deps, 'hooks-a', { limit: 100 });
    const b = await listDeliveries(deps, 'hooks-b', { limit: 100 });
    expect(a.deliveries.length).toBeGreaterThan(0);
    expect(b.deliveries.length).toBeGreaterThan(0);
    const aEvents = new Set(a.deliveries.map((d) => d.eventId));
    expect(b.deliveries.some((d) => aEvents.has(d.eventId))).toBe(false);
    expect(b.deliveries.every((d) => d.url.endsWith('/flaky'))).toBe(true);
    expect(a.deliveries.every((d) => d.url.endsWith('/in'))).toBe(true);
    expect((await listDeliveries(deps, 'hooks-c')).deliveries).toEqual([]);
    const page1 = await listDeliveries(deps, 'hooks-b', { limit: 3 });
    const page2 = await listDeliveries(deps, 'hooks-b', { limit: 3, before: page1.next! });
    expect(page1.deliveries.length).toBe(3);
    expect([...page1.deliveries, ...page2.deliveries].map((d) => d.id)).toEqual(b.deliveries.map((d) => d.id));
    expect(page2.next).toBeNull();
  });
});
