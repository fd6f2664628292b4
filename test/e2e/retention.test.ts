// A finished job's records carry the retention the settings give them: BullMQ's removal ages on
// both jobs, TTLs on the reservation, its locator and the cancel claim; and the decision Redis
// keeps is the compact one, read back whole by the client.
import { Job as BullJob, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/defaults.js';
import { workerConnection } from '../../src/queue/connection.js';
import { internalJobId, QUEUE_GENERATE, QUEUE_INTAKE } from '../../src/queue/names.js';
import type { RedisConnection } from '../../src/redis-connection.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { bullPrefix, redisTarget } from '../helpers/redis.js';

const policies = { 'keep.yaml': `team: keep\nbudgets:\n  projects:\n    main: { limit: "20.00", period: monthly }\n    tight: { limit: "0.10", period: monthly }\n` };
const job = { team: 'keep', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a quiet harbour' } as const;

let p: Pipeline;
let redis: RedisConnection;
let intake: Queue;
let generate: Queue;
beforeAll(async () => {
  p = await startPipeline({ policies });
  redis = workerConnection(redisTarget());
  intake = new Queue(QUEUE_INTAKE, { connection: redis, prefix: bullPrefix(p.prefix) });
  generate = new Queue(QUEUE_GENERATE, { connection: redis, prefix: bullPrefix(p.prefix) });
});
afterAll(async () => {
  await intake?.close();
  await generate?.close();
  redis?.disconnect();
  await p?.close();
});

const completed = { age: DEFAULTS.completedJobRetentionMs / 1000, count: DEFAULTS.finishedJobsKept };
const failed = { age: DEFAULTS.failedJobRetentionMs / 1000, count: DEFAULTS.finishedJobsKept };

/** A key's TTL in ms (negative: none, or no key). */
const ttl = (key: string) => redis.pttl(key);

describe('retention of a finished job', () => {
  it('an admitted job: its intake and generate jobs removed a day after completing (a week after failing), its reservation (with the terms its tasks are priced by) and locator after eight days; the claim longer than any', async () => {
    const r = await (await p.client.enqueue({ ...job, id: 'kept-1', project: 'main' })).result();
    expect(r.state).toBe('completed');
    const id = internalJobId('keep', 'kept-1');
    const decided = (await BullJob.fromId(intake, id))!;
    expect([decided.opts.removeOnComplete, decided.opts.removeOnFail]).toEqual([completed, failed]);
    const generated = (await BullJob.fromId(generate, id))!;
    expect([generated.opts.removeOnComplete, generated.opts.removeOnFail]).toEqual([completed, failed]);
    expect(completed.age).toBe(86_400);
    const keys = p.workers.ledger.keys;
    for (const key of [keys.reservation('keep', id), keys.locator(id)]) {
      const left = await ttl(key);
      expect([key, left > DEFAULTS.reservationRetentionMs - 60_000 && left <= DEFAULTS.reservationRetentionMs]).toEqual([key, true]);
    }
    // Reconciliation prices the job's tasks by the terms its reservation keeps once the generate job is gone.
    expect(await redis.hmget(keys.reservation('keep', id), 'pr', 'pc')).toEqual(['3|t|720p|0|5||', generated.data.rateCard]);
    // The claim outlives the longest-kept record of the job (its failed jobs', its reservation's).
    const gate = await ttl(`${p.prefix}:{keep}:gate:${id}`);
    expect(gate > DEFAULTS.reservationRetentionMs && gate > DEFAULTS.failedJobRetentionMs && gate <= DEFAULTS.cancelGateRetentionMs).toBe(true);
    expect(DEFAULTS.reservationRetentionMs).toBe(8 * 86_400_000);
  });

  it("a rejected job: its intake job on the same terms, its reservation's rejection record eight days", async () => {
    const r = await (await p.client.enqueue({ ...job, id: 'kept-2', project: 'tight' })).result();
    expect(r).toMatchObject({ state: 'rejected', decision: { code: 'insufficient-budget' } });
    const id = internalJobId('keep', 'kept-2');
    const finished = (await BullJob.fromId(intake, id))!;
    expect([finished.opts.removeOnComplete, finished.opts.removeOnFail]).toEqual([completed, failed]);
    expect(await BullJob.fromId(generate, id)).toBeUndefined();
    const left = await ttl(p.workers.ledger.keys.reservation('keep', id));
    expect(left > DEFAULTS.reservationRetentionMs - 60_000 && left <= DEFAULTS.reservationRetentionMs).toBe(true);
  });

  it('Redis keeps the compact decision; show() and the handle read it back whole (variant, cost, reasons with headroom)', async () => {
    const id = internalJobId('keep', 'kept-2');
    const stored = JSON.parse((await redis.hget(`${bullPrefix(p.prefix)}:${QUEUE_INTAKE}:${id}`, 'returnvalue'))!);
    expect(stored).toMatchObject({ v: 2, code: 'insufficient-budget', headroom: true });
    expect(stored).not.toHaveProperty('candidates');
    const shown = (await p.client.show('keep', 'kept-2'))!;
    expect(shown.decision!.reasons).toEqual(['no candidate fits the budget', expect.stringMatching(/^project tight \(\d{4}-\d{2}\): 0\.10 of 0\.10 available \(spent 0\.00, reserved 0\.00\)$/)]);
    const handle = p.client.handle('keep', 'kept-1');
    const decided = await handle.decision();
    expect(decided).toMatchObject({ outcome: 'admit', code: 'admitted', cost: '0.375', reserve: '0.375', chosen: { model: 'kling-3.0', resolution: '720p', durationSeconds: 5 } });
    expect((await p.client.show('keep', 'kept-1'))!.decision).toEqual(decided);
  });
});
