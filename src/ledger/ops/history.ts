import type { RedisConnection as Redis } from '../../redis-connection.js';
import { money, type Money } from '../../money.js';
import { micros } from '../codec.js';
import type { LedgerKeys } from '../keys.js';
import { COUNT_MEASURES, MONEY_MEASURES, PACKED, type HistoryRow, type PackedSlot, type TopJob } from '../history.js';

/** Every UTC day from `from` to `to`, both included (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Every month (YYYY-MM) the days from `from` to `to` touch. */
export function monthsBetween(from: string, to: string): string[] {
  return [...new Set(daysBetween(from, to).map((d) => d.slice(0, 7)))];
}

const own = <T extends object>(o: T, k: PropertyKey): k is keyof T => Object.prototype.hasOwnProperty.call(o, k);

function emptyRow(day: string, project: string, model: string): HistoryRow {
  const zero = money('0');
  return {
    day,
    project,
    model,
    reserved: zero,
    committed: zero,
    released: zero,
    committedBeyondReserve: zero,
    reconciled: zero,
    actual: zero,
    estimate: zero,
    uncharged: zero,
    jobs: { admitted: 0, downgraded: 0, completed: 0, released: 0, expired: 0 },
    rejected: new Map(),
    savings: new Map(),
  };
}

const INTEGER = /^-?\d+$/;
const PACKED_VALUE = /^(-?\d+)?(,(-?\d+)?)*$/;

/** Adds one measure's integer text to a row. */
function addMeasure(row: HistoryRow, measure: string, value: string): void {
  if (own(MONEY_MEASURES, measure)) row[MONEY_MEASURES[measure]] = row[MONEY_MEASURES[measure]].plus(micros.toMoney(value));
  else if (own(COUNT_MEASURES, measure)) row.jobs[COUNT_MEASURES[measure]] += Number(value);
  else if (measure.startsWith('n.rej.')) row.rejected.set(measure.slice(6), (row.rejected.get(measure.slice(6)) ?? 0) + Number(value));
  else if (measure.startsWith('s.')) row.savings.set(measure.slice(2), (row.savings.get(measure.slice(2)) ?? money('0')).plus(micros.toMoney(value)));
}

/** Adds a packed group's integers (history.lua: "a,b,,d", zeros empty) to a row. */
function addPacked(row: HistoryRow, slots: readonly PackedSlot[], value: string): void {
  value.split(',').forEach((v, i) => {
    const slot = slots[i];
    if (v === '' || !slot) return;
    if ('money' in slot) row[slot.money] = row[slot.money].plus(micros.toMoney(v));
    else if ('count' in slot) row.jobs[slot.count] += Number(v);
    else row.rejected.set(slot.rejected, (row.rejected.get(slot.rejected) ?? 0) + Number(v));
  });
}

/**
 * One day's hash as rows, one per (project, model), sorted. Fields are
 * "<project>|<model>|<group>" holding a packed group of measures (PACKED), or
 * "<project>|<model>|<measure>" holding one (savings by rule, and any older writer's); both add
 * up. A field of any other shape, or an unknown measure, is skipped (a newer writer's measure
 * must not break an older reader).
 */
export function decodeDay(day: string, hash: Record<string, string>, project?: string): HistoryRow[] {
  const rows = new Map<string, HistoryRow>();
  for (const [field, value] of Object.entries(hash)) {
    const parts = field.split('|');
    if (parts.length !== 3) continue;
    const [p, m, measure] = parts as [string, string, string];
    if (project !== undefined && p !== project) continue;
    const group = own(PACKED, measure) ? PACKED[measure] : undefined;
    if (group ? !PACKED_VALUE.test(value) : !INTEGER.test(value)) continue;
    const rowKey = `${p}|${m}`;
    const row = rows.get(rowKey) ?? emptyRow(day, p, m);
    rows.set(rowKey, row);
    if (group) addPacked(row, group, value);
    else addMeasure(row, measure, value);
  }
  for (const r of rows.values()) r.actual = r.committed.plus(r.uncharged);
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

/** The rows of a team's days, oldest first, in one pipelined round trip. */
export async function readHistory(redis: Redis, keys: LedgerKeys, team: string, days: string[], project?: string): Promise<HistoryRow[]> {
  const pipeline = redis.pipeline();
  for (const d of days) pipeline.hgetall(keys.history(team, d));
  const replies = (await pipeline.exec()) ?? [];
  return replies.flatMap(([err, hash], i) => {
    if (err) throw err;
    return decodeDay(days[i]!, hash as Record<string, string>, project);
  });
}

/** The months' most expensive jobs, dearest first, at most `limit`; within `project` if given. */
export async function readTopJobs(redis: Redis, keys: LedgerKeys, team: string, months: string[], limit: number, project?: string): Promise<TopJob[]> {
  const pipeline = redis.pipeline();
  for (const m of months) pipeline.zrevrange(keys.historyTop(team, m), 0, -1, 'WITHSCORES');
  const replies = (await pipeline.exec()) ?? [];
  const jobs: TopJob[] = [];
  replies.forEach(([err, flat], i) => {
    if (err) throw err;
    const list = flat as string[];
    for (let j = 0; j + 1 < list.length; j += 2) {
      const parts = list[j]!.split('|');
      if (parts.length !== 4 || !/^\d+$/.test(list[j + 1]!)) continue;
      const [p, model, jobId, reservationId] = parts as [string, string, string, string];
      if (project !== undefined && p !== project) continue;
      jobs.push({ month: months[i]!, project: p, model, jobId, reservationId, cost: micros.toMoney(list[j + 1]!) });
    }
  });
  return jobs.sort(byCostThenId).slice(0, limit);
}

function byCostThenId(a: TopJob, b: TopJob): number {
  const c = b.cost.comparedTo(a.cost);
  return c !== 0 ? c : a.reservationId < b.reservationId ? -1 : a.reservationId > b.reservationId ? 1 : 0;
}

