import { expect, it } from 'vitest';
import { windowsAt } from '../../../src/ledger/windows.js';

it.each([
  ['2026-11-26T12:00:00Z', { none: 'all', daily: '2026-11-26', weekly: '2026-W48', monthly: '2026-11' }],
  ['2026-11-30T23:59:59.999Z', { none: 'all', daily: '2026-11-30', weekly: '2026-W49', monthly: '2026-11' }],
  // ISO weeks belong to the year of their Thursday.
  ['2025-12-29T00:00:00Z', { none: 'all', daily: '2025-12-29', weekly: '2026-W01', monthly: '2025-12' }],
  ['2027-01-01T00:00:00Z', { none: 'all', daily: '2027-01-01', weekly: '2026-W53', monthly: '2027-01' }],
  ['2027-01-04T00:00:00Z', { none: 'all', daily: '2027-01-04', weekly: '2027-W01', monthly: '2027-01' }],
])('%s falls in %j (UTC)', (at, windows) => {
  expect(windowsAt(Date.parse(at))).toEqual(windows);
});
