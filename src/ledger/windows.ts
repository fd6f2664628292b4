import { z } from 'zod';

export const Period = z.enum(['none', 'daily', 'weekly', 'monthly']);
export type Period = z.infer<typeof Period>;

/** Window ids for every period at one instant, in the order the reserve script takes them. */
export type Windows = Record<Period, string>;

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO-8601 week of a UTC date: weeks start on Monday; week 1 holds the year's first Thursday. */
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${pad(week)}`;
}

/** The UTC calendar window of each period that holds `nowMs`; "all" for a budget with no period. */
export function windowsAt(nowMs: number): Windows {
  const d = new Date(nowMs);
  const y = d.getUTCFullYear();
  const m = pad(d.getUTCMonth() + 1);
  return { none: 'all', daily: `${y}-${m}-${pad(d.getUTCDate())}`, weekly: isoWeek(d), monthly: `${y}-${m}` };
}
