// Found by the chaos suite (seed 881380995): a job whose commit was written but whose completion
// BullMQ lost (a Redis restart, a lapsed lock) runs again. The re-run follows its saved task and,
// renewing the lease on the way, finds the reservation committed: that is its own earlier run's
// settlement, not a reservation given back. It must follow the task to its end (the commit then
// replays), not fail the job and hold money that is no longer held.
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import type { Job as BullJob } from 'bullmq';
import { Job } from '../../../src/job.js';
import { createLedger } from '../../../src/ledger/index.js';
import { startFakeKling } from '../../../src/providers/fake-kling/server.js';
import { KlingAdapter } from '../../../src/providers/kling/adapter.js';
import { loadRateCard } from '../../../src/pricing/rate-cards.js';
import { runTask } from '../../../src/queue/generate/run-task.js';
import type { GeneratorDeps } from '../../../src/queue/generate/deps.js';
import type { GenerateData } from '../../../src/queue/records.js';
import { AccountScheduler } from '../../../src/queue/scheduler/account.js';
import { CancelGate } from '../../../src/queue/cancel-gate.js';
import { ModelSlots } from '../../../src/queue/slots.js';
import { connect, redisUrl, uniquePrefix } from '../../helpers/redis.js';

const open: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c();
});

it('a re-run that finds its reservation committed by its earlier run follows the task to its end', async () => {
  const prefix = uniquePrefix('rerun');
  const kling = await startFakeKling({ latencyMs: 600, apiKey: 'k' });
  open.push(() => kling.close());
  const redis = connect();
  open.push(async () => redis.quit());
  const ledger = createLedger({ redis: redisUrl(), prefix });
  open.push(() => ledger.close());
  await ledger.setBudget({ team: 'rr', project: 'main', limit: '10', period: 'monthly' });
  const job = Job.parse({ team: 'rr', project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a fox' });
  const provider = new KlingAdapter({ baseUrl: kling.url, credentials: { apiKey: 'k' }, unitPrice: '1' });

  // The earlier run: reserved, created the task, saved it, committed the bill; its completion was lost.
  expect((await ledger.reserve({ reservationId: 'rr-1', team: 'rr', project: 'main', candidates: [{ cost: '0.30' }] })).status).toBe('reserved');
  const handle = await provider.submit(job, 'vg-rr-1.kling-3.0');
  expect((await ledger.commit({ reservationId: 'rr-1', actual: '0.30' })).status).toBe('committed');

  // The re-run, renewing the lease at every poll (a lease of 4 ms) while the task still runs.
  const deps: GeneratorDeps = {
    ledger,
    providerFor: () => provider,
    slots: new ModelSlots(redis, prefix, () => 10),
    scheduler: new AccountScheduler(redis, prefix),
    gate: new CancelGate(redis, prefix),
    parkMs: 60_000,
    leaseMs: 4,
    maxSlotWaitMs: 1000,
    slotRetryMs: 10,
    poll: { intervalMs: 20, maxIntervalMs: 40, timeoutMs: 60_000 },
    holdForReconciliation: async () => {
      throw new Error('nothing may be held');
    },
    cardFor: async () => loadRateCard(),
    log: pino({ level: 'silent' }),
  };
  const data = { id: 'rr-1', variant: job, rateCard: 'hf-forum-2026-04', current: { model: 'kling-3.0', externalId: handle.externalId, taskId: handle.taskId, route: handle.route } } as unknown as GenerateData;
  const event = await runTask(deps, { bull: { attemptsMade: 1 } as BullJob<GenerateData>, data: () => data, save: async () => {} }, job, handle.externalId);
  expect(event).toMatchObject({ type: 'task-ended', task: { status: 'succeeded', handle: { taskId: handle.taskId } } });
  // The commit replays its first answer: nothing is charged twice.
  const again = await ledger.commit({ reservationId: 'rr-1', actual: '0.30' });
  expect(again).toMatchObject({ status: 'committed', replayed: true });
  expect(await ledger.getBudget({ team: 'rr', project: 'main' })).toMatchObject({ spent: '0.30', reserved: '0.00' });
  expect(kling.tasks()).toHaveLength(1);
});
