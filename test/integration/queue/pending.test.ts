// The reaper's keep rule against real BullMQ queues: a reservation outlives its lease while its
// job may still run, and goes back once the job can no longer run.
import { Queue } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import { QUEUE_GENERATE } from '../../../src/queue/names.js';
import { pendingIn } from '../../../src/queue/pending.js';
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
