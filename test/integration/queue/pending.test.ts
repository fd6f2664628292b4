// The reaper's keep rule against real BullMQ queues: a reservation outlives its lease while its
// job may still run, and goes back once the job can no longer run.
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import { QUEUE_GENERATE } from '../../../src/queue/names.js';
import { heldWhenQueueFailed, keepWhile, pendingIn } from '../../../src/queue/pending.js';
import { testLedger } from '../../helpers/ledger.js';
import { connect } from '../../helpers/redis.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

it('keeps the reservation of a job still queued past its lease, and expires it once the job is gone', async () => {
  const { ledger, clock, prefix } = testLedger();
  const redis = connect();
  const generate = new Queue(QUEUE_GENERATE, { connection: redis, prefix });
  closers.push(() => ledger.close(), () => generate.close(), () => redis.quit());
  await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
  await ledger.reserve({ reservationId: 'q-1', team: 'studio', project: 'trailer', candidates: [{ cost: '4' }], leaseMs: 1000 });
  await generate.add('generate', { id: 'q-1' }, { jobId: 'q-1' });
  const keep = pendingIn([generate]);

  clock.now += 5000; // long past the lease: the job is still waiting in the queue
  expect(await ledger.expireDue({ keep, leaseMs: 60_000 })).toEqual([]);
  expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '4.00' });
  const extended = (await ledger.audit('studio')).filter((e) => e.op === 'extend');
  expect(extended.map((e) => Number(e.fields.leaseUntil))).toEqual([clock.now + 60_000]);

  await (await generate.getJob('q-1'))!.remove();
  clock.now += 61_000;
  expect((await ledger.expireDue({ keep })).map((r) => [r.reservationId, r.status])).toEqual([['q-1', 'expired']]);
  expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '0.00' });
});

// Found by the chaos suite (seed 374234505): a generate job killed twice under its worker was
// failed by BullMQ itself, the reaper expired its reservation while the task still ran at Kling,
// and reconciliation later charged the bill past the limit.
it('holds for reconciliation a job the queue failed after it began a create, and expires one that sent nothing', async () => {
  const { ledger, clock, prefix } = testLedger();
  const redis = connect();
  const generate = new Queue(QUEUE_GENERATE, { connection: redis, prefix });
  const workerRedis = connect();
  const worker = new Worker(QUEUE_GENERATE, async () => {
    throw new UnrecoverableError('job stalled more than allowable limit');
  }, { connection: workerRedis, prefix });
  closers.push(() => ledger.close(), () => worker.close(), () => generate.close(), () => redis.quit(), () => workerRedis.quit());
  await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
  for (const id of ['sent-1', 'quiet-1']) await ledger.reserve({ reservationId: id, team: 'studio', project: 'trailer', candidates: [{ cost: '3' }], leaseMs: 1000 });
  const failed = new Promise<void>((resolve) => {
    let n = 0;
    worker.on('failed', () => ++n === 2 && resolve());
  });
  await generate.add('generate', { id: 'sent-1', current: { model: 'kling-3.0', externalId: 'vg-sent-1.kling-3.0' } }, { jobId: 'sent-1' });
  await generate.add('generate', { id: 'quiet-1' }, { jobId: 'quiet-1' });
  await failed;

  const held = new Map<string, string>();
  const keep = keepWhile(pendingIn([generate]), async (id) => held.has(id), heldWhenQueueFailed(generate, async (id, externalId) => void held.set(id, externalId)));
  clock.now += 5000;
  expect((await ledger.expireDue({ keep, leaseMs: 60_000 })).map((r) => r.reservationId)).toEqual(['quiet-1']);
  expect([...held]).toEqual([['sent-1', 'vg-sent-1.kling-3.0']]);
  expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '3.00' });
});
