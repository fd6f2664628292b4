// Seeded random operation sequences from several clients, checked after every step against an
// in-memory reference model (TigerBeetle's VOPR idea, with fast-check's model-based runner).
// A failure prints its seed and path; replay it with LEDGER_SEED=<seed> LEDGER_PATH=<path>.
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { createLedger, type Ledger } from '../../../src/ledger/index.js';
import { formatMoney, fromMicros, toMicros } from '../../../src/money.js';
import { money } from '../../../src/money.js';
import { redisUrl, uniquePrefix } from '../../helpers/redis.js';

const PROJECTS = ['p1', 'p2'] as const;
const LIMITS = { team: 30_00n, p1: 20_00n, p2: 15_00n } as const; // cents
const IDS = Array.from({ length: 12 }, (_, i) => `r${i}`);

interface ModelReservation {
  project: (typeof PROJECTS)[number];
  status: 'reserved' | 'committed' | 'released' | 'expired' | 'rejected';
  amount: bigint;
  candidate: number;
  leaseUntil: number;
  charged: bigint;
}
interface Model {
  now: number;
  spent: Record<string, bigint>;
  reserved: Record<string, bigint>;
  reservations: Map<string, ModelReservation>;
}
interface Real {
  clients: Ledger[];
  clock: { now: number };
}

const cents = (n: bigint) => formatMoney(fromMicros((n * 10_000n).toString()));
const scopesOf = (project: string) => ['team', project];
const headroom = (m: Model, scope: string) => LIMITS[scope as keyof typeof LIMITS] - m.spent[scope]! - m.reserved[scope]!;

class Reserve implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: number, readonly id: string, readonly project: (typeof PROJECTS)[number], readonly costs: bigint[], readonly leaseMs: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.clients[this.client]!.reserve({
      reservationId: this.id,
      team: 'team',
      project: this.project,
      candidates: this.costs.map((c) => ({ cost: cents(c) })),
      leaseMs: this.leaseMs,
    });
    const prior = m.reservations.get(this.id);
    if (prior) {
      expect(got.replayed).toBe(true);
      expect(got.status).toBe(prior.status === 'rejected' ? 'rejected' : 'reserved');
      if (got.status === 'reserved') expect([got.candidate, got.amount]).toEqual([prior.candidate, cents(prior.amount)]);
      return;
    }
    const index = this.costs.findIndex((c) => scopesOf(this.project).every((s) => headroom(m, s) >= c));
    if (index < 0) {
      expect(got.status).toBe('rejected');
      m.reservations.set(this.id, { project: this.project, status: 'rejected', amount: 0n, candidate: -1, leaseUntil: 0, charged: 0n });
      return;
    }
    expect(got).toMatchObject({ status: 'reserved', candidate: index, amount: cents(this.costs[index]!) });
    for (const s of scopesOf(this.project)) m.reserved[s]! += this.costs[index]!;
    m.reservations.set(this.id, { project: this.project, status: 'reserved', amount: this.costs[index]!, candidate: index, leaseUntil: m.now + this.leaseMs, charged: 0n });
  }
  toString = () => `reserve(c${this.client}, ${this.id}, ${this.project}, [${this.costs.join(',')}], ${this.leaseMs})`;
}

/** Resolves one reservation in the model; returns what a replay must show. */
function resolveModel(m: Model, id: string, status: 'committed' | 'released' | 'expired', charged: bigint) {
  const res = m.reservations.get(id)!;
  for (const s of scopesOf(res.project)) {
    m.reserved[s]! -= res.amount;
    m.spent[s]! += charged;
  }
  res.status = status;
  res.charged = charged;
}

class Commit implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: number, readonly id: string, readonly actual: bigint) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.clients[this.client]!.commit({ reservationId: this.id, actual: cents(this.actual) });
    const res = m.reservations.get(this.id);
    if (!res) return expect(got.status).toBe('unknown');
    if (res.status !== 'reserved') {
      expect(got).toMatchObject({ status: res.status, replayed: true });
      return;
    }
    let charged = this.actual;
    if (charged > res.amount) {
      const room = scopesOf(res.project).map((s) => headroom(m, s)).reduce((a, b) => (a < b ? a : b));
      charged = this.actual < res.amount + room ? this.actual : res.amount + room;
    }
    expect(got).toMatchObject({ status: 'committed', replayed: false, charged: cents(charged), actual: cents(this.actual) });
    resolveModel(m, this.id, 'committed', charged);
  }
  toString = () => `commit(c${this.client}, ${this.id}, ${this.actual})`;
}

class Release implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: number, readonly id: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.clients[this.client]!.release({ reservationId: this.id });
    const res = m.reservations.get(this.id);
    if (!res) return expect(got.status).toBe('unknown');
    if (res.status !== 'reserved') return expect(got).toMatchObject({ status: res.status, replayed: true });
    expect(got).toMatchObject({ status: 'released', replayed: false, charged: '0.00' });
    resolveModel(m, this.id, 'released', 0n);
  }
  toString = () => `release(c${this.client}, ${this.id})`;
}

class Extend implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: number, readonly id: string, readonly leaseMs: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.clients[this.client]!.extend({ reservationId: this.id, leaseMs: this.leaseMs });
    const res = m.reservations.get(this.id);
    expect(got.status).toBe(res?.status ?? 'unknown');
    expect(got.extended).toBe(res?.status === 'reserved');
    if (res?.status === 'reserved') res.leaseUntil = m.now + this.leaseMs;
  }
  toString = () => `extend(c${this.client}, ${this.id}, ${this.leaseMs})`;
}

class TopUp implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: number, readonly id: string, readonly amount: bigint) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.clients[this.client]!.topUp({ reservationId: this.id, amount: cents(this.amount) });
    const res = m.reservations.get(this.id);
    if (!res || res.status !== 'reserved') return expect(got).toMatchObject({ status: res?.status ?? 'unknown', toppedUp: false });
    const delta = this.amount - res.amount;
    const fits = delta > 0n && scopesOf(res.project).every((s) => headroom(m, s) >= delta);
    expect(got).toMatchObject({ status: 'reserved', toppedUp: fits });
    if (!fits) return;
    for (const s of scopesOf(res.project)) m.reserved[s]! += delta;
    res.amount = this.amount;
  }
  toString = () => `topUp(c${this.client}, ${this.id}, ${this.amount})`;
}

class AdvanceAndExpire implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: number, readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.now += this.ms;
    r.clock.now = m.now;
    const got = await r.clients[this.client]!.expireDue();
    const due = [...m.reservations].filter(([, res]) => res.status === 'reserved' && res.leaseUntil <= m.now).map(([id]) => id);
    expect(got.map((e) => e.reservationId).sort()).toEqual(due.sort());
    for (const id of due) resolveModel(m, id, 'expired', 0n);
  }
  toString = () => `advance+expire(c${this.client}, ${this.ms})`;
}

const client = fc.integer({ min: 0, max: 2 });
const id = fc.constantFrom(...IDS);
const commands = [
  fc.tuple(client, id, fc.constantFrom(...PROJECTS), fc.array(fc.bigInt({ min: 1n, max: 9_00n }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 100, max: 5000 })).map(
    ([c, i, p, costs, lease]) => new Reserve(c, i, p, costs, lease),
  ),
  fc.tuple(client, id, fc.bigInt({ min: 0n, max: 12_00n })).map(([c, i, a]) => new Commit(c, i, a)),
  fc.tuple(client, id).map(([c, i]) => new Release(c, i)),
  fc.tuple(client, id, fc.integer({ min: 100, max: 5000 })).map(([c, i, ms]) => new Extend(c, i, ms)),
  fc.tuple(client, fc.integer({ min: 1, max: 3000 })).map(([c, ms]) => new AdvanceAndExpire(c, ms)),
  fc.tuple(client, id, fc.bigInt({ min: 1n, max: 12_00n })).map(([c, i, a]) => new TopUp(c, i, a)),
];

const opened: Ledger[] = [];
afterAll(async () => {
  await Promise.all(opened.map((l) => l.close()));
});

it('random reserve/commit/release/extend/expire/retry sequences match the reference model', async () => {
  const seed = process.env.LEDGER_SEED ? Number(process.env.LEDGER_SEED) : undefined;
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (cmds) => {
      const prefix = uniquePrefix('model');
      const clock = { now: Date.UTC(2026, 10, 10) };
      const clients = [0, 1, 2].map((i) => createLedger({ redis: redisUrl(), prefix, clock: () => clock.now, actor: `client-${i}` }));
      opened.push(...clients);
      await clients[0]!.setBudget({ team: 'team', limit: cents(LIMITS.team), period: 'monthly' });
      for (const p of PROJECTS) await clients[0]!.setBudget({ team: 'team', project: p, limit: cents(LIMITS[p]), period: 'monthly' });
      const model: Model = { now: clock.now, spent: { team: 0n, p1: 0n, p2: 0n }, reserved: { team: 0n, p1: 0n, p2: 0n }, reservations: new Map() };

      const checkBalances = async () => {
        for (const scope of ['team', ...PROJECTS]) {
          const b = (await clients[0]!.getBudget(scope === 'team' ? { team: 'team' } : { team: 'team', project: scope }))!;
          expect([scope, b.spent, b.reserved]).toEqual([scope, cents(model.spent[scope]!), cents(model.reserved[scope]!)]);
          expect(money(b.spent).plus(b.reserved).lte(b.limit)).toBe(true);
        }
      };
      await fc.asyncModelRun(
        () => ({ model, real: { clients, clock } }),
        [...cmds].map((c) => ({
              check: c.check.bind(c),
              run: async (m: Model, r: Real) => {
                await c.run(m, r);
                await checkBalances();
              },
              toString: () => c.toString(),
            })),
      );
      const audit = await clients[0]!.audit('team', { count: 100_000 });
      // Each reservation the model saw resolved was resolved once in Redis, whichever client tried
      // again: one committed, released or expired entry per id, and none for the others.
      const resolvedIds = audit.filter((e) => ['committed', 'released', 'expired'].includes(e.op)).map((e) => e.fields.id);
      const modelResolved = [...model.reservations].filter(([, r]) => ['committed', 'released', 'expired'].includes(r.status)).map(([i]) => i);
      expect(resolvedIds.sort()).toEqual(modelResolved.sort());

      // The audit stream accounts for every change: folding its deltas gives the balances.
      const folded: Record<string, bigint> = { 'team.spent': 0n, 'team.reserved': 0n, 'p1.spent': 0n, 'p1.reserved': 0n, 'p2.spent': 0n, 'p2.reserved': 0n };
      const micros = (v: string | undefined) => BigInt(toMicros(money(v ?? '0'))) / 10_000n;
      for (const e of audit) {
        const project = e.fields.project;
        if (!project) continue;
        let reservedDelta = 0n;
        let spentDelta = 0n;
        if (e.op === 'reserve' || e.op === 'top-up') reservedDelta = micros(e.fields.amount);
        else if (['committed', 'released', 'expired'].includes(e.op)) {
          reservedDelta = -micros(e.fields.amount);
          spentDelta = micros(e.fields.charged);
        }
        for (const s of ['team', project]) {
          folded[`${s}.spent`]! += spentDelta;
          folded[`${s}.reserved`]! += reservedDelta;
        }
      }
      for (const s of ['team', ...PROJECTS]) {
        expect([s, folded[`${s}.spent`], folded[`${s}.reserved`]]).toEqual([s, model.spent[s], model.reserved[s]]);
      }
      await Promise.all(clients.map((c) => c.close()));
      opened.length = 0;
    }),
    { numRuns: Number(process.env.LEDGER_RUNS ?? 40), seed, path: process.env.LEDGER_PATH, endOnFailure: true },
  );
}, 120_000);
