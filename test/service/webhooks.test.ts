// The webhook routes over real HTTP: a manage key registers its team's endpoints, a job's events
// arrive signed (checked with the Standard Webhooks verifier), the delivery log is the team's
// own; a submit key and another team's key are refused and learn nothing.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EventPayload } from '../../src/webhooks/schema.js';
import { startReceiver } from '../helpers/receiver.js';
import { startService, type TestService } from '../helpers/service.js';
import { job, SERVICE_POLICIES } from './policies.js';

let s: TestService;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  s = await startService({ policies: SERVICE_POLICIES, workers: { webhooks: { allowPrivate: true, pollMs: 20 } } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await s?.close();
});

it('registers endpoints with a manage key; events arrive signed; deliveries are listed', async () => {
  const put = await s.call('/v1/teams/studio-a/webhooks', { method: 'PUT', key: s.key.manageA, body: { endpoints: [{ url: `${receiver.url}/hook`, events: ['job.decided'] }] } });
  expect(put.status).toBe(200);
  const view = await put.json();
  expect(view).toMatchObject({ team: 'studio-a', secretShown: true, endpoints: [{ url: `${receiver.url}/hook`, events: ['job.decided'] }] });
  // The whole secret only in the answer that set it.
  const read = await (await s.call('/v1/teams/studio-a/webhooks', { key: s.key.manageA })).json();
  expect(read.secretShown).toBe(false);
  expect(read.secret).not.toBe(view.secret);

  const submitted = await s.call('/v1/jobs?wait=decision', { body: job('hooked-1') });
  expect(submitted.status).toBe(202);
  await receiver.waitFor(1);
  const payload = EventPayload.parse(new Webhook(view.secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers));
  expect(payload).toMatchObject({ type: 'job.decided', data: { id: 'hooked-1', team: 'studio-a', outcome: 'admit' } });

  let deliveries: { deliveries: { outcome: string }[] } = { deliveries: [] };
  for (let i = 0; i < 200 && deliveries.deliveries.length === 0; i++) {
    deliveries = await (await s.call('/v1/teams/studio-a/webhooks/deliveries', { key: s.key.manageA })).json();
    if (deliveries.deliveries.length === 0) await new Promise((r) => setTimeout(r, 25));
  }
  expect(deliveries.deliveries.map((d) => d.outcome)).toEqual(['delivered']);
});

it('refuses a submit key, another team and no key, and a URL into the operator network is a 400 naming the field', async () => {
  const body = { endpoints: [{ url: `${receiver.url}/x` }] };
  expect((await s.call('/v1/teams/studio-a/webhooks', { method: 'PUT', key: s.key.submitA, body })).status).toBe(403);
  expect((await s.call('/v1/teams/studio-a/webhooks', { method: 'PUT', key: s.key.manageB, body })).status).toBe(403);
  expect((await s.call('/v1/teams/studio-a/webhooks/deliveries', { key: s.key.manageB })).status).toBe(403);
  const anonymous = await s.call('/v1/teams/studio-a/webhooks', { key: null });
  expect(anonymous.status).toBe(401);
  expect(JSON.stringify(await anonymous.json())).not.toContain(receiver.url);
  expect((await s.call('/v1/teams/other/webhooks', { key: s.key.manageB })).status).toBe(404);
  const bad = await s.call('/v1/teams/other/webhooks', { method: 'PUT', key: s.key.manageB, body: { endpoints: [{ url: 'ftp://example.com/x' }] } });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error).toMatchObject({ field: 'webhooks.endpoints[0].url' });
});
