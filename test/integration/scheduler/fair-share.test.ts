// The provider account's fair scheduler against real Redis, driven directly: each test takes slots
// with dispatch and gives them back with release, as the generators do, and checks the account's
// own recorded events (never wall-clock timing).
import { afterEach, describe, expect, it } from 'vitest';
import { AccountScheduler } from '../../../src/queue/scheduler/account.js';
import { readEvents, replay, slotShare } from '../../helpers/schedule-log.js';
import { connect, uniquePrefix } from '../../helpers/redis.js';

const redis = connect();
const made: AccountScheduler[] = [];
afterEach(async () => {
  // Only the keys these tests made.
  for (const s of made.splice(0)) await redis.del(...s.keys.all);
});

function account(opts: { slotLeaseMs?: number } = {}) {
  const s = new AccountScheduler(redis, uniquePrefix('sched'), 'kling', { eventsMaxLen: 100_000, ...opts });
  made.push(s);
  return s;
}

/** A small seeded generator, so a failing run can be read again. */
function rng(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

async function fill(s: AccountScheduler, team: string, n: number, share: number, from = 0, extra: { maxConcurrent?: number } = {}) {
  const pipeline = [];
  for (let i = from; i < from + n; i++) pipeline.push(s.enqueue({ id: `${team}-${i}`, team, stage: 'production', share, ...extra }));
  await Promise.all(pipeline);
}

/** Ends one held job (chosen by `pick`), then lets dispatch fill the account again. */
async function turnover(s: AccountScheduler, held: string[], limit: number, pick: () => number): Promise<string[]> {
  const [gone] = held.splice(Math.floor(pick() * held.length), 1);
  expect(await s.release(gone!)).toBe('slot');
  const got = await s.dispatch(limit);
  held.push(...got);
  return got;
}

describe('fair share of an account', () => {
  it('a flood of one team does not hold back another: its first job takes the very next free slot, and the slots split by share', async () => {
    const s = account();
    const limit = 4;
    await fill(s, 'flood', 3000, 1);
    const held = await s.dispatch(limit);
    expect(held).toHaveLength(limit);
    const pick = rng(7);
    for (let i = 0; i < 20; i++) await turnover(s, held, limit, pick);
    await fill(s, 'shot', 10, 1);
    // Until every job of `shot` has started and ended.
    for (let i = 0; i < 400 && (await s.usage()).waiting.get('shot') !== undefined; i++) await turnover(s, held, limit, pick);
    for (let i = 0; i < 400 && held.some((id) => id.startsWith('shot-')); i++) await turnover(s, held, limit, pick);

    const { starts, violations } = replay(await readEvents(redis, s), { flood: 1, shot: 1 });
    expect(violations).toEqual([]);
    const shot = starts.filter((x) => x.team === 'shot');
    expect(shot).toHaveLength(10);
    expect(shot[0]!.endsSinceReady).toBe(1); // the first slot that freed
    // While `shot` had jobs waiting, it held half the slots (equal shares) within 10%.
    const window = starts.filter((x) => x.endsBefore > shot[1]!.endsBefore && x.endsBefore <= shot.at(-1)!.endsBefore);
    expect(window.length).toBeGreaterThan(8);
    expect(Math.abs(slotShare(window, 'shot') - 0.5)).toBeLessThanOrEqual(0.05);
    expect((await s.usage()).waiting.get('flood')).toBeGreaterThan(2500); // the flood still runs
  }, 60_000);

  it('shares 3:1 with both teams saturating: the split holds; one going idle hands its slots to the other at once', async () => {
    const s = account();
    const limit = 8;
    await fill(s, 'big', 600, 3);
    await fill(s, 'small', 60, 1);
    const held = await s.dispatch(limit);
    const pick = rng(11);
    for (let i = 0; i < 150; i++) await turnover(s, held, limit, pick);
    const saturated = replay(await readEvents(redis, s), { big: 3, small: 1 });
    expect(saturated.violations).toEqual([]);
    const window = saturated.starts.slice(limit);
    expect(Math.abs(slotShare(window, 'big') - 0.75) / 0.75).toBeLessThanOrEqual(0.1);

    // `small` runs out of work: from then on every slot it frees goes to `big`, and none stays idle.
    let emptied = false;
    for (let i = 0; i < 400 && held.some((id) => id.startsWith('small-')); i++) {
      const freedSmall = held.length > 0;
      const got = await turnover(s, held, limit, pick);
      expect(freedSmall && got.length).toBe(1); // the freed slot was taken again at once
      if (emptied) expect(got[0]).toMatch(/^big-/);
      emptied ||= (await s.usage()).waiting.get('small') === undefined;
    }
    expect(emptied).toBe(true);
    expect(held.every((id) => id.startsWith('big-'))).toBe(true);
    expect((await s.usage()).held).toBe(limit);
  }, 60_000);

  it('production before draft, higher priority first, first in first out within a priority', async () => {
    const s = account();
    const add = (id: string, stage: 'draft' | 'production', priority?: number) => s.enqueue({ id, team: 'studio', stage, priority });
    await add('d1', 'draft');
    await add('p1', 'production');
    await add('d2', 'draft');
    await add('h', 'draft', 9);
    await add('p2', 'production');
    await add('low', 'production', 1);
    await add('p3', 'production');
    const order: string[] = [];
    for (let i = 0; i < 7; i++) {
      const [id] = await s.dispatch(1);
      order.push(id!);
      await s.release(id!);
    }
    expect(order).toEqual(['p1', 'p2', 'p3', 'low', 'h', 'd1', 'd2']);
    expect(await s.dispatch(1)).toEqual([]);
  });

  it('maxConcurrent caps a team even with slots free; the free slots go to the others', async () => {
    const s = account();
    await fill(s, 'capped', 20, 5, 0, { maxConcurrent: 2 });
    await fill(s, 'open', 3, 1);
    const got = await s.dispatch(10);
    expect(got.filter((id) => id.startsWith('capped-'))).toHaveLength(2);
    expect(got.filter((id) => id.startsWith('open-'))).toHaveLength(3);
    expect(await s.dispatch(10)).toEqual([]); // the cap holds with five slots free
    await s.release('capped-0');
    expect(await s.dispatch(10)).toEqual(['capped-2']);
  });

  it('a slot whose holder stops renewing comes back, and its job returns to its place in line', async () => {
    const s = account({ slotLeaseMs: 300 });
    await fill(s, 'team', 4, 1);
    expect(await s.dispatch(2)).toEqual(['team-0', 'team-1']);
    // team-1 keeps renewing; team-0's worker died. Poll (bounded) until its lease lapses.
    let again: string[] = [];
    for (let i = 0; i < 200 && again.length === 0; i++) {
      expect(await s.hold('team-1')).toBe(true);
      again = await s.dispatch(2);
      if (again.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(again).toEqual(['team-0']); // back first: it keeps its place, ahead of team-2
    expect((await s.usage()).held).toBe(2);
    const events = await readEvents(redis, s);
    expect(events.filter((e) => e.e === 'expired').map((e) => e.job)).toEqual(['team-0']);
    expect(replay(events, {}).violations).toEqual([]);
  });

  it('a task already running takes its lapsed slot back (force), so the account counts what the provider runs', async () => {
    const s = account();
    await fill(s, 'team', 2, 1);
    expect(await s.hold('team-0')).toBe(false); // no slot yet: it may not start
    expect(await s.hold('team-0', true)).toBe(true);
    expect(await s.hold('team-0')).toBe(true);
    expect(await s.dispatch(1)).toEqual([]); // the one slot is counted
    expect(await s.release('team-0')).toBe('slot');
    expect(await s.dispatch(1)).toEqual(['team-1']);
    expect(await s.release('team-1')).toBe('slot');
    expect(await s.release('team-1')).toBe(''); // idempotent
    expect(await s.hold('team-1', true)).toBe(false); // a job the account no longer knows is not counted
    expect(await s.usage()).toEqual({ held: 0, running: new Map(), waiting: new Map() });
  });

  it('enqueue is idempotent, and team names that share a beginning keep separate lines', async () => {
    const s = account();
    expect(await s.enqueue({ id: 'x', team: 'a', stage: 'production' })).toBe(true);
    expect(await s.enqueue({ id: 'x', team: 'a', stage: 'production' })).toBe(false);
    await s.enqueue({ id: 'y', team: 'a-b', stage: 'production' });
    await s.enqueue({ id: 'z', team: 'a_b', stage: 'production' });
    await s.enqueue({ id: 'w', team: 'ab', stage: 'production' });
    expect((await s.usage()).waiting).toEqual(new Map([['a', 1], ['a-b', 1], ['a_b', 1], ['ab', 1]]));
    expect((await s.standing('a', 'x'))!.ahead).toBe(0);
    expect(await s.standing('a-b', 'x')).toBeNull(); // another team's job is not found
    expect(new Set(await s.dispatch(10))).toEqual(new Set(['x', 'y', 'z', 'w']));
  });

  it('standing: the position in the team line, the slots held, and a start estimate from recent tasks', async () => {
    const s = account();
    await s.setLimit(2);
    await fill(s, 'team', 5, 2);
    expect(await s.dispatch(2)).toEqual(['team-0', 'team-1']);
    const before = await s.standing('team', 'team-4');
    expect(before).toMatchObject({ state: 'waiting', ahead: 2, teamRunning: 2, share: 2, limit: 2, held: 2, durationsMs: [] });
    await s.release('team-0');
    const after = (await s.standing('team', 'team-4'))!;
    expect(after).toMatchObject({ state: 'waiting', ahead: 2, teamRunning: 1, held: 1 });
    expect(after.durationsMs).toHaveLength(1);
    expect(after.durationsMs[0]).toBeGreaterThanOrEqual(0);
    expect((await s.standing('team', 'team-1'))!.state).toBe('running');
    expect(await s.standing('team', 'team-0')).toBeNull(); // it ended
  });
});
