// Several processes dispatching on one account at once: the account's limit and a team's
// maxConcurrent hold at every start, by the account's own record of starts and ends.
import { afterAll, expect, it } from 'vitest';
import { AccountScheduler } from '../../../src/queue/scheduler/account.js';
import { startNode } from '../../helpers/processes.js';
import { connect, redisUrl, uniquePrefix } from '../../helpers/redis.js';
import { readEvents, replay } from '../../helpers/schedule-log.js';

const FIXTURE = new URL('../../fixtures/scheduler-worker.mjs', import.meta.url).pathname;
const redis = connect();
const prefix = uniquePrefix('sched-procs');
const s = new AccountScheduler(redis, prefix, 'kling', { eventsMaxLen: 100_000 });
afterAll(async () => {
  await redis.del(...s.keys.all);
  redis.disconnect();
});

it('maxConcurrent and the account limit are never exceeded across four processes', async () => {
  const limit = 6;
  const enqueued = [];
  for (let i = 0; i < 300; i++) enqueued.push(s.enqueue({ id: `c${i}`, team: 'capped', stage: 'production', share: 10, maxConcurrent: 3 }));
  for (let i = 0; i < 300; i++) enqueued.push(s.enqueue({ id: `o${i}`, team: 'open', stage: 'production', share: 1 }));
  await Promise.all(enqueued);
  const procs = [1, 2, 3, 4].map((seed) => startNode(FIXTURE, [JSON.stringify({ url: redisUrl(), prefix, limit, dispatches: 120, seed })]));
  const lines = await Promise.all(procs.map((p) => p.firstLine));
  expect(await Promise.all(procs.map((p) => p.exited))).toEqual([0, 0, 0, 0]);
  expect(lines.map((l) => JSON.parse(l).taken)).toEqual([120, 120, 120, 120]);

  const { starts, violations, maxHeld } = replay(await readEvents(redis, s), { capped: 10, open: 1 }, { capped: 3 });
  expect(starts).toHaveLength(480);
  expect(violations).toEqual([]);
  expect(Math.max(...starts.map((x) => x.running.get('capped') ?? 0))).toBe(3); // reached, never passed
  expect(maxHeld).toBeLessThanOrEqual(limit);
  expect(maxHeld).toBe(limit);
  expect((await s.usage()).held).toBe(0); // every slot came back
}, 60_000);
