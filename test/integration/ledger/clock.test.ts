// One clock: a ledger with no clock option follows Redis's TIME for leases, windows and expiry,
// whatever its host's clock says (Date is faked here to be hours or days off; timers stay real).
import { afterAll, afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createLedger, windowsAt, type Ledger } from '../../../src/ledger/index.js';
import { connect, redisUrl, uniquePrefix } from '../../helpers/redis.js';

const HOUR = 3_600_000;
const redis = connect();
let ledgers: Ledger[] = [];
let realNow: () => number;

beforeEach(() => {
  realNow = Date.now;
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterAll(async () => {
  await redis.quit();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(ledgers.map((l) => l.close()));
  ledgers = [];
});

/** Redis's time in ms, as the scripts read it. */
async function redisNow(): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** From here on, this process's clock is `skewMs` off. */
function skew(skewMs: number): void {
  vi.setSystemTime(realNow() + skewMs);
}

/** A ledger on a host whose clock is `skewMs` off (until the next skew). */
function hostAt(skewMs: number, prefix: string): Ledger {
  skew(skewMs);
  const ledger = createLedger({ redis: redisUrl(), prefix, actor: `skew-${skewMs}` });
  ledgers.push(ledger);
  return ledger;
}

const reserve = (l: Ledger, id: string, leaseMs: number) =>
  l.reserve({ reservationId: id, team: 'studio', project: 'trailer', candidates: [{ cost: '1' }], leaseMs });

it('a lease runs from Redis’s time, so a host behind cannot stretch it and a host ahead cannot cut it', async () => {
  const prefix = uniquePrefix('clock');
  const behind = hostAt(-6 * HOUR, prefix);
  await behind.setBudget({ team: 'studio', project: 'trailer', limit: '100', period: 'none' });
  const t0 = await redisNow();
  const long = await reserve(behind, 'long', 60_000);
  const short = await reserve(behind, 'short', 1);
  const t1 = await redisNow();
  expect(long.status === 'reserved' && long.leaseUntil).toBeGreaterThanOrEqual(t0 + 60_000);
  expect(long.status === 'reserved' && long.leaseUntil).toBeLessThanOrEqual(t1 + 60_000);
  if (short.status !== 'reserved') throw new Error('not reserved');
  // Wait on Redis's clock itself (a millisecond) until the short lease is past.
  while ((await redisNow()) <= short.leaseUntil);

  // A reaper on a host six hours ahead does not expire the long lease early...
  const ahead = hostAt(6 * HOUR, prefix);
  expect((await ahead.expireDue()).map((r) => r.reservationId)).toEqual(['short']);
  // ...and one six hours behind expires a lease (taken on a host ahead) that ran out.
  const late = await reserve(ahead, 'short2', 1);
  if (late.status !== 'reserved') throw new Error('not reserved');
  while ((await redisNow()) <= late.leaseUntil);
  skew(-6 * HOUR);
  expect((await behind.expireDue()).map((r) => r.reservationId)).toEqual(['short2']);
  const t2 = await redisNow();
  const extended = await behind.extend({ reservationId: 'long', leaseMs: 1000 });
  expect(extended.leaseUntil).toBeGreaterThanOrEqual(t2 + 1000);
  expect(extended.leaseUntil).toBeLessThanOrEqual((await redisNow()) + 1000);
});

it.each([
  ['a day behind', -25 * HOUR],
  ['a month ahead', 32 * 24 * HOUR],
])('a host %s reserves and reads in Redis’s windows (keys rebuilt from the script’s time)', async (_, skewMs) => {
  const prefix = uniquePrefix('clock');
  const host = hostAt(skewMs, prefix);
  await host.setBudget({ team: 'studio', limit: '100', period: 'monthly' });
  await host.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'daily' });
  const server = windowsAt(await redisNow());
  const r = await reserve(host, 'a', 60_000);
  expect(r.scopes.map((s) => s.window)).toEqual([server.daily, server.monthly]);
  expect(await host.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ window: server.daily, reserved: '1.00' });
  expect(await host.getBudget({ team: 'studio' })).toMatchObject({ window: server.monthly, reserved: '1.00' });
  expect(await redis.hget(`${prefix}:{studio}:bal:p:trailer:${server.daily}`, 'reserved')).toBe('1000000');
  expect(await host.commit({ reservationId: 'a', actual: '0.5' })).toMatchObject({ status: 'committed', charged: '0.50' });
  expect(await host.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ spent: '0.50', reserved: '0.00' });
  const audit = await host.audit('studio');
  const at = audit.find((e) => e.op === 'reserve')!.at;
  expect(Math.abs(at - realNow())).toBeLessThan(5_000);
});
