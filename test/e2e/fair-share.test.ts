// Fair share of the provider account through the whole flow: real Redis, the router and generators,
// the Kling adapter over HTTP against the local Kling server. Assertions are on the account's
// recorded start and end events, never on wall-clock timing.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../scripts/redis-server.js';
import type { JobInput } from '../../src/job.js';
import { createClient } from '../../src/queue/client.js';
import { AccountScheduler } from '../../src/queue/scheduler/account.js';
import { startFakeKling } from '../../src/providers/fake-kling/server.js';
import { BIN } from '../helpers/cli.js';
import { policyDir, startPipeline } from '../helpers/pipeline.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { connect, uniquePrefix } from '../helpers/redis.js';
import { readEvents, replay, slotShare } from '../helpers/schedule-log.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const policy = (team: string, extra = '') => `team: ${team}
budgets:
  projects:
    main: { limit: "100000.00", period: monthly }
${extra}`;
const job = (team: string, id: string): JobInput => ({ id, team, project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a clip' });

describe('fair share through the workers', () => {
  it("a flood of 2000 jobs, then another team's ten: each of them starts within a slot turnover while the flood runs, and the slots split by share", async () => {
    const p = await startPipeline({
      policies: { 'flood.yaml': policy('flood'), 'shot.yaml': policy('shot') },
      kling: { latencyMs: 120 },
      workers: { accountConcurrency: 4, concurrency: { router: 50, generator: 8 } },
    });
    cleanups.push(() => p.close());
    const redis = connect();
    cleanups.push(() => redis.disconnect());
    const account = new AccountScheduler(redis, p.prefix);
    await p.client.enqueueMany(Array.from({ length: 2000 }, (_, i) => job('flood', `f${i}`)));
    const shots = await p.client.enqueueMany(Array.from({ length: 10 }, (_, i) => job('shot', `s${i}`)));
    const results = await Promise.all(shots.map((h) => h.result()));
    expect(results.map((r) => r.state)).toEqual(Array(10).fill('completed'));

    const { starts, violations } = replay(await readEvents(redis, account), { flood: 1, shot: 1 });
    expect(violations).toEqual([]);
    const shot = starts.filter((x) => x.team === 'shot');
    expect(shot).toHaveLength(10);
    // The first took the first slot that freed after it was ready, or a free one.
    expect(shot[0]!.endsSinceReady).toBeLessThanOrEqual(1);
    // No flood job ever took a slot while `shot` had a job ready and held fewer slots than the flood
    // (equal shares): each of its jobs took the first slot that freed once its team was below its share.
    const overtaken = starts.filter((x) => x.team === 'flood' && (x.waitingBefore.get('shot') ?? 0) > 0 && (x.running.get('flood') ?? 0) - 1 > (x.running.get('shot') ?? 0));
    expect(overtaken).toEqual([]);
    const window = starts.filter((x) => x.endsBefore > shot[1]!.endsBefore && x.endsBefore <= shot.at(-1)!.endsBefore);
    expect(window.length).toBeGreaterThan(8);
    expect(Math.abs(slotShare(window, 'shot') - 0.5) / 0.5).toBeLessThanOrEqual(0.1);
    // The flood was still running: most of it had not started.
    expect((await account.usage()).waiting.get('flood')).toBeGreaterThan(1000);
    // A flood job's standing: its place in its team's line and an estimate from the tasks so far.
    const last = await p.client.show('flood', 'f1999');
    expect(last?.standing).toMatchObject({ account: 'kling', state: 'waiting', accountLimit: 4 });
    expect(last!.standing!.position).toBeGreaterThan(900);
    expect(Date.parse(last!.standing!.estimatedStart!)).toBeGreaterThan(Date.now());
  }, 120_000);

  it('a worker killed and Redis restarted mid-flood: every job ends once, no slot leaks, and the cap holds', async () => {
    const redisServer = await startRedisServer({ appendonly: true });
    cleanups.push(() => redisServer.stop());
    const kling = await startFakeKling({ latencyMs: 400, apiKey: 'fair' });
    cleanups.push(() => kling.close());
    const dir = policyDir({ 'a.yaml': policy('a'), 'b.yaml': policy('b', 'scheduling: { share: 3, maxConcurrent: 2 }\n') });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const prefix = uniquePrefix('fair-crash');
    const worker = () =>
      startWorkerProcess({
        bin: BIN,
        policiesDir: dir,
        prefix,
        redis: { REDIS_URL: redisServer.url },
        kling: { url: kling.url, apiKey: 'fair' },
        args: ['--poll-ms', '20', '--concurrency', '8', '--account-concurrency', '4', '--slot-lease-ms', '10000', '--lock-ms', '3000'],
        cleanups,
      });

    const first = worker();
    const second = worker();
    await Promise.all([first.firstLine, second.firstLine]);
    const client = createClient({ redis: redisServer.url, prefix });
    cleanups.push(() => client.close());
    const handles = await client.enqueueMany([...Array.from({ length: 40 }, (_, i) => job('a', `a${i}`)), ...Array.from({ length: 20 }, (_, i) => job('b', `b${i}`))]);

    await expect.poll(() => kling.tasks().length, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(8);
    first.child.kill('SIGKILL'); // it held slots with tasks running
    await first.exited;
    await redisServer.kill();
    const back = await startRedisServer({ appendonly: true, port: redisServer.port, dir: redisServer.dir });
    cleanups.unshift(() => back.stop()); // after the workers have stopped
    const third = worker();
    await third.firstLine;

    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results.map((r) => r.state)).toEqual(Array(60).fill('completed'));
    expect(kling.tasks()).toHaveLength(60); // none ran twice

    const redis = connect(back.url);
    cleanups.push(() => redis.disconnect());
    const account = new AccountScheduler(redis, prefix);
    // Every slot came back: nothing held, nothing waiting, and the account gives all four again.
    await expect.poll(async () => (await account.usage()).held, { timeout: 20_000, interval: 50 }).toBe(0);
    expect(await account.usage()).toEqual({ held: 0, running: new Map(), waiting: new Map() });
    const { maxHeld, starts } = replay(await readEvents(redis, account), { a: 1, b: 3 }, { b: 2 });
    expect(Math.max(...starts.map((x) => x.running.get('b') ?? 0))).toBeLessThanOrEqual(2);
    // A re-delivered job renews its slot before the slot's lease lapses (it outlasts BullMQ's lock).
    expect(maxHeld).toBeLessThanOrEqual(4);
    // With the workers stopped (gracefully), the account still gives all four slots.
    for (const w of [second, third]) w.child.kill('SIGTERM');
    expect(await Promise.all([second.exited, third.exited])).toEqual([0, 0]);
    for (let i = 0; i < 5; i++) await account.enqueue({ id: `probe-${i}`, team: 'probe', stage: 'production' });
    expect(await account.dispatch(4, 10)).toHaveLength(4);
  }, 120_000);
});
