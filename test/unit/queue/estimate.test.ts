import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expectedSlots, standingOf } from '../../../src/queue/scheduler/estimate.js';
import { rankOf } from '../../../src/queue/scheduler/rank.js';

const raw = { state: 'waiting' as const, ahead: 0, teamRunning: 0, share: 1, maxConcurrent: null, held: 4, limit: 4, busyShares: 2, durationsMs: [] as number[] };

describe('start estimates', () => {
  it('expects the team share of the limit among busy teams, at least one slot, at most its cap', () => {
    expect(expectedSlots({ ...raw })).toBe(2);
    expect(expectedSlots({ ...raw, share: 3, busyShares: 4 })).toBe(3);
    expect(expectedSlots({ ...raw, share: 3, busyShares: 4, maxConcurrent: 1 })).toBe(1);
    expect(expectedSlots({ ...raw, share: 1, busyShares: 100 })).toBe(1);
    expect(expectedSlots({ ...raw, teamRunning: 4 })).toBe(4);
  });

  it('no estimate before any task ended, none for a running job; later for more jobs ahead', () => {
    const now = Date.parse('2026-11-27T00:00:00Z');
    expect(standingOf('kling', raw, now).estimatedStart).toBeNull();
    expect(standingOf('kling', { ...raw, state: 'running', durationsMs: [1000] }, now).estimatedStart).toBeNull();
    // Next in line, two slots: about half a task.
    expect(standingOf('kling', { ...raw, durationsMs: [1000, 3000] }, now)).toMatchObject({ estimatedStart: '2026-11-27T00:00:01.000Z', recentTaskMs: 2000, position: 0 });
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), fc.integer({ min: 1, max: 600_000 }), (a, b, ms) => {
        const at = (ahead: number) => Date.parse(standingOf('kling', { ...raw, ahead, durationsMs: [ms] }, now).estimatedStart!);
        return a <= b ? at(a) <= at(b) : at(a) >= at(b);
      }),
    );
  });

  it('ranks sort production before draft and priority 9 before 1', () => {
    const ranks = [rankOf('production', 9), rankOf('production'), rankOf('production', 1), rankOf('draft', 9), rankOf('draft', 1)];
    expect([...ranks].sort()).toEqual(ranks);
    expect(() => rankOf('draft', 10)).toThrow('priority must be a whole number from 1 to 9, got 10');
  });
});

describe('jobs show: where a job stands', () => {
  it('says the position, the estimate and the slots; and when there is no estimate yet', async () => {
    const { describeStanding } = await import('../../../src/cli/jobs.js');
    const now = Date.parse('2026-11-27T00:00:00Z');
    const waiting = standingOf('kling', { ...raw, ahead: 3, teamRunning: 2, durationsMs: [2000] }, now);
    expect(describeStanding(waiting, 'studio')).toBe(
      "provider: waiting for a slot, 3 of its team's jobs ahead of it, estimated start 2026-11-27T00:00:04.000Z (recent tasks take 2.0 s); team studio holds 2 of account kling's 4/4 busy slots (share 1)",
    );
    expect(describeStanding(standingOf('kling', { ...raw, maxConcurrent: 3 }, now), 'studio')).toBe(
      "provider: waiting for a slot, next in its team's line, no estimate yet (no task has ended recently); team studio holds 0 of account kling's 4/4 busy slots (share 1, at most 3)",
    );
    expect(describeStanding(standingOf('kling', { ...raw, state: 'running', teamRunning: 1 }, now), 'studio')).toMatch(/^provider: holds a slot; team studio holds 1 of/);
  });
});
