import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EncodedCandidate, historyBalances, windowsAt, type HistoryRow, type Ledger } from '../../../src/ledger/index.js';
import { InputError } from '../../../src/errors.js';
import { DEFAULTS } from '../../../src/defaults.js';
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
const redis = connect();
afterAll(async () => {
  await redis.quit();
});

const DAY = '2026-11-15';
const tag = (model: 'kling-3.0' | 'kling-o3', estimate: string, savings: { rule: string; amount: string }[] = [], downgraded = false) => ({ model, estimate, savings, downgraded });

/** Every history hash and zset of a prefix, as Redis holds it: what a replay must leave alone. */
async function snapshot(prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await redis.keys(`${prefix}:*:hist:*`)).sort()) {
    out[key] = (await redis.type(key)) === 'hash' ? await redis.hgetall(key) : await redis.zrange(key, '0', '-1', 'WITHSCORES');
  }
  return out;
}

const text = (r: HistoryRow) => ({
  project: r.project,
  model: r.model,
  reserved: r.reserved.toFixed(2),
  committed: r.committed.toFixed(2),
  released: r.released.toFixed(2),
  beyond: r.committedBeyondReserve.toFixed(2),
  reconciled: r.reconciled.toFixed(2),
  actual: r.actual.toFixed(2),
  estimate: r.estimate.toFixed(2),
  uncharged: r.uncharged.toFixed(2),
  jobs: r.jobs,
  rejected: Object.fromEntries(r.rejected),
  savings: Object.fromEntries([...r.savings].map(([k, v]) => [k, v.toFixed(2)])),
});

describe('spend history', () => {
  it('records each operation once, in the day the job was reserved, and replays add nothing', async () => {
    const { ledger, prefix, clock } = setup();
    await ledger.setBudget({ team: 'studio', limit: '100', period: 'monthly' });
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'daily' });
    const a = { reservationId: 'a', team: 'studio', project: 'trailer', jobId: 'shot-1', candidates: [{ cost: '4', history: tag('kling-3.0', '3.5', [{ rule: 'staging', amount: '1.25' }]) }] };
    await ledger.reserve(a);
    const b = { reservationId: 'b', team: 'studio', project: 'trailer', jobId: 'shot-2', candidates: [{ cost: '9', history: tag('kling-o3', '9') }, { cost: '3', history: tag('kling-3.0', '3', [{ rule: 'cheaper-model', amount: '6' }], true) }] };
    await ledger.reserve(b);
    await ledger.reserve({ reservationId: 'c', team: 'studio', project: 'trailer', candidates: [{ cost: '50', history: tag('kling-o3', '50') }] });
    // The next day: the settlements still belong to the 15th, as the balances do.
    clock.now += 86_400_000;
    await ledger.commit({ reservationId: 'a', actual: '4.5' });
    await ledger.release({ reservationId: 'b', reason: 'failed' });
    await ledger.reconcile({ reservationId: 'a', billed: '4.25' });
    const before = await snapshot(prefix);

    // Every replay: reserve, commit, release, reconcile with the same bill.
    await ledger.reserve(a);
    await ledger.reserve(b);
    await ledger.commit({ reservationId: 'a', actual: '4.5' });
    await ledger.commit({ reservationId: 'b', actual: '1' });
    await ledger.release({ reservationId: 'a' });
    await ledger.reconcile({ reservationId: 'a', billed: '4.25' });
    expect(await snapshot(prefix)).toEqual(before);

    const rows = await ledger.history({ team: 'studio', from: DAY, to: '2026-11-16' });
    expect(rows.map((r) => r.day)).toEqual([DAY, DAY, DAY]);
    const none = { reserved: '0.00', committed: '0.00', released: '0.00', beyond: '0.00', reconciled: '0.00', actual: '0.00', estimate: '0.00', uncharged: '0.00' };
    expect(rows.map(text)).toEqual([
      // Savings by rule are the project's (model "-").
      { project: 'trailer', model: '-', ...none, jobs: { admitted: 0, downgraded: 0, completed: 0, released: 0, expired: 0 }, rejected: {}, savings: { staging: '1.25', 'cheaper-model': '6.00' } },
      {
        project: 'trailer', model: 'kling-3.0', reserved: '7.00', committed: '4.50', released: '3.00', beyond: '0.50', reconciled: '-0.25',
        actual: '4.50', estimate: '3.50', uncharged: '0.00',
        jobs: { admitted: 1, downgraded: 1, completed: 1, released: 1, expired: 0 }, rejected: {}, savings: {},
      },
      {
        project: 'trailer', model: 'kling-o3', reserved: '0.00', committed: '0.00', released: '0.00', beyond: '0.00', reconciled: '0.00',
        actual: '0.00', estimate: '0.00', uncharged: '0.00',
        jobs: { admitted: 0, downgraded: 0, completed: 0, released: 0, expired: 0 }, rejected: { 'insufficient-budget': 1 }, savings: {},
      },
    ]);
    // The history's balances are the ledger's, for the project's day and the team's month.
    const project = await ledger.getBudget({ team: 'studio', project: 'trailer' });
    expect(project!.window).toBe('2026-11-16');
    const day15 = historyBalances(rows);
    expect([day15.spent.toFixed(2), day15.reserved.toFixed(2)]).toEqual(['4.25', '0.00']);
    const team = await ledger.getBudget({ team: 'studio' });
    expect([team!.spent, team!.reserved]).toEqual(['4.25', '0.00']);

    // The most expensive jobs name the caller's id, and follow the reconciled bill.
    expect((await ledger.topJobs({ team: 'studio', from: DAY, to: DAY })).map((j) => [j.project, j.model, j.jobId, j.reservationId, j.cost.toFixed(2)])).toEqual([
      ['trailer', 'kling-3.0', 'shot-1', 'a', '4.25'],
    ]);
  });

  it('counts an expiry and a top-up, and keeps each day for the retention', async () => {
    const { ledger, prefix, clock } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '100', period: 'monthly' });
    await ledger.reserve({ reservationId: 'a', team: 'studio', project: 'trailer', leaseMs: 1000, candidates: [{ cost: '2', history: tag('kling-o3', '2') }] });
    await ledger.topUp({ reservationId: 'a', amount: '5' });
    clock.now += 2000;
    expect(await ledger.expireDue()).toHaveLength(1);
    expect(await ledger.expireDue()).toHaveLength(0);
    const [row] = await ledger.history({ team: 'studio', project: 'trailer', from: DAY, to: DAY });
    expect(text(row!)).toMatchObject({ reserved: '5.00', released: '5.00', committed: '0.00', jobs: { admitted: 1, downgraded: 0, completed: 0, released: 0, expired: 1 } });
    const ttl = await redis.pttl(`${prefix}:{studio}:hist:${DAY}`);
    expect(ttl).toBeGreaterThan(395 * 86_400_000); // 13 months at the longest
    expect(ttl).toBeLessThanOrEqual(DEFAULTS.historyRetentionMs);
  });

  it("counts the router's own rejections once per id, and a later reserve replays them", async () => {
    const { ledger } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '100', period: 'monthly' });
    const first = await ledger.reject({ reservationId: 'j1', team: 'studio', project: 'trailer', model: 'kling-o3', code: 'unpriceable' });
    expect(first).toMatchObject({ status: 'rejected', replayed: false });
    expect(await ledger.reject({ reservationId: 'j1', team: 'studio', project: 'trailer', model: 'kling-o3', code: 'unpriceable' })).toMatchObject({ status: 'rejected', replayed: true, reason: 'unpriceable' });
    await ledger.reject({ reservationId: 'j2', team: 'studio', project: null, model: null, code: 'no-project-budget' });
    const again = await ledger.reserve({ reservationId: 'j1', team: 'studio', project: 'trailer', candidates: [{ cost: '1' }] });
    expect(again).toMatchObject({ status: 'rejected', reason: 'unpriceable', replayed: true });
    const rows = await ledger.history({ team: 'studio', from: DAY, to: DAY });
    expect(rows.map((r) => [r.project, r.model, Object.fromEntries(r.rejected), r.reserved.toFixed(2)])).toEqual([
      ['-', '-', { 'no-project-budget': 1 }, '0.00'],
      ['trailer', 'kling-o3', { unpriceable: 1 }, '0.00'],
    ]);
  });

  it('packs a row into a few short fields, and drops a group that a refund brought back to zero', async () => {
    const { ledger, prefix } = setup();
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '100', period: 'monthly' });
    await ledger.reserve({ reservationId: 'a', team: 'studio', project: 'trailer', candidates: [{ cost: '4', history: tag('kling-o3', '3.5', [{ rule: 'staging', amount: '1' }]) }] });
    await ledger.commit({ reservationId: 'a', actual: '4' });
    await ledger.reconcile({ reservationId: 'a', billed: '4.5' });
    const key = `${prefix}:{studio}:hist:${DAY}`;
    expect(await redis.hgetall(key)).toEqual({
      'trailer|kling-o3|$': '4000000,4000000,,3500000',
      'trailer|kling-o3|c': '500000',
      'trailer|kling-o3|n': '1,,1',
      'trailer|-|s.staging': '1000000',
    });
    expect(await redis.object('ENCODING', key)).toBe('listpack');
    await ledger.reconcile({ reservationId: 'a', billed: '4' });
    expect(await redis.hexists(key, 'trailer|kling-o3|c')).toBe(0);
    const rows = await ledger.history({ team: 'studio', project: 'trailer', from: DAY, to: DAY });
    expect(rows.map(text)).toMatchObject([{ model: '-', savings: { staging: '1.00' } }, { model: 'kling-o3', reserved: '4.00', committed: '4.00', reconciled: '0.00', estimate: '3.50', jobs: { admitted: 1, completed: 1 } }]);
  });

  it('refuses bad input with what was wrong and where', async () => {
    const { ledger } = setup();
    await expect(ledger.history({ team: 'studio', from: '2026-11-31', to: '2026-12-01' })).rejects.toThrow(/from.*calendar/);
    await expect(ledger.history({ team: 'studio', from: '2026-12-02', to: '2026-12-01' })).rejects.toThrow(/"from" must not be after "to"/);
    await expect(ledger.history({ team: 'Studio!', from: DAY, to: DAY })).rejects.toThrow(/team/);
    await expect(ledger.history({ team: 'studio', from: '2020-01-01', to: '2026-01-01' })).rejects.toThrow(InputError);
    const bad = (history: unknown) => ledger.reserve({ reservationId: 'x', team: 'studio', project: 'trailer', candidates: [{ cost: '1', history: history as never }] });
    await expect(bad(tag('kling-9' as never, '1'))).rejects.toThrow(/model/);
    await expect(bad(tag('kling-o3', '1', [{ rule: 'a|b', amount: '1' }]))).rejects.toThrow(/rule/);
    await expect(bad(tag('kling-o3', '1', [{ rule: 'a=b;c', amount: '1' }]))).rejects.toThrow(/rule/);
    await expect(bad(tag('kling-o3', '-1'))).rejects.toThrow(/estimate/);
    expect(await ledger.inspect('x')).toBeNull();
  });

  it('takes encoded candidates as it takes plain ones, and still validates the rest of a reservation', async () => {
    const plain = [
      { cost: '9', ceiling: 0.5, history: tag('kling-o3', '9') },
      { cost: '3.000001', history: tag('kling-3.0', '2.5', [{ rule: 'cheaper-model', amount: '6' }, { rule: 'staging', amount: '0.5' }], true) },
    ];
    const encoded = plain.map((c) => EncodedCandidate.of(c));
    const results = [];
    const days = [];
    for (const candidates of [plain, encoded]) {
      const { ledger } = setup();
      await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
      const r = { reservationId: 'a', team: 'studio', project: 'trailer', jobId: 'shot-1', candidates };
      results.push([await ledger.reserve(r), await ledger.reserve(r)]);
      days.push((await ledger.history({ team: 'studio', from: DAY, to: DAY })).map(text));
    }
    // The first candidate is over its ceiling: the second, a downgrade, is reserved (rounded up to micro-units).
    expect(results[0]![0]).toMatchObject({ status: 'reserved', candidate: 1, amount: '3.000001' });
    expect(results[1]).toEqual(results[0]);
    expect(days[1]).toEqual(days[0]);
    expect(days[0]!.map((r) => [r.model, r.reserved, r.jobs.downgraded, r.savings])).toEqual([
      ['-', '0.00', 0, { 'cheaper-model': '6.00', staging: '0.50' }],
      ['kling-3.0', '3.00', 1, {}],
    ]);

    const { ledger } = setup();
    await expect(() => EncodedCandidate.of({ cost: '1', history: tag('kling-o3', '1', [{ rule: 'a|b', amount: '1' }]) })).toThrow(/rule/);
    await expect(ledger.reserve({ reservationId: 'x', team: 'Studio}', project: 'trailer', candidates: encoded })).rejects.toThrow(/team/);
    await expect(ledger.reserve({ reservationId: 'x:y', team: 'studio', project: 'trailer', candidates: encoded })).rejects.toThrow(/reservationId/);
    await expect(ledger.reserve({ reservationId: 'x', team: 'studio', project: 'trailer', candidates: [] })).rejects.toThrow(/at least one candidate/);
    // reserve.lua trusts its arguments: a look-alike made on the class's prototype, or a mix with
    // plain candidates, is refused, never reserved unchecked (a cost of -100 would raise the headroom).
    const forged = Object.assign(Object.create(EncodedCandidate.prototype) as EncodedCandidate, { cost: '-100000000', ceiling: 1_000_000, tag: '' });
    await expect(ledger.reserve({ reservationId: 'x', team: 'studio', project: 'trailer', candidates: [forged] })).rejects.toThrow(/encoded candidate made by EncodedCandidate\.of/);
    await expect(ledger.reserve({ reservationId: 'x', team: 'studio', project: 'trailer', candidates: [encoded[0]!, plain[0]!] as never })).rejects.toThrow(/encoded candidate made by EncodedCandidate\.of/);
    expect(await ledger.inspect('x')).toBeNull();
  });

  it('over random operations across days, the history sums to the balances of every window', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('reserve' as const), project: fc.constantFrom('trailer', 'teaser'), model: fc.constantFrom('kling-3.0' as const, 'kling-o3' as const), cents: fc.integer({ min: 1, max: 900 }) }),
      fc.record({ kind: fc.constantFrom('commit' as const, 'release' as const, 'reconcile' as const, 'top-up' as const, 'expire' as const), pick: fc.nat(), cents: fc.integer({ min: 0, max: 1200 }) }),
      fc.record({ kind: fc.constant('tomorrow' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
        const { ledger, clock } = testLedger();
        try {
          const start = clock.now;
          await ledger.setBudget({ team: 'studio', limit: '60', period: 'weekly' });
          await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '40', period: 'daily' });
          await ledger.setBudget({ team: 'studio', project: 'teaser', limit: '30', period: 'monthly' });
          const ids: string[] = [];
          const amount = (cents: number) => (cents / 100).toFixed(2);
          for (const o of ops) {
            if (o.kind === 'tomorrow') clock.now += 86_400_000;
            else if (o.kind === 'reserve') {
              const id = `r${ids.length}`;
              ids.push(id);
              await ledger.reserve({ reservationId: id, team: 'studio', project: o.project, leaseMs: 3_600_000, candidates: [{ cost: amount(o.cents), history: tag(o.model, amount(o.cents)) }] });
            } else if (ids.length > 0) {
              const id = ids[o.pick % ids.length]!;
              if (o.kind === 'commit') await ledger.commit({ reservationId: id, actual: amount(o.cents) });
              else if (o.kind === 'release') await ledger.release({ reservationId: id });
              else if (o.kind === 'reconcile') await ledger.reconcile({ reservationId: id, billed: amount(o.cents) });
              else if (o.kind === 'top-up') await ledger.topUp({ reservationId: id, amount: amount(o.cents) });
              else await ledger.expireDue();
            }
          }
          const end = clock.now;
          const from = windowsAt(start).daily;
          const to = windowsAt(end).daily;
          const rows = await ledger.history({ team: 'studio', from, to });
          // Every window of every scope the run touched: the history's figures equal the balances.
          for (let t = start; t <= end; t += 86_400_000) {
            const w = windowsAt(t);
            clock.now = t;
            const [team, trailer, teaser] = await ledger.getBudgets('studio', ['trailer', 'teaser']);
            const inWeek = rows.filter((r) => windowsAt(Date.parse(`${r.day}T12:00:00Z`)).weekly === w.weekly);
            const check = (view: typeof team, sel: HistoryRow[]) => {
              const h = historyBalances(sel);
              expect([h.spent.toFixed(2), h.reserved.toFixed(2)]).toEqual([view!.spent, view!.reserved]);
            };
            check(team, inWeek);
            check(trailer, rows.filter((r) => r.project === 'trailer' && r.day === w.daily));
            check(teaser, rows.filter((r) => r.project === 'teaser' && r.day.startsWith(w.monthly)));
          }
        } finally {
          await ledger.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});
