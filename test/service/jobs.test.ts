// The jobs routes over real HTTP, on real Redis with the workers and the local Kling server behind
// them: submit (one, a batch, ?wait=decision), Idempotency-Key, show, events until the end, the
// list with its cursor, the error shape, 413 and unknown routes; estimate, quote and budgets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';
import { job, readEvents, SERVICE_POLICIES } from './policies.js';

let s: TestService;
beforeAll(async () => {
  s = await startService({ policies: SERVICE_POLICIES, kling: { latencyMs: 200 } });
});
afterAll(async () => s?.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;
const json = async (r: Response) => ({ status: r.status, body: (await r.json()) as Body });

describe('submit and read', () => {
  it('POST one job: 202 with its id and links; ?wait=decision carries the decision', async () => {
    const r = await json(await s.call('/v1/jobs?wait=decision', { body: job('sub-1') }));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ id: 'sub-1', team: 'studio-a', links: { self: '/v1/jobs/sub-1', events: '/v1/jobs/sub-1/events' } });
    expect(r.body.decision).toMatchObject({ outcome: 'admit', code: 'admitted', cost: '0.375', project: 'trailer' });
  });

  it('without wait the answer does not wait for the decision', async () => {
    const r = await json(await s.call('/v1/jobs', { body: job('sub-2') }));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ id: 'sub-2', decision: null });
  });

  it('a rejection comes with its explanation', async () => {
    const r = await json(await s.call('/v1/jobs?wait=decision', { body: job('sub-tight', { project: 'tight' }) }));
    expect(r.body.decision).toMatchObject({ outcome: 'reject', code: 'insufficient-budget' });
    expect(r.body.decision.reasons.join(' ')).toMatch(/no candidate fits/);
  });

  it('a batch of jobs: one answer per job, in order', async () => {
    const jobs = [job('batch-1'), job('batch-2', { resolution: '1080p' }), job('batch-3', { project: 'tight' })];
    const r = await json(await s.call('/v1/jobs?wait=decision', { body: { jobs } }));
    expect(r.status).toBe(202);
    expect(r.body.jobs.map((j: Body) => [j.id, j.decision.outcome])).toEqual([
      ['batch-1', 'admit'],
      ['batch-2', 'admit'],
      ['batch-3', 'reject'],
    ]);
  });

  it('a batch with one bad job enqueues none and names the job and field', async () => {
    const r = await json(await s.call('/v1/jobs', { body: { jobs: [job('bad-batch-1'), job('bad-batch-2', { resolution: '8k' })] } }));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid-request', field: 'body.jobs[1].resolution' });
    expect(r.body.error.allowed).toContain('1080p');
    expect((await s.call('/v1/jobs/bad-batch-1')).status).toBe(404);
  });

  it('GET a job: decision, state, result, actual cost and variance once it ends', async () => {
    await s.call('/v1/jobs', { body: job('read-1') });
    const done = await s.pipeline.client.handle('studio-a', 'read-1').result();
    expect(done.state).toBe('completed');
    const r = await json(await s.call('/v1/jobs/read-1'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: 'read-1', team: 'studio-a', project: 'trailer', state: 'completed', actualCost: '0.375', variance: '0.00' });
    expect(r.body.decision).toMatchObject({ outcome: 'admit' });
    expect(r.body.result).toMatchObject({ state: 'completed', settlement: 'committed' });
  });

  it('GET an unknown job is 404 in the one error shape', async () => {
    const r = await json(await s.call('/v1/jobs/never-sent'));
    expect(r).toEqual({ status: 404, body: { error: { code: 'not-found', message: expect.any(String) } } });
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body answer the first answer; another body is 422; keys are per team', async () => {
    const key = { 'idempotency-key': 'idem-1' };
    const first = await json(await s.call('/v1/jobs?wait=decision', { body: job('idem-job-1'), headers: key }));
    expect(first.status).toBe(202);
    const again = await s.call('/v1/jobs?wait=decision', { body: job('idem-job-1'), headers: key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(again)).toEqual(first);
    const other = await json(await s.call('/v1/jobs', { body: job('idem-job-2'), headers: key }));
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'idempotency-key-reused', field: 'idempotency-key' });
    // Another team's request with the same key is its own.
    const b = await json(await s.call('/v1/jobs', { key: s.key.submitB, body: job('idem-job-1', { team: 'other' }), headers: key }));
    expect(b.status).toBe(202);
    expect((await s.call('/v1/jobs/idem-job-2')).status).toBe(404);
  });

  it('a key that is not printable ASCII is refused', async () => {
    const r = await json(await s.call('/v1/jobs', { body: job('idem-bad'), headers: { 'idempotency-key': 'a b' } }));
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('idempotency-key');
  });
});

describe('events', () => {
  it('streams each state change until the job ends', async () => {
    await s.call('/v1/jobs', { body: job('sse-1') });
    const res = await s.call('/v1/jobs/sse-1/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(res);
    const states = events.map((e) => (e.data as { state: string }).state);
    expect(events.every((e) => e.event === 'state')).toBe(true);
    expect(states.at(-1)).toBe('completed');
    expect(events.at(-1)!.data).toMatchObject({ id: 'sse-1', actualCost: '0.375' });
  });
});

describe('list', () => {
  it("pages a team's recent jobs newest first, filtered by project, with a cursor", async () => {
    const ids = ['list-1', 'list-2', 'list-3', 'list-4', 'list-5'];
    for (const id of ids) expect((await s.call('/v1/jobs', { body: job(id, { project: 'listing' }) })).status).toBe(202);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const r = await json(await s.call(`/v1/jobs?project=listing&limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      expect(r.status).toBe(200);
      expect(r.body.jobs.length).toBeLessThanOrEqual(2);
      for (const j of r.body.jobs as Body[]) {
        expect(j.project).toBe('listing');
        seen.push(j.id);
      }
      cursor = r.body.next;
      if (!cursor) break;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('another team sees none of them', async () => {
    const r = await json(await s.call('/v1/jobs?limit=100', { key: s.key.submitB }));
    expect(r.status).toBe(200);
    expect(r.body.jobs.every((j: Body) => j.team === 'other')).toBe(true);
    expect(JSON.stringify(r.body)).not.toContain('list-');
  });

  it('a bad query names the parameter and what is allowed', async () => {
    const r = await json(await s.call('/v1/jobs?state=lost'));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ field: 'querystring.state' });
    expect(r.body.error.allowed).toContain('completed');
  });
});

describe('errors', () => {
  it('a body over 1 MB is 413 in the error shape', async () => {
    const r = await json(await s.call('/v1/jobs', { body: job('huge', { prompt: 'x'.repeat(1024 * 1024 + 10) }) }));
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('too-large');
  });

  it('an unknown route is 404 in the error shape', async () => {
    const r = await json(await s.call('/v1/nothing-here'));
    expect(r).toEqual({ status: 404, body: { error: { code: 'not-found', message: expect.stringContaining('/v1/nothing-here') } } });
  });

  it('bad JSON is 400, never a stack trace', async () => {
    const r = await json(await s.call('/v1/jobs', { body: '{"team": ' }));
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).not.toMatch(/at .+\.js:\d+/);
    expect(r.body.error.code).toBe('invalid-json');
  });

  it('a job of another team than the key is 403 and enqueues nothing', async () => {
    const r = await json(await s.call('/v1/jobs', { body: job('cross-1', { team: 'other' }) }));
    expect(r.status).toBe(403);
    expect((await s.call('/v1/jobs/cross-1', { key: s.key.submitB })).status).toBe(404);
  });
});

describe('pricing, budgets', () => {
  it('estimate prices as the CLI does', async () => {
    const r = await json(await s.call('/v1/estimate', { body: { model: 'kling-3.0', resolution: '1080p', audio: true, durationSeconds: 10, count: 100 } }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rateCard: 'hf-forum-2026-04', count: 100, currency: 'USD' });
    expect(r.body.total).toMatch(/^\d+\.\d+$/);
  });

  it('quote decides against the live budgets and reserves nothing', async () => {
    const before = await json(await s.call('/v1/teams/studio-a/budgets'));
    const q = await json(await s.call('/v1/quote', { body: job('quote-1', { project: 'tight' }) }));
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({ outcome: 'reject', team: 'studio-a', project: 'tight' });
    const ok = await json(await s.call('/v1/quote', { body: job('quote-2') }));
    expect(ok.body).toMatchObject({ outcome: 'admit', cost: '0.375' });
    const after = await json(await s.call('/v1/teams/studio-a/budgets'));
    const tight = (b: Body) => b.scopes.find((x: Body) => x.name === 'tight');
    expect(tight(after.body)).toEqual(tight(before.body));
  });

  it('budgets: every scope with limit, spent, held, available and window', async () => {
    const r = await json(await s.call('/v1/teams/studio-a/budgets'));
    expect(r.status).toBe(200);
    expect(r.body.scopes.map((x: Body) => x.name).sort()).toEqual(['cancel', 'listing', 'tight', 'trailer']);
    expect(r.body.scopes[0]).toMatchObject({ scope: 'project', period: 'monthly', limit: expect.any(String), reserved: expect.any(String), window: expect.stringMatching(/^\d{4}-\d{2}$/) });
  });
});
