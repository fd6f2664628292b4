// The worker runtime around the flow: provider concurrency slots, signed callbacks that advance a
// job without waiting for the next poll, policy reloads, and Redis going away and coming back.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { JobInput } from '../../src/job.js';
import { freePort, startRedisServer } from '../../scripts/redis-server.js';
import { externalTaskId, internalJobId } from '../../src/queue/names.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

const open: Pipeline[] = [];
const after: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
  for (const a of after.splice(0)) await a();
});
const policy = (team: string, limit = '50.00') => ({ [`${team}.yaml`]: `team: ${team}\nbudgets:\n  projects:\n    main: { limit: "${limit}", period: monthly }\n` });
const job = (id: string, team = 'slots'): JobInput => ({ id, team, project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a fox' });

it("bounds each model's concurrent provider tasks, so jobs wait instead of hitting the provider's limit", async () => {
  const p = await startPipeline({ policies: policy('slots'), kling: { concurrencyLimit: 2, latencyMs: 60 }, workers: { modelConcurrency: 2 } });
  open.push(p);
  const handles = await p.client.enqueueMany(Array.from({ length: 12 }, (_, i) => job(`slot-${i}`)));
  const results = await Promise.all(handles.map((h) => h.result()));
  expect(results.map((r) => r.state)).toEqual(Array(12).fill('completed'));
  // Never over the limit: no create was ever refused with 1303 (each job created its task once).
  for (let i = 0; i < 12; i++) expect([i, p.kling.createsFor(externalTaskId(internalJobId('slots', `slot-${i}`), 'kling-3.0'))]).toEqual([i, 1]);
  expect(results.every((r) => r.state === 'completed' && r.fellBackFrom.length === 0)).toBe(true);
});

it("Kling's unsigned callbacks finish a job long before a poll would; forged ones change nothing", async () => {
  const port = await freePort();
  const p = await startPipeline({
    policies: policy('hooks'),
    // Unsigned, as Kling sends them. Two seconds from create to the end leaves time for a forgery.
    kling: { latencyMs: 2000 },
    workers: {
      // Polls are an hour apart: only a callback can finish this job within the test.
      poll: { intervalMs: 3_600_000, maxIntervalMs: 3_600_000 },
      callback: { port, publicUrl: `http://127.0.0.1:${port}/callbacks/kling` },
    },
  });
  open.push(p);
  const handle = await p.client.enqueue(job('hook-1', 'hooks'));
  await expect.poll(() => p.kling.tasks().length, { timeout: 60_000, interval: 10 }).toBe(1);
  const url = p.kling.tasks()[0]!.callbackUrl!;
  expect(url).toMatch(new RegExp(`^http://127.0.0.1:${port}/callbacks/kling/${externalTaskId(internalJobId('hooks', 'hook-1'), 'kling-3.0').replace(/\./g, '\\.')}/[\\w-]{32}$`));
  const post = (to: string, body: unknown) => fetch(to, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const forgery = { task_id: 'x', task_status: 'succeed', final_unit_deduction: '99999', task_info: { external_task_id: externalTaskId(internalJobId('hooks', 'hook-1'), 'kling-3.0') } };
  // A stranger's POST, without the task's token or with a wrong one, is refused before any work.
  expect((await post(`http://127.0.0.1:${port}/callbacks/kling`, forgery)).status).toBe(404);
  expect((await post(url.replace(/[\w-]{32}$/, 'A'.repeat(32)), forgery)).status).toBe(404);
  // Even at the task's own URL, a callback only wakes the follow-up, which reads Kling itself.
  expect((await post(url, forgery)).status).toBe(204);
  const r = await handle.result();
  expect(r).toMatchObject({ state: 'completed', actualCost: '0.375', charged: '0.375' });
  expect(p.kling.callbacksSent()).toBeGreaterThanOrEqual(1);
  expect(await p.client.budgets.show({ team: 'hooks', project: 'main' })).toMatchObject({ spent: '0.375', reserved: '0.00' });
});

it('reloads policies without a restart', async () => {
  const p = await startPipeline({ policies: policy('before') });
  open.push(p);
  expect((await (await p.client.enqueue(job('r-1', 'later'))).decision()).reasons).toEqual(['team later has no policy']);
  writeFileSync(join(p.policiesDir, 'later.yaml'), policy('later')['later.yaml']!);
  await p.workers.reloadPolicies(); // SIGHUP: the directory applied again, then Redis read
  expect(await p.client.budgets.show({ team: 'later', project: 'main' })).toMatchObject({ limit: '50.00' });
  expect((await (await p.client.enqueue(job('r-2', 'later'))).result()).state).toBe('completed');
  writeFileSync(join(p.policiesDir, 'broken.yaml'), 'team: [');
  await p.workers.reloadPolicies(); // a bad file keeps the policies in force
  expect((await (await p.client.enqueue(job('r-3', 'later'))).result()).state).toBe('completed');
});

it('workers carry on after Redis goes away and comes back', async () => {
  const redis = await startRedisServer({ appendonly: true });
  after.push(() => redis.stop());
  const p = await startPipeline({ policies: policy('outage'), workers: { redisUrl: redis.url }, redisUrl: redis.url });
  open.push(p);
  expect((await (await p.client.enqueue(job('o-1', 'outage'))).result()).state).toBe('completed');
  await redis.kill();
  const back = await startRedisServer({ appendonly: true, port: redis.port, dir: redis.dir });
  after.push(() => back.stop());
  const r = await (await p.client.enqueue(job('o-2', 'outage'))).result();
  expect(r.state).toBe('completed');
  expect(await p.client.budgets.show({ team: 'outage', project: 'main' })).toMatchObject({ spent: '0.75', reserved: '0.00' });
});

it('a job whose task the provider accepted but cannot report ends failed, its money held for reconciliation, not released', async () => {
  // A provider that accepts the create and then answers status queries with nonsense.
  const { default: Fastify } = await import('fastify');
  const broken = Fastify();
  broken.post('/v1/videos/:endpoint', async () => ({ code: 0, data: { task_id: 't1', task_status: 'submitted' } }));
  broken.get('/v1/videos/:endpoint/:id', async () => ({ code: 0, data: { task_id: 't1', task_status: 'exploded' } }));
  await broken.listen({ port: 0, host: '127.0.0.1' });
  after.push(() => broken.close());
  const p = await startPipeline({
    policies: policy('broken'),
    providerUrl: `http://127.0.0.1:${(broken.server.address() as { port: number }).port}`,
    workers: { generateAttempts: { attempts: 2, backoffMs: 10 }, leaseMs: 300, reaperIntervalMs: 50 },
  });
  open.push(p);
  const r = await (await p.client.enqueue(job('sys-1', 'broken'))).result();
  expect(r).toMatchObject({ state: 'failed' });
  expect(r.state === 'failed' && r.reason).toMatch(/task_status/);
  // The provider may still bill the task it accepted: the money stays held, and the job waits
  // for reconciliation. The reaper renews the lease (an extend in the audit) instead of expiring it.
  expect(r).toMatchObject({ settlement: 'held-for-reconciliation' });
  expect((await p.workers.unsettled.list()).map((u) => u.id)).toEqual([internalJobId('broken', 'sys-1')]);
  await expect.poll(async () => (await p.workers.ledger.audit('broken')).filter((e) => e.op === 'extend').length, { timeout: 60_000, interval: 50 }).toBeGreaterThan(1);
  expect((await p.workers.ledger.audit('broken')).map((e) => e.op)).not.toContain('expired');
  expect(await p.client.budgets.show({ team: 'broken', project: 'main' })).toMatchObject({ reserved: '0.375', spent: '0.00' });
});

it('a graceful stop lets the active jobs finish before it returns', async () => {
  // The provider's clock stands still until the test moves it: no task can finish before then.
  // Every request reads it, so its reads count the generators' polls.
  let now = Date.now();
  let reads = 0;
  const clock = () => (reads++, now);
  const p = await startPipeline({ policies: policy('graceful'), kling: { latencyMs: 1000, clock } });
  open.push(p);
  const handles = await p.client.enqueueMany(Array.from({ length: 5 }, (_, i) => job(`g-${i}`, 'graceful')));
  await expect.poll(() => p.kling.tasks().length, { timeout: 60_000, interval: 10 }).toBe(5);
  let closed = false;
  const closing = p.workers.close(60_000).then(() => (closed = true)); // must return only once the five jobs are settled
  // The generators go on polling their unfinished tasks after the stop began, and the stop waits.
  const readsAtStop = reads;
  await expect.poll(() => reads - readsAtStop, { timeout: 60_000, interval: 10 }).toBeGreaterThanOrEqual(10);
  expect(closed).toBe(false);
  now += 1000; // the tasks finish
  await closing;
  const shown = await Promise.all(handles.map((h) => p.client.show(h.team, h.id)));
  expect(shown.map((s) => [s!.generate, s!.result?.state])).toEqual(Array(5).fill(['completed', 'completed']));
  expect(await p.client.budgets.show({ team: 'graceful', project: 'main' })).toMatchObject({ spent: '1.875', reserved: '0.00' }); // 5 × 0.375
});

it('a job whose reservation was given back while it waited is never submitted to the provider', async () => {
  const p = await startPipeline({ policies: policy('waited'), workers: { generator: false } });
  open.push(p);
  const h = await p.client.enqueue(job('w-1', 'waited'));
  expect((await h.decision()).outcome).toBe('admit');
  // As a lease that ran out would: the money goes back before any generator has taken the job.
  await p.workers.ledger.release({ reservationId: internalJobId('waited', 'w-1'), reason: 'test: given back while queued' });
  await p.startMoreWorkers({ router: false, generator: true });
  const r = await h.result();
  expect(r).toMatchObject({ state: 'failed', charged: null });
  expect(r.state === 'failed' && r.reason).toBe('the reservation is released, so nothing was submitted to the provider');
  expect(p.kling.tasks()).toHaveLength(0);
  expect(await p.client.budgets.show({ team: 'waited', project: 'main' })).toMatchObject({ spent: '0.00', reserved: '0.00' });
});

it("settles from the team's own rate card file, named relative to its policy, when the provider sends no billing record", async () => {
  const builtIn = JSON.parse(readFileSync(new URL('../../src/pricing/cards/hf-forum-2026-04.json', import.meta.url), 'utf8'));
  const house = { ...builtIn, id: 'house-2026-11' };
  house.products[0].pricing.rates['720p'].silent = '0.200'; // kling-3.0 720p silent: 5 s = 1.00
  const p = await startPipeline({
    policies: {
      'house.yaml': `team: house\nrateCard: cards/house.json\nbudgets:\n  projects:\n    main: { limit: "10.00", period: monthly }\n`,
      'cards/house.json': JSON.stringify(house),
    },
    workers: { kling: { credentials: { apiKey: 'e2e' }, unitPrice: undefined } }, // no billing record: the output duration is priced
  });
  open.push(p);
  const r = await (await p.client.enqueue(job('h-1', 'house'))).result();
  expect(r).toMatchObject({ state: 'completed', billing: 'duration', estimatedCost: '1.00', actualCost: '1.00', variance: '0.00' });
  expect(r.decision.rateCard).toBe('house-2026-11');
  expect(await p.client.budgets.show({ team: 'house', project: 'main' })).toMatchObject({ spent: '1.00', reserved: '0.00' });
});

it('a video whose length is missing or unpriceable settles at the length asked, never stuck unsettled', async () => {
  const p = await startPipeline({ policies: policy('lengths'), workers: { kling: { credentials: { apiKey: 'e2e' }, unitPrice: undefined } } });
  open.push(p);
  const withLength = (id: string, reportedDuration: string | null): JobInput => ({ ...job(id, 'lengths'), input: { x_fake: { reportedDuration } } });
  const results = await Promise.all([withLength('len-none', null), withLength('len-30', '30.000')].map(async (j) => (await p.client.enqueue(j)).result()));
  expect(results.map((r) => (r.state === 'rejected' ? [r.id, r.state] : [r.id, r.state, r.billing, r.outputSeconds, r.actualCost]))).toEqual([
    ['len-none', 'completed', 'duration', null, '0.375'],
    ['len-30', 'completed', 'duration', 30, '0.375'],
  ]);
  expect(await p.client.budgets.show({ team: 'lengths', project: 'main' })).toMatchObject({ spent: '0.75', reserved: '0.00' });
});
