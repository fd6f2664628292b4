import { formatMoney, money } from '../../money.js';
import type { BudgetView } from '../../ledger/schema.js';

/** One scope's window as the dashboard draws it: amounts as decimal strings, never numbers. */
export interface Burn {
  scope: 'team' | 'project';
  name: string;
  window: string;
  period: string;
  limit: string;
  spent: string;
  held: string;
  available: string;
  /** The alert thresholds as amounts of the limit, with their fraction. */
  alerts: { fraction: number; amount: string }[];
  /** Where (spent + held) lands at the window's end if it grows as it has so far; null for a budget with no period. */
  projected: string | null;
  /** The window's end (ISO), null for a budget with no period. */
  endsAt: string | null;
}

const DAY = 86_400_000;

/** The UTC calendar window of `period` holding `nowMs`: [start, end) in ms, or null for "none". */
export function windowBounds(period: string, nowMs: number): { start: number; end: number } | null {
  const d = new Date(nowMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const today = Date.UTC(y, m, d.getUTCDate());
  if (period === 'daily') return { start: today, end: today + DAY };
  if (period === 'weekly') {
    const start = today - ((d.getUTCDay() + 6) % 7) * DAY; // ISO weeks start on Monday
    return { start, end: start + 7 * DAY };
  }
  if (period === 'monthly') return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
  return null;
}

/** A scope's burn-down at `nowMs`: a pure function of the ledger's view. */
export function burnOf(v: BudgetView, nowMs: number): Burn {
  const limit = money(v.limit);
  const used = money(v.spent).plus(v.reserved);
  const bounds = windowBounds(v.period, nowMs);
  let projected: string | null = null;
  if (bounds) {
    // Elapsed time in whole ms (at least one, so the first instant of a window projects finitely).
    const elapsed = Math.max(1, nowMs - bounds.start);
    projected = formatMoney(used.times(bounds.end - bounds.start).dividedBy(elapsed).toDecimalPlaces(2));
  }
  return {
    scope: v.project === undefined ? 'team' : 'project',
    name: v.project ?? v.team,
    window: v.window,
    period: v.period,
    limit: v.limit,
    spent: v.spent,
    held: v.reserved,
    available: v.available,
    alerts: v.alerts.map((fraction) => ({ fraction, amount: formatMoney(limit.times(String(fraction))) })),
    projected,
    endsAt: bounds ? new Date(bounds.end).toISOString() : null,
  };
}

/** The UTC days (YYYY-MM-DD) of the window holding `nowMs` up to today; this month's for a budget with no period. */
export function windowDays(period: string, nowMs: number): { from: string; to: string } {
  const b = windowBounds(period === 'none' ? 'monthly' : period, nowMs)!;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(b.start), to: day(nowMs) };
}
