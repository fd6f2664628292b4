import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { COUNT_MEASURES, MONEY_MEASURES, PACKED } from '../../../src/ledger/history.js';
import { decodeDay } from '../../../src/ledger/ops/history.js';

const DAY = '2026-11-15';

it('reads packed groups by place, zeros left out, and adds the single-measure fields of savings and of older writers', () => {
  const rows = decodeDay(DAY, {
    'trailer|kling-3.0|$': '4000000,3900000,100000,3500000',
    'trailer|kling-3.0|c': '-250000,,1000',
    'trailer|kling-3.0|n': '2,1,1,,1,,3,,,1',
    // An older writer's fields for the same row add to the packed ones.
    'trailer|kling-3.0|rsv': '1000000',
    'trailer|kling-3.0|n.com': '2',
    'trailer|kling-3.0|n.rej.unpriceable': '1',
    'trailer|-|s.staging': '1250000',
    'trailer|-|s.cheaper-model': '-5',
  });
  expect(rows.map((r) => `${r.project}|${r.model}`)).toEqual(['trailer|-', 'trailer|kling-3.0']);
  const [savings, row] = rows as [(typeof rows)[0], (typeof rows)[0]];
  expect([...savings.savings].map(([rule, m]) => `${rule}=${m.toFixed()}`)).toEqual(['staging=1.25', 'cheaper-model=-0.000005']);
  expect(row.reserved.toFixed()).toBe('5');
  expect(row.committed.toFixed()).toBe('3.9');
  expect(row.released.toFixed()).toBe('0.1');
  expect(row.estimate.toFixed()).toBe('3.5');
  expect(row.reconciled.toFixed()).toBe('-0.25');
  expect(row.committedBeyondReserve.toFixed()).toBe('0');
  expect(row.uncharged.toFixed()).toBe('0.001');
  expect(row.actual.toFixed()).toBe('3.901');
  expect(row.jobs).toEqual({ admitted: 2, downgraded: 1, completed: 3, released: 0, expired: 1 });
  expect([...row.rejected].sort()).toEqual([
    ['insufficient-budget', 3],
    ['unpriceable', 2],
  ]);
});

it('skips what it does not know: malformed values, other shapes, places past the layout', () => {
  const rows = decodeDay(DAY, {
    'trailer|kling-3.0|$': '1,x',
    'trailer|kling-3.0|n': '1,,,,,,,,,,,7',
    'trailer|kling-3.0|zzz': '5',
    'trailer|kling-3.0': '5',
    'a|b|c|d': '5',
    'teaser|kling-o3|c': '1.5',
  });
  expect(rows).toHaveLength(1);
  expect(rows[0]!.jobs.admitted).toBe(1);
  expect(rows[0]!.reserved.toFixed()).toBe('0');
  expect(rows[0]!.rejected.size).toBe(0);
});

it("the reader's layout (PACKED) is the scripts' (history.lua), place for place", () => {
  const lua = readFileSync(new URL('../../../src/ledger/lua/include/history.lua', import.meta.url), 'utf8');
  const places = [...lua.matchAll(/m == '([^']+)' then return '(.)', (\d+)/g)].map(([, code, group, place]) => ({ code: code!, group: group!, place: Number(place) }));
  expect(places.length).toBe(Object.values(PACKED).reduce((n, slots) => n + slots.length, 0));
  for (const { code, group, place } of places) {
    const slot = PACKED[group as keyof typeof PACKED][place - 1];
    const expected = code in MONEY_MEASURES ? { money: MONEY_MEASURES[code as keyof typeof MONEY_MEASURES] } : code in COUNT_MEASURES ? { count: COUNT_MEASURES[code as keyof typeof COUNT_MEASURES] } : { rejected: code.replace(/^n\.rej\./, '') };
    expect(slot, code).toEqual(expected);
  }
});
