import { afterEach, expect, it } from 'vitest';
import { testLedger } from '../../helpers/ledger.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

it("reads a team's budget and its projects' in one call, each as getBudget shows it, null where none is set", async () => {
  const { ledger } = testLedger();
  closers.push(() => ledger.close());
  await ledger.setBudget({ team: 'gb', limit: '100', period: 'monthly', alerts: [0.5] });
  await ledger.setBudget({ team: 'gb', project: 'a', limit: '10', period: 'daily' });
  await ledger.reserve({ reservationId: 'gb-1', team: 'gb', project: 'a', candidates: [{ cost: '2.50' }] });
  const [team, a, none] = await ledger.getBudgets('gb', ['a', 'nope']);
  expect(team).toEqual(await ledger.getBudget({ team: 'gb' }));
  expect(a).toEqual(await ledger.getBudget({ team: 'gb', project: 'a' }));
  expect(a).toMatchObject({ limit: '10.00', period: 'daily', reserved: '2.50', available: '7.50' });
  expect(team).toMatchObject({ limit: '100.00', reserved: '2.50', alerts: [0.5] });
  expect(none).toBeNull();
  await expect(ledger.getBudgets('gb', ['Bad Name'])).rejects.toThrow('project');
});
