// Reconciliation, the backstop for the rare paths where a bill can land outside the ledger: each
// path is forced here, `reconcile` finds it from the provider's own records and settles it, and a
// second run finds nothing more.
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { Job, priceRequestOf } from '../../src/job.js';
import { price } from '../../src/pricing/price.js';
import { KlingAdapter } from '../../src/providers/kling/adapter.js';
import { QUEUE_GENERATE, externalTaskId, internalJobId } from '../../src/queue/names.js';
import { formatMoney, money } from '../../src/money.js';
import { readPricingTerms } from '../../src/queue/records/admission.js';
import type { GenerateData } from '../../src/queue/records.js';
import { reconcile } from '../../src/reconcile/reconciler.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { bullPrefix, connect } from '../helpers/redis.js';

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const POLICY = { 'rc.yaml': 'team: rc\nbudgets:\n  projects:\n    main: { limit: "50.00", period: monthly }\n' };
const job = (over: Record<string, unknown> = {}) => ({ team: 'rc', project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a fox', ...over }) as const;

async function setup(workers: Parameters<typeof startPipeline>[0]['workers'] = {}, latencyMs = 30) {
  const p = await startPipeline({ policies: POLICY, kling: { latencyMs }, workers });
  open.push(p);
  const redis = connect();
  open.push({ close: () => redis.quit() });
  const generate = new Queue<GenerateData>(QUEUE_GENERATE, { connection: redis, prefix: bullPrefix(p.prefix) });
  open.push(generate);
  const provider = new KlingAdapter({ baseUrl: p.kling.url, credentials: { apiKey: 'e2e' }, unitPrice: '1' });
  // `by`: another provider account (one without a unit price gives tasks no billing record).
  const run = (apply: boolean, by = provider) => reconcile({ provider: by, ledger: p.workers.ledger, unsettled: p.workers.unsettled, generate, cardFor: (team, ref) => p.workers.cards.load(team, ref), apply, log: pino({ level: 'silent' }) });
  const budget = async () => p.client.budgets.show({ team: 'rc', project: 'main' });
  /** Waits until the local server says the task has ended (its bill is then final). */
  const ended = async (externalId: string) =>
    expect.poll(async () => (await provider.findByExternalId(externalId, Job.parse(job())))?.status, { timeout: 60_000, interval: 20 }).toBe('succeeded');
  return { p, provider, generate, redis, run, budget, ended };
}

it('a job whose polls ran out while its task ran is held, then committed from the bill', async () => {
  // The task takes 1.5 s; the generator gives up polling after 50 ms, twice.
  const { p, run, budget, ended } = await setup({ poll: { intervalMs: 10, maxIntervalMs: 20, timeoutMs: 50 }, generateAttempts: { attempts: 2, backoffMs: 10 } }, 1500);
  const r = await (await p.client.enqueue(job({ id: 'slow-1' }))).result();
  expect(r).toMatchObject({ state: 'failed', settlement: 'held-for-reconciliation' });
  const [held] = await p.workers.unsettled.list();
  expect(held).toBeDefined();
  // The reservation keeps what prices the task, for a reconciliation after the generate job is gone.
  expect(readPricingTerms((await p.workers.ledger.inspect(held!.id))!.terms)).toMatchObject({ request: { model: 'kling-3.0', resolution: '720p', durationSeconds: 5, audio: false } });
  expect(await budget()).toMatchObject({ reserved: '0.375', spent: '0.00' });
  await ended(held!.externalId!);

  const found = await run(true);
  expect(found.findings).toEqual([{ kind: 'held-task-ended', jobId: held!.id, billed: '0.375' }]);
  expect(found.settled).toEqual([{ jobId: held!.id, action: 'committed', amount: '0.375' }]);
  expect(await budget()).toMatchObject({ reserved: '0.00', spent: '0.375' });
  expect(await p.workers.unsettled.list()).toEqual([]);
  expect((await run(true)).findings).toEqual([]);
});

it('a task billed after its reservation went back is charged; a commit that differs from the bill is corrected', async () => {
  const { p, provider, run, budget, ended } = await setup();
  const ledger = p.workers.ledger;
  const submit = async (id: string) => {
    await ledger.reserve({ reservationId: id, team: 'rc', project: 'main', candidates: [{ cost: '0.375' }] });
    const ext = externalTaskId(id, 'kling-3.0');
    await provider.submit(Job.parse(job()), ext);
    await ended(ext);
  };
  // A worker that died between create and record: the reaper gave the money back, the provider billed.
  await submit('leak-released');
  await ledger.release({ reservationId: 'leak-released', reason: 'lease expired' });
  // A commit of the wrong amount (an estimate, say, where the provider's record says otherwise).
  await submit('leak-differs');
  await ledger.commit({ reservationId: 'leak-differs', actual: '0.10' });
  expect(await budget()).toMatchObject({ spent: '0.10', reserved: '0.00' });

  const report = await run(false);
  expect(report.findings).toEqual(
    expect.arrayContaining([
      { kind: 'billed-outside-ledger', jobId: 'leak-released', billed: '0.375', charged: '0.00', ledger: 'released' },
      { kind: 'amount-differs', jobId: 'leak-differs', billed: '0.375', charged: '0.10' },
    ]),
  );
  expect(report.findings).toHaveLength(2);
  expect(await budget()).toMatchObject({ spent: '0.10' }); // a report changes nothing

  const applied = await run(true);
  expect(applied.settled).toEqual(
    expect.arrayContaining([
      { jobId: 'leak-released', action: 'charged', amount: '0.375' },
      { jobId: 'leak-differs', action: 'charged', amount: '0.275' },
    ]),
  );
  // What the ledger spent is now what the provider billed: 0.375 + 0.375.
  expect(await budget()).toMatchObject({ spent: '0.75', reserved: '0.00' });
  expect((await run(true)).findings).toEqual([]);
  expect(await budget()).toMatchObject({ spent: '0.75' }); // and a second run charges nothing twice
  expect((await ledger.audit('rc')).filter((e) => e.op === 'reconcile').map((e) => e.fields.amount).sort()).toEqual(['0.275', '0.375']);
});

it("after a job's generate job aged out, its tasks are priced by the terms its reservation kept", async () => {
  const { p, generate, run, budget } = await setup();
  // A provider account without a unit price: its tasks carry no billing record, so they are priced.
  const provider = new KlingAdapter({ baseUrl: p.kling.url, credentials: { apiKey: 'e2e' } });
  const handle = await p.client.enqueue(job({ id: 'aged-1', durationSeconds: 7 }));
  expect(await handle.result()).toMatchObject({ state: 'completed', actualCost: '0.525' });
  const id = internalJobId('rc', 'aged-1');
  // A second task of the job: the fallback model's create whose answer never came back, billed all the same.
  const orphan = externalTaskId(id, 'kling-o3');
  const o3 = Job.parse(job({ model: 'kling-o3', durationSeconds: 7 }));
  await provider.submit(o3, orphan);
  await expect.poll(async () => (await provider.findByExternalId(orphan, o3))?.status, { timeout: 60_000, interval: 20 }).toBe('succeeded');
  // A day later BullMQ has removed the generate job, and with it the admission.
  await (await generate.getJob(id))!.remove();
  const report = await run(true, provider);
  expect(report.findings).toEqual([{ kind: 'amount-differs', jobId: id, billed: expect.any(String), charged: '0.525' }]);
  const billed = money(report.findings[0]!.kind === 'amount-differs' ? report.findings[0]!.billed : '0');
  // Each task priced on the job's card by the output length the provider reports: the job's own
  // (kling-3.0) and the orphan (kling-o3, the task's own model).
  const card = await p.workers.cards.load('rc', readPricingTerms((await p.workers.ledger.inspect(id))!.terms)!.card);
  const cost = async (externalId: string, j: Job) => {
    const output = (await provider.findByExternalId(externalId, j))!.outputs[0]!;
    return price({ ...priceRequestOf(j), durationSeconds: output.durationSeconds! }, card).cost;
  };
  const expected = (await cost(externalTaskId(id, 'kling-3.0'), Job.parse(job({ durationSeconds: 7 })))).plus(await cost(orphan, o3));
  expect([billed.toString(), billed.eq(expected)]).toEqual([billed.toString(), true]);
  expect(billed.gt(money('0.525'))).toBe(true);
  expect(await budget()).toMatchObject({ spent: formatMoney(billed) });
  expect((await run(true, provider)).findings).toEqual([]);
});

it('jobs settled normally agree with the provider: nothing to reconcile', async () => {
  const { p, run } = await setup();
  const results = await Promise.all((await p.client.enqueueMany([job({ id: 'ok-1' }), job({ id: 'ok-2', durationSeconds: 7 })])).map((h) => h.result()));
  expect(results.map((r) => r.state)).toEqual(['completed', 'completed']);
  const report = await run(true);
  expect(report).toMatchObject({ jobs: 2, findings: [], settled: [] });
});

it("a commit's overrun (billed past the budget's headroom) stays an overrun: reconciliation does not charge it again", async () => {
  const { p, provider, run, ended } = await setup();
  const ledger = p.workers.ledger;
  await ledger.setBudget({ team: 'rc', project: 'tight', limit: '0.20', period: 'monthly' });
  await ledger.reserve({ reservationId: 'over-1', team: 'rc', project: 'tight', candidates: [{ cost: '0.10' }] });
  const ext = externalTaskId('over-1', 'kling-3.0');
  await provider.submit(Job.parse(job({ project: 'tight' })), ext);
  await ended(ext);
  // The provider billed 0.375; the budget had room for 0.20 of it.
  expect(await ledger.commit({ reservationId: 'over-1', actual: '0.375' })).toMatchObject({ charged: '0.20', overrun: '0.175' });
  expect((await run(true)).findings).toEqual([]);
  expect(await p.client.budgets.show({ team: 'rc', project: 'tight' })).toMatchObject({ spent: '0.20', reserved: '0.00' });
});

it('a task still running whose reservation went back is reported, and settled only once it ends', async () => {
  const { p, provider, run, budget, ended } = await setup({}, 1500);
  const ledger = p.workers.ledger;
  await ledger.reserve({ reservationId: 'run-1', team: 'rc', project: 'main', candidates: [{ cost: '0.375' }] });
  const ext = externalTaskId('run-1', 'kling-3.0');
  await provider.submit(Job.parse(job()), ext);
  await ledger.release({ reservationId: 'run-1', reason: 'lease expired' });
  const running = await run(true);
  expect(running.findings).toEqual([{ kind: 'running-without-reservation', jobId: 'run-1', ledger: 'released' }]);
  expect(running.settled).toEqual([{ jobId: 'run-1', action: 'none', amount: '0' }]);
  expect(await budget()).toMatchObject({ spent: '0.00' });
  await ended(ext);
  expect((await run(true)).settled).toEqual([{ jobId: 'run-1', action: 'charged', amount: '0.375' }]);
  expect(await budget()).toMatchObject({ spent: '0.375' });
});

// Found by the chaos suite (seed 881380995): a job that committed, lost its completion, ran again
// and was held leaves a hold on a reservation the ledger settled long ago; reconciliation lifts it.
it('a job held for reconciliation whose reservation is already committed as billed: the hold is cleared, no money moves', async () => {
  const { p, provider, run, budget, ended } = await setup();
  const ledger = p.workers.ledger;
  await ledger.reserve({ reservationId: 'held-done', team: 'rc', project: 'main', candidates: [{ cost: '0.375' }] });
  const ext = externalTaskId('held-done', 'kling-3.0');
  await provider.submit(Job.parse(job()), ext);
  await ended(ext);
  await ledger.commit({ reservationId: 'held-done', actual: '0.375' });
  await p.workers.unsettled.add('held-done', ext, 'reservation is committed while its task runs');

  const applied = await run(true);
  expect(applied.findings).toEqual([{ kind: 'held-already-settled', jobId: 'held-done', billed: '0.375', ledger: 'committed' }]);
  expect(applied.settled).toEqual([{ jobId: 'held-done', action: 'cleared', amount: '0' }]);
  expect(await p.workers.unsettled.list()).toEqual([]);
  expect(await budget()).toMatchObject({ spent: '0.375', reserved: '0.00' });
  expect((await run(true)).findings).toEqual([]);
});
