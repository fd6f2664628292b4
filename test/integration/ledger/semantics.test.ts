import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, Ledger } from '../../../src/ledger/index.js';
import { testLedger } from '../../helpers/ledger.js';
import { connect } from '../../helpers/redis.js';

let open: Ledger[] = [];
function setup() {
  const t = testLedger();
  open.push(t.ledger);
  return t;
}
afterEach(async () => {
  await Promise.all(open.map((l) => l.close()));
  open = [];
});

const reserve = (l: Ledger, id: string, ...costs: string[]) =>
  l.reserve({ reservationId: id, team: 'studio', project: 'trailer', candidates: costs.map((cost) => ({ cost })) });

describe('budgets', () => {
  it('setBudget is idempotent and never touches spent or reserved', async () => {
    const { ledger } = setup();
    expect(await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' })).toEqual({ changed: true });
    expect(await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10.00', period: 'monthly' })).toEqual({ changed: false });
    await reserve(ledger, 'a', '4');
    await ledger.commit({ reservationId: 'a', actual: '3' });
    await reserve(ledger, 'b', '2');
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '20', period: 'monthly', alerts: [0.8] });
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toEqual({
      team: 'studio',
      project: 'trailer',
      limit: '20.00',
      period: 'monthly',
      alerts: [0.8],
      alertsFired: [],
      window: '2026-11',
      spent: '3.00',
      reserved: '2.00',
      available: '15.00',
    });
    expect((await ledger.audit('studio')).filter((e) => e.op === 'set-budget')).toHaveLength(2);
  });

  it('says which alert thresholds fired in the current window, and a new window starts with none', async () => {
    const { ledger, clock } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly', alerts: [0.5, 0.9] });
    expect((await ledger.getBudget({ team: 'studio', project: 'trailer' }))?.alertsFired).toEqual([]);
    await reserve(ledger, 'a', '6');
    expect((await ledger.getBudget({ team: 'studio', project: 'trailer' }))?.alertsFired).toEqual([0.5]);
    await reserve(ledger, 'b', '3.5');
    expect((await ledger.getBudget({ team: 'studio', project: 'trailer' }))?.alertsFired).toEqual([0.5, 0.9]);
    clock.now += 40 * 86_400_000;
    expect((await ledger.getBudget({ team: 'studio', project: 'trailer' }))?.alertsFired).toEqual([]);
  });

  it('returns null for a scope with no budget, and rejects bad input naming the field', async () => {
    const { ledger } = setup();
    expect(await ledger.getBudget({ team: 'studio' })).toBeNull();
    await expect(ledger.setBudget({ team: 'Studio!', limit: '1', period: 'monthly' })).rejects.toThrow('team: use 1-63 lowercase');
    await expect(ledger.setBudget({ team: 'studio', limit: '-1', period: 'monthly' })).rejects.toThrow('limit: expected a non-negative amount');
    await expect(ledger.setBudget({ team: 'studio', limit: '1', period: 'yearly' as 'monthly' })).rejects.toThrow('period');
    await expect(ledger.setBudget({ team: 'studio', limit: '1', period: 'daily', alerts: [1.5] })).rejects.toThrow('alerts[0]: must be at most 1');
    await expect(ledger.setBudget({ team: 'studio', limit: '2000000000', period: 'daily' })).rejects.toThrow('limit: must be at most 1000000000');
    expect(await ledger.getBudget({ team: 'studio' })).toBeNull();
  });
});

describe('reserve', () => {
  it('reserves the first candidate that fits every scope', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', limit: '5', period: 'monthly' });
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '8', period: 'monthly' });
    const r = await reserve(ledger, 'a', '6', '4.5', '1');
    expect(r).toMatchObject({ status: 'reserved', candidate: 1, amount: '4.50', replayed: false });
    expect(r.scopes.map((s) => [s.scope, s.available])).toEqual([
      ['project', '3.50'],
      ['team', '0.50'],
    ]);
  });

  it('rejects with every scope’s headroom when nothing fits', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '1', period: 'monthly' });
    const r = await reserve(ledger, 'a', '2', '1.01');
    expect(r).toEqual({
      status: 'rejected',
      reservationId: 'a',
      reason: 'insufficient-budget',
      replayed: false,
      scopes: [{ scope: 'project', name: 'trailer', window: '2026-11', limit: '1.00', spent: '0.00', reserved: '0.00', available: '1.00' }],
      day: '2026-11-15',
    });
  });

  it('fails closed for a project with no budget', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', limit: '100', period: 'monthly' });
    expect(await reserve(ledger, 'a', '1')).toMatchObject({ status: 'rejected', reason: 'no-budget' });
  });

  it('honours a candidate’s utilization ceiling', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
    await reserve(ledger, 'a', '8');
    const r = await ledger.reserve({
      reservationId: 'b',
      team: 'studio',
      project: 'trailer',
      candidates: [{ cost: '1', ceiling: 0.85 }, { cost: '0.5' }],
    });
    expect(r).toMatchObject({ status: 'reserved', candidate: 1, amount: '0.50' });
    const c = await ledger.reserve({ reservationId: 'c', team: 'studio', project: 'trailer', candidates: [{ cost: '0.5', ceiling: 0.9 }] });
    expect(c).toMatchObject({ status: 'reserved', candidate: 0 });
  });

  it('replays the original result for the same reservation id, whatever changed since', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '1', period: 'monthly' });
    const first = await reserve(ledger, 'a', '5');
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '100', period: 'monthly' });
    expect(await reserve(ledger, 'a', '5')).toEqual({ ...first, replayed: true });
    const ok = await reserve(ledger, 'b', '5');
    expect(await reserve(ledger, 'b', '1')).toEqual({ ...ok, replayed: true });
    expect((await ledger.getBudget({ team: 'studio', project: 'trailer' }))!.reserved).toBe('5.00');
  });

  it('refuses a reservation id that another team already holds, and leaves no reservation behind', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
    await ledger.setBudget({ team: 'other', project: 'trailer', limit: '10', period: 'monthly' });
    await reserve(ledger, 'shared-id', '1');
    await expect(ledger.reserve({ reservationId: 'shared-id', team: 'other', project: 'trailer', candidates: [{ cost: '1' }] })).rejects.toThrow(
      'reservation id shared-id already belongs to team studio',
    );
    expect((await ledger.getBudget({ team: 'other', project: 'trailer' }))!.reserved).toBe('0.00');
  });
});

describe('commit, release, extend, expire', () => {
  it('commit below the reservation returns the rest; each resolution happens once', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
    await reserve(ledger, 'a', '4');
    const c = await ledger.commit({ reservationId: 'a', actual: '3.25' });
    expect(c).toMatchObject({ status: 'committed', reserved: '4.00', actual: '3.25', charged: '3.25', refunded: '0.75', overrun: '0.00', replayed: false });
    expect(await ledger.commit({ reservationId: 'a', actual: '9' })).toEqual({ ...c, replayed: true });
    expect(await ledger.release({ reservationId: 'a' })).toEqual({ ...c, replayed: true });
    expect(await ledger.extend({ reservationId: 'a', leaseMs: 1000 })).toMatchObject({ status: 'committed', extended: false });
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ spent: '3.25', reserved: '0.00' });
  });

  it('commit above the reservation charges only up to the headroom and reports the rest', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
    await reserve(ledger, 'a', '4');
    await reserve(ledger, 'b', '5');
    const c = await ledger.commit({ reservationId: 'a', actual: '6' });
    expect(c).toMatchObject({ status: 'committed', reserved: '4.00', actual: '6.00', charged: '5.00', overrun: '1.00', refunded: '0.00' });
    const b = await ledger.getBudget({ team: 'studio', project: 'trailer' });
    expect(b).toMatchObject({ spent: '5.00', reserved: '5.00', available: '0.00' });
  });

  it('release returns everything, once', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
    await reserve(ledger, 'a', '4');
    const r = await ledger.release({ reservationId: 'a', reason: 'provider failed' });
    expect(r).toMatchObject({ status: 'released', charged: '0.00', reason: 'provider failed' });
    expect(await ledger.commit({ reservationId: 'a', actual: '4' })).toMatchObject({ status: 'released', replayed: true });
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ spent: '0.00', reserved: '0.00' });
    expect(await ledger.commit({ reservationId: 'never-made', actual: '1' })).toEqual({ status: 'unknown', reservationId: 'never-made', replayed: false });
  });

  it('expires a reservation when its lease runs out, not before, and extending moves the lease', async () => {
    const { ledger, clock } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
    await ledger.reserve({ reservationId: 'a', team: 'studio', project: 'trailer', candidates: [{ cost: '4' }], leaseMs: 1000 });
    clock.now += 900;
    expect(await ledger.extend({ reservationId: 'a', leaseMs: 1000 })).toMatchObject({ status: 'reserved', extended: true, leaseUntil: clock.now + 1000 });
    clock.now += 999;
    expect(await ledger.expireDue()).toEqual([]);
    clock.now += 1;
    const expired = await ledger.expireDue();
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ status: 'expired', reservationId: 'a', reserved: '4.00', charged: '0.00' });
    expect(await ledger.expireDue()).toEqual([]);
    expect(await ledger.commit({ reservationId: 'a', actual: '4' })).toMatchObject({ status: 'expired', replayed: true });
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '0.00', spent: '0.00' });
  });
});

describe('the reservation record', () => {
  it("stays in Redis's compact hash encoding through its life, and a replay rebuilds the first answer", async () => {
    const { ledger, prefix } = setup();
    const redis = connect();
    try {
      const alerts: Alert[] = [];
      ledger.on('alert', (a) => alerts.push(a));
      await ledger.setBudget({ team: 'studio', limit: '1000000', period: 'monthly', alerts: [0.5, 0.8] });
      await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'weekly', alerts: [0.5] });
      const id = '3f1c2a9e-1b7d-4c55-9a0e-2b8f6f0d7c41';
      const key = `${prefix}:{studio}:res:${id}`;
      const first = await reserve(ledger, id, '4.53');
      expect(await redis.object('ENCODING', key)).toBe('listpack');
      expect(await reserve(ledger, id, '4.53')).toEqual({ ...first, replayed: true });

      // Above the reservation: charges 6, crossing the project's 50% alert.
      const c = await ledger.commit({ reservationId: id, actual: '6' });
      expect(c).toMatchObject({ status: 'committed', reserved: '4.53', charged: '6.00', overrun: '0.00', refunded: '0.00' });
      if (c.status !== 'committed') throw new Error(`expected a commit, got ${c.status}`);
      expect(c.scopes.map((s) => [s.scope, s.window, s.spent, s.reserved, s.available])).toEqual([
        ['project', '2026-W46', '6.00', '0.00', '4.00'],
        ['team', '2026-11', '6.00', '0.00', '999994.00'],
      ]);
      expect(alerts.map((a) => [a.scope, a.threshold])).toEqual([['project', 0.5]]);
      expect(await redis.object('ENCODING', key)).toBe('listpack');

      // The replay answers what the commit did; the alert was reported once, by the commit.
      expect(await ledger.commit({ reservationId: id, actual: '1' })).toEqual({ ...c, alerts: [], replayed: true });
      expect(alerts).toHaveLength(1);
    } finally {
      await redis.quit();
    }
  });
});

describe('top-up', () => {
  it('raises a pending reservation only if every scope holds it, and never a resolved one', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', limit: '10', period: 'monthly' });
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '8', period: 'monthly' });
    await reserve(ledger, 'a', '4');
    expect(await ledger.topUp({ reservationId: 'a', amount: '5.5' })).toMatchObject({ status: 'reserved', toppedUp: true, amount: '5.50' });
    expect(await ledger.topUp({ reservationId: 'a', amount: '9' })).toMatchObject({ toppedUp: false, reason: 'insufficient-budget', amount: '5.50' });
    expect(await ledger.topUp({ reservationId: 'a', amount: '5' })).toMatchObject({ toppedUp: false, reason: 'already-covered' });
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '5.50' });
    expect(await ledger.commit({ reservationId: 'a', actual: '5.5' })).toMatchObject({ status: 'committed', charged: '5.50', refunded: '0.00' });
    expect(await ledger.topUp({ reservationId: 'a', amount: '6' })).toMatchObject({ status: 'committed', toppedUp: false });
    expect((await ledger.audit('studio')).filter((e) => e.op === 'top-up').map((e) => e.fields.amount)).toEqual(['1.50']);
  });
});

describe('windows and alerts', () => {
  it('a new period starts empty, and a reservation settles in the window it was made in', async () => {
    const { ledger, clock } = setup();
    clock.now = Date.UTC(2026, 10, 30, 23, 59, 0);
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
    await reserve(ledger, 'late', '6');
    clock.now = Date.UTC(2026, 11, 1, 0, 1, 0);
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ window: '2026-12', spent: '0.00', reserved: '0.00' });
    expect(await reserve(ledger, 'early', '9')).toMatchObject({ status: 'reserved' });
    await ledger.commit({ reservationId: 'late', actual: '5' });
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ window: '2026-12', spent: '0.00', reserved: '9.00' });
    clock.now = Date.UTC(2026, 10, 30, 12);
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ window: '2026-11', spent: '5.00', reserved: '0.00' });
  });

  it.each([
    ['daily', Date.UTC(2026, 10, 15, 23), Date.UTC(2026, 10, 16, 1), '2026-11-15', '2026-11-16'],
    ['weekly', Date.UTC(2026, 10, 22, 23), Date.UTC(2026, 10, 23, 1), '2026-W47', '2026-W48'],
    ['none', Date.UTC(2026, 10, 15), Date.UTC(2027, 5, 1), 'all', 'all'],
  ] as const)('%s budgets roll over at the UTC boundary', async (period, before, after, w1, w2) => {
    const { ledger, clock } = setup();
    clock.now = before;
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period });
    await reserve(ledger, 'x', '6');
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ window: w1, reserved: '6.00' });
    clock.now = after;
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ window: w2, reserved: w1 === w2 ? '6.00' : '0.00' });
    // The same ledger's next reservation is of the new window (its keys are built per day, not kept from the last).
    await reserve(ledger, 'y', '1');
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ window: w2, reserved: w1 === w2 ? '7.00' : '1.00' });
  });

  it('fires each alert threshold once per window', async () => {
    const { ledger, clock } = setup();
    const seen: Alert[] = [];
    ledger.on('alert', (a) => seen.push(a));
    await ledger.setBudget({ team: 'studio', limit: '100', period: 'monthly', alerts: [0.5, 0.8] });
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly', alerts: [0.5] });
    await reserve(ledger, 'a', '4');
    expect(seen).toEqual([]);
    await reserve(ledger, 'b', '1');
    expect(seen.map((a) => [a.scope, a.threshold])).toEqual([['project', 0.5]]);
    await ledger.release({ reservationId: 'b' });
    await reserve(ledger, 'c', '2');
    expect(seen).toHaveLength(1);
    clock.now = Date.UTC(2026, 11, 2);
    await reserve(ledger, 'd', '6');
    expect(seen.map((a) => [a.scope, a.window, a.threshold])).toEqual([
      ['project', '2026-11', 0.5],
      ['project', '2026-12', 0.5],
    ]);
    expect((await ledger.audit('studio')).filter((e) => e.op === 'alert')).toHaveLength(2);
  });
});

describe('audit', () => {
  it('records every operation with amounts and the balances after it', async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
    await reserve(ledger, 'a', '4');
    await ledger.extend({ reservationId: 'a', leaseMs: 60_000 });
    await ledger.commit({ reservationId: 'a', actual: '3' });
    await reserve(ledger, 'b', '20');
    const entries = await ledger.audit('studio');
    expect(entries.map((e) => e.op)).toEqual(['set-budget', 'reserve', 'extend', 'committed', 'reject']);
    expect(entries[1]!.fields).toMatchObject({ id: 'a', amount: '4.00', candidate: '0', 'project.reserved': '4.00' });
    expect(entries[3]!.fields).toMatchObject({ id: 'a', charged: '3.00', 'project.spent': '3.00', 'project.reserved': '0.00' });
    expect(entries[4]!.fields).toMatchObject({ id: 'b', reason: 'insufficient-budget' });
  });
});
