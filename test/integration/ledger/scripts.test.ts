// The scripts below the Ledger facade: their calendar against windows.ts, and the check that keeps
// a caller with wrongly built keys off other balances.
import { afterAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { money } from '../../../src/money.js';
import { LedgerKeys, windowsAt } from '../../../src/ledger/index.js';
import { expandIncludes, scriptRunner } from '../../../src/ledger/scripts.js';
import { commitCall } from '../../../src/ledger/ops/commit.js';
import type { Located, OpContext } from '../../../src/ledger/ops/context.js';
import { testLedger } from '../../helpers/ledger.js';
import { connect } from '../../helpers/redis.js';

const redis = connect();
afterAll(async () => {
  await redis.quit();
});

const include = (file: string) => readFileSync(new URL(`../../../src/ledger/lua/include/${file}`, import.meta.url), 'utf8');
const windowsScript = expandIncludes(
  `--@include windows.lua
local out = {}
for i, at in ipairs(ARGV) do
  local w = {}
  for p, period in ipairs(PERIOD_NAMES) do w[p] = windowOf(period, tonumber(at)) end
  out[i] = table.concat(w, ' ')
end
return out`,
  include,
);

it('the scripts’ calendar names the same UTC windows as windows.ts, at every boundary from 1999 to 2101', async () => {
  const instants: number[] = [];
  for (let day = Date.UTC(1999, 0, 1); day < Date.UTC(2101, 0, 1); day += 86_400_000) {
    instants.push(day - 1, day, day + 43_210_987);
  }
  for (let i = 0; i < instants.length; i += 5000) {
    const batch = instants.slice(i, i + 5000);
    const lua = (await redis.eval(windowsScript, 0, ...batch)) as string[];
    const ts = batch.map((at) => Object.values(windowsAt(at)).join(' '));
    expect(lua).toEqual(ts);
  }
});

it('a settling script given balance keys of other windows than the reservation recorded writes nothing', async () => {
  const { ledger, prefix, clock } = testLedger();
  try {
    await ledger.setBudget({ team: 'studio', limit: '100', period: 'monthly' });
    await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'daily' });
    await ledger.reserve({ reservationId: 'a', team: 'studio', project: 'trailer', candidates: [{ cost: '4' }] });
    const before = await redis.keys(`${prefix}:*`);
    const snapshot = async () => Promise.all(before.filter((k) => k.includes(':bal:') || k.includes(':res:') || k.includes(':hist:2')).sort().map((k) => redis.hgetall(k)));
    const state = await snapshot();

    const ctx: OpContext = { keys: new LedgerKeys(prefix), auditMaxLen: '1000', actor: 'test', retentionMs: '60000', defaultLeaseMs: 60_000, historyRetentionMs: '60000', historyTopJobs: '10' };
    const run = scriptRunner(redis);
    const today = windowsAt(clock.now);
    const attempt = async (scopes: Located['scopes'], day: string | null = today.daily) => {
      const { keys, args } = commitCall(ctx, 'a', { arg: String(clock.now), guess: clock.now }, { team: 'studio', project: 'trailer', scopes, day }, money('4'));
      return JSON.parse((await run('commit', keys, args)) as string) as { status: string };
    };
    // Yesterday's project balance, the team's daily balance instead of its monthly one, a scope left out.
    for (const scopes of [
      [{ scope: 'project', window: '2026-11-14' }, { scope: 'team', window: today.monthly }],
      [{ scope: 'project', window: today.daily }, { scope: 'team', window: today.daily }],
      [{ scope: 'project', window: today.daily }],
    ] as Located['scopes'][]) {
      expect(await attempt(scopes)).toEqual({ status: 'stale-keys', reservationId: 'a' });
    }
    // The right balances, but another day's history (or none): the history would go astray.
    const recorded: Located['scopes'] = [{ scope: 'project', window: today.daily }, { scope: 'team', window: today.monthly }];
    for (const day of ['2026-11-14', null]) expect(await attempt(recorded, day)).toEqual({ status: 'stale-keys', reservationId: 'a' });
    expect(await snapshot()).toEqual(state);
    expect(await redis.keys(`${prefix}:*`)).toHaveLength(before.length);

    // The keys the reservation recorded settle it.
    expect(await attempt([{ scope: 'project', window: today.daily }, { scope: 'team', window: today.monthly }])).toMatchObject({ status: 'committed' });
    expect(await ledger.getBudget({ team: 'studio', project: 'trailer' })).toMatchObject({ spent: '4.00', reserved: '0.00' });
  } finally {
    await ledger.close();
  }
});
