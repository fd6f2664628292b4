import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { money } from '../../../src/money.js';
import { testLedger } from '../../helpers/ledger.js';
import { startNode } from '../../helpers/processes.js';
import { redisUrl } from '../../helpers/redis.js';

const fixture = fileURLToPath(new URL('../../fixtures/ledger-client.mjs', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

it('processes reserving at once admit exactly what a serial model admits, and never overspend', async () => {
  const { ledger, prefix } = testLedger({ clock: Date.now });
  cleanups.push(() => ledger.close());
  // Team 25.00, project 18.00 (the tighter scope), each job 0.37: a serial model admits floor(18/0.37) = 48.
  await ledger.setBudget({ team: 'studio', limit: '25', period: 'monthly' });
  await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '18', period: 'monthly' });
  const processes = 6;
  const perProcess = 40;
  const runs = Array.from({ length: processes }, (_, p) =>
    startNode(fixture, [
      JSON.stringify({
        url: redisUrl(),
        prefix,
        team: 'studio',
        project: 'trailer',
        cost: '0.37',
        mode: 'reserve',
        ids: Array.from({ length: perProcess }, (_, i) => `p${p}-j${i}`),
      }),
    ]),
  );
  const outputs = await Promise.all(runs.map((r) => r.firstLine.then((l) => JSON.parse(l) as { status: string }[])));
  await Promise.all(runs.map((r) => r.exited));
  const all = outputs.flat();
  expect(all).toHaveLength(processes * perProcess);
  expect(all.filter((r) => r.status === 'reserved')).toHaveLength(48); // 48 × 0.37 = 17.76; a 49th would make 18.13
  expect(all.filter((r) => r.status === 'rejected')).toHaveLength(240 - 48);
  for (const scope of [{ team: 'studio' }, { team: 'studio', project: 'trailer' }]) {
    const b = (await ledger.getBudget(scope))!;
    expect(money(b.spent).plus(b.reserved).lte(b.limit)).toBe(true);
    expect(b.reserved).toBe('17.76');
  }
});

it('a reservation left by a killed process expires and its money returns', async () => {
  const { ledger, prefix } = testLedger({ clock: Date.now });
  cleanups.push(() => ledger.close());
  await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
  const run = startNode(fixture, [
    JSON.stringify({ url: redisUrl(), prefix, team: 'studio', project: 'trailer', cost: '4', mode: 'reserve-and-hang', leaseMs: 60_000, ids: ['orphan-1', 'orphan-2'] }),
  ]);
  expect(JSON.parse(await run.firstLine)).toEqual([
    { id: 'orphan-1', status: 'reserved' },
    { id: 'orphan-2', status: 'reserved' },
  ]);
  run.child.kill('SIGKILL');
  await run.exited;
  expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '8.00' });
  // The reaper runs on its own clock; one just past the lease sees both reservations due.
  const { ledger: later } = testLedger({ prefix, clock: () => Date.now() + 60_001 });
  cleanups.push(() => later.close());
  const expired = await later.expireDue();
  expect(expired.map((e) => e.reservationId).sort()).toEqual(['orphan-1', 'orphan-2']);
  expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '0.00', spent: '0.00', available: '10.00' });
});

it('several reapers at once expire each overdue reservation exactly once', async () => {
  const { ledger, prefix, clock } = testLedger();
  cleanups.push(() => ledger.close());
  await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '100', period: 'monthly' });
  await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      ledger.reserve({ reservationId: `j${i}`, team: 'studio', project: 'trailer', candidates: [{ cost: '1' }], leaseMs: 1000 }),
    ),
  );
  const reapers = [1, 2, 3, 4].map(() => testLedger({ prefix, clock: () => clock.now + 1000 }).ledger);
  cleanups.push(async () => void (await Promise.all(reapers.map((r) => r.close()))));
  const results = await Promise.all(reapers.map((r) => r.expireDue()));
  const ids = results.flat().map((r) => r.reservationId);
  expect(ids).toHaveLength(60);
  expect(new Set(ids).size).toBe(60);
  expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '0.00', spent: '0.00' });
  expect((await ledger.audit('studio')).filter((e) => e.op === 'expired')).toHaveLength(60);
});

it('startReaper expires on its own loop and stops cleanly', async () => {
  const { ledger, prefix, clock } = testLedger();
  cleanups.push(() => ledger.close());
  await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'monthly' });
  await ledger.reserve({ reservationId: 'x', team: 'studio', project: 'trailer', candidates: [{ cost: '2' }], leaseMs: 10 });
  const { startReaper } = await import('../../../src/ledger/index.js');
  const reaperLedger = testLedger({ prefix, clock: () => clock.now + 10 }).ledger;
  const expired = new Promise<string>((resolve) => {
    const reaper = startReaper(reaperLedger, { intervalMs: 20, onExpired: (r) => void reaper.stop().then(() => resolve(r.reservationId)) });
  });
  expect(await expired).toBe('x');
  await reaperLedger.close();
  expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ reserved: '0.00' });
});
