// The account's slots going straight on at release, in a process whose dispatcher is attached, and
// slots taken under the earlier layout (start time in the holding hash), against real Redis.
// Checked on the account's own recorded events and state, never on timing.
import { afterEach, describe, expect, it } from 'vitest';
import { AccountScheduler } from '../../../src/queue/scheduler/account.js';
import { readEvents, replay } from '../../helpers/schedule-log.js';
import { connect, uniquePrefix } from '../../helpers/redis.js';

const redis = connect();
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function account(opts: { slotLeaseMs?: number } = {}) {
  const s = new AccountScheduler(redis, uniquePrefix('sched'), 'kling', { eventsMaxLen: 100_000, ...opts });
  cleanups.push(() => redis.del(...s.keys.all));
  return s;
}

async function fill(s: AccountScheduler, team: string, n: number) {
  await Promise.all(Array.from({ length: n }, (_, i) => s.enqueue({ id: `${team}-${i}`, team, stage: 'production', share: 1 })));
}

/** What the account's wake channel carried, up to a marker published after everything else. */
async function listen(s: AccountScheduler) {
  const sub = connect();
  cleanups.push(() => sub.disconnect());
  const heard: string[] = [];
  let marked: (() => void) | undefined;
  sub.on('message', (_channel: string, message: string) => {
    if (message === 'marker') marked?.();
    else heard.push(message);
  });
  await sub.subscribe(s.keys.wake);
  return async () => {
    const arrived = new Promise<void>((resolve) => (marked = resolve));
    await redis.publish(s.keys.wake, 'marker');
    await arrived;
    return heard.splice(0);
  };
}

describe('release hands the slot on', () => {
  it('each freed slot goes at once to the fairest waiting job, by the dispatch rule, and no dispatcher is woken for it', async () => {
    const s = account();
    const limit = 4;
    await fill(s, 'flood', 400);
    const held = await s.dispatch(limit);
    const heard = await listen(s);
    const woken: string[] = [];
    const detach = s.attach(limit, async (ids) => {
      woken.push(...ids);
    });
    let seed = 11;
    const pick = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const turnover = async () => {
      expect(await s.release(held.splice(Math.floor(pick() * held.length), 1)[0]!)).toBe('slot');
      expect(woken).toHaveLength(1);
      expect(await s.hold(woken[0]!)).toBe(true); // the woken job's first check
      held.push(...woken.splice(0));
    };
    for (let i = 0; i < 10; i++) await turnover();
    await fill(s, 'shot', 10);
    // Until every job of `shot` has started and ended.
    const shotLeft = async () => held.some((id) => id.startsWith('shot-')) || (await s.usage()).waiting.has('shot');
    for (let i = 0; i < 200 && (await shotLeft()); i++) await turnover();
    expect(await shotLeft()).toBe(false);
    expect((await s.usage()).held).toBe(limit);

    const { starts, violations } = replay(await readEvents(redis, s), { flood: 1, shot: 1 });
    expect(violations).toEqual([]);
    const shot = starts.filter((x) => x.team === 'shot');
    expect(shot).toHaveLength(10);
    expect(shot[0]!.endsSinceReady).toBe(1); // the first slot that freed
    // Only shot's first job woke the dispatchers (its team had nothing waiting); no release did.
    expect(await heard()).toEqual(['ready']);

    detach();
    expect(await s.release(held.shift()!)).toBe('slot');
    expect(woken).toEqual([]);
    expect(await heard()).toEqual(['free']); // without a dispatcher here, the others are woken
    expect(await s.dispatch(limit)).toHaveLength(1);
  });
});

describe('slots taken under the earlier layout', () => {
  it('are given back, or lapse back into line, from their start time in the holding hash', async () => {
    const s = account();
    await fill(s, 'team', 3);
    expect(await s.dispatch(2)).toEqual(['team-0', 'team-1']);
    // As the earlier scripts left them: the plain line member in jobs, team and start in holding.
    for (const id of ['team-0', 'team-1']) {
      const [member, since] = (await redis.hget(s.keys.jobs, id))!.split('@');
      await redis.hset(s.keys.jobs, id, member!);
      await redis.hset(s.keys.holding, id, `team|${since}`);
    }
    expect(await s.release('team-0')).toBe('slot');
    expect(await redis.hexists(s.keys.holding, 'team-0')).toBe(0);
    expect(await redis.llen(s.keys.durations)).toBe(1);
    expect((await s.usage()).running.get('team')).toBe(1);
    // team-1's lease runs out (its deadline set in the past), and it goes back to its place in line.
    await redis.zadd(s.keys.holders, 0, 'team-1');
    expect(await s.dispatch(2)).toEqual(['team-1', 'team-2']);
    expect(await redis.hexists(s.keys.holding, 'team-1')).toBe(0);
    expect(await s.usage()).toEqual({ held: 2, running: new Map([['team', 2]]), waiting: new Map() });
    const events = await readEvents(redis, s);
    expect(events.filter((e) => e.e === 'expired').map((e) => e.job)).toEqual(['team-1']);
    expect(replay(events, {}).violations).toEqual([]);
    expect(await s.release('team-1')).toBe('slot');
    expect(await redis.llen(s.keys.durations)).toBe(2);
  });
});
