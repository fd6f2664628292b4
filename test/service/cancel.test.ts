// Cancel in each place a job can be, and the two answers it gets: before the provider (removed,
// reservation released, budget untouched) and at the provider (settled as usual). Also the
// bounded ?wait=decision and an Idempotency-Key still in flight, which need a job nobody decides yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelGate } from '../../src/queue/cancel-gate.js';
import { internalJobId } from '../../src/queue/names.js';
import { connect } from '../helpers/redis.js';
import { startService, type TestService } from '../helpers/service.js';
import { job, SERVICE_POLICIES, until } from './policies.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;
const json = async (r: Response) => ({ status: r.status, body: (await r.json()) as Body });

describe('no workers yet, then a router alone, then a generator', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startService({ policies: SERVICE_POLICIES, workers: { router: false, generator: false }, decisionWaitMs: 800 });
  });
  afterAll(async () => s?.close());

  it('?wait=decision past its bound: 202 with the links and no decision; the same key meanwhile is 409', async () => {
    const headers = { 'idempotency-key': 'in-flight-1' };
    const first = s.call('/v1/jobs?wait=decision', { body: job('wait-1'), headers });
    // The first request is in flight once the job it enqueued exists.
    await until(async () => (await s.call('/v1/jobs/wait-1')).status === 200, 'the first request to enqueue');
    const second = await json(await s.call('/v1/jobs?wait=decision', { body: job('wait-1'), headers }));
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('idempotency-key-in-flight');
    const r = await json(await first);
    expect(r).toEqual({ status: 202, body: { id: 'wait-1', team: 'studio-a', decision: null, links: { self: '/v1/jobs/wait-1', events: '/v1/jobs/wait-1/events' } } });
  });

  it('a job still waiting for the router is removed: cancelled, and it stays so', async () => {
    await s.call('/v1/jobs', { body: job('c-intake', { project: 'cancel' }) });
    expect((await json(await s.call('/v1/jobs/c-intake'))).body.state).toBe('queued');
    const r = await json(await s.call('/v1/jobs/c-intake', { method: 'DELETE' }));
    expect(r).toMatchObject({ status: 200, body: { id: 'c-intake', outcome: 'cancelled' } });
    expect((await json(await s.call('/v1/jobs/c-intake'))).body.state).toBe('cancelled');
    // Cancelling again says so; another team's key finds nothing.
    expect((await json(await s.call('/v1/jobs/c-intake', { method: 'DELETE' }))).body.outcome).toBe('cancelled');
    expect((await s.call('/v1/jobs/c-intake', { method: 'DELETE', key: s.key.submitB })).status).toBe(404);
  });

  it('a decided job waiting for the generator: removed, reservation released, budget untouched', async () => {
    await s.pipeline.startMoreWorkers({ router: true, generator: false });
    const d = await json(await s.call('/v1/jobs?wait=decision', { body: job('c-gen', { project: 'cancel' }) }));
    expect(d.body.decision).toMatchObject({ outcome: 'admit', reserve: '0.375' });
    const held = await s.pipeline.client.budgets.show({ team: 'studio-a', project: 'cancel' });
    expect(held).toMatchObject({ spent: '0.00', reserved: '0.375' });
    const r = await json(await s.call('/v1/jobs/c-gen', { method: 'DELETE' }));
    expect(r).toMatchObject({ status: 200, body: { outcome: 'cancelled', released: true } });
    expect(await s.pipeline.client.budgets.show({ team: 'studio-a', project: 'cancel' })).toMatchObject({ spent: '0.00', reserved: '0.00' });
    expect((await json(await s.call('/v1/jobs/c-gen'))).body.state).toBe('cancelled');
  });

  it('a generator that meets a cancel at the gate sends nothing and releases the money', async () => {
    const d = await json(await s.call('/v1/jobs?wait=decision', { body: job('c-gate', { project: 'cancel' }) }));
    expect(d.body.decision.outcome).toBe('admit');
    // A cancel that won the gate but could not remove the job (a worker held it): the worker stops at the gate.
    const redis = connect();
    expect(await new CancelGate(redis, s.pipeline.prefix).claim('studio-a', internalJobId('studio-a', 'c-gate'), 'cancelled')).toBe('cancelled');
    redis.disconnect();
    await s.pipeline.startMoreWorkers({ router: false, generator: true });
    const result = await s.pipeline.client.handle('studio-a', 'c-gate').result();
    expect(result).toMatchObject({ state: 'failed', settlement: 'released' });
    expect(s.pipeline.kling.tasks().filter((t) => t.externalId?.includes(internalJobId('studio-a', 'c-gate')))).toEqual([]);
    expect(await s.pipeline.client.budgets.show({ team: 'studio-a', project: 'cancel' })).toMatchObject({ spent: '0.00', reserved: '0.00' });
    expect((await json(await s.call('/v1/jobs/c-gate'))).body.state).toBe('cancelled');
  });
});

describe('a job at the provider', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startService({ policies: SERVICE_POLICIES, kling: { latencyMs: 1500 } });
  });
  afterAll(async () => s?.close());

  it('is not cancelled: the answer says so, and it is settled as usual', async () => {
    await s.call('/v1/jobs', { body: job('c-prov', { project: 'cancel' }) });
    const internal = internalJobId('studio-a', 'c-prov');
    await until(async () => s.pipeline.kling.tasks().some((t) => t.externalId?.includes(internal)), 'the task to reach the provider');
    const r = await json(await s.call('/v1/jobs/c-prov', { method: 'DELETE' }));
    expect(r).toMatchObject({ status: 202, body: { outcome: 'at-provider', released: false } });
    expect(r.body.message).toMatch(/settled as usual/);
    const result = await s.pipeline.client.handle('studio-a', 'c-prov').result();
    expect(result).toMatchObject({ state: 'completed', settlement: 'committed', actualCost: '0.375' });
    expect((await json(await s.call('/v1/jobs/c-prov'))).body.state).toBe('completed');
    expect(await s.pipeline.client.budgets.show({ team: 'studio-a', project: 'cancel' })).toMatchObject({ spent: '0.375', reserved: '0.00' });
    // Once ended, there is nothing to cancel.
    expect((await json(await s.call('/v1/jobs/c-prov', { method: 'DELETE' }))).body.error.code).toBe('already-finished');
  });
});
