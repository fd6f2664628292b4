import { z } from 'zod';
import type { HistoryRow, TopJob } from '../ledger/history.js';
import { formatMoney, money, type Money } from '../money.js';

// What `vidgate report` shows, built from the ledger's spend history by pure functions: spend
// by project and model, savings by rule, estimate-vs-actual variance, rejections and the most
// expensive jobs. Amounts are decimal strings (the JSON format is this object as it is).

const AmountText = z.string().regex(/^-?\d+\.\d+$/);
const Figures = z.object({
  /** committed + reconciled: what the ledger's balances count as spent. */
  spent: AmountText,
  /** What the provider billed for completed jobs, and what their estimates said. */
  actual: AmountText,
  estimate: AmountText,
  /** actual − estimate. */
  variance: AmountText,
  completed: z.number().int(),
});

export const Report = z.object({
  team: z.string(),
  project: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  totals: Figures.extend({
    reserved: AmountText,
    committed: AmountText,
    reconciled: AmountText,
    released: AmountText,
    /** What a full budget left uncharged (a commit's overrun). */
    uncharged: AmountText,
    saved: AmountText,
    jobs: z.object({ admitted: z.number().int(), downgraded: z.number().int(), completed: z.number().int(), released: z.number().int(), expired: z.number().int(), rejected: z.number().int() }),
  }),
  byProject: z.array(Figures.extend({ project: z.string() })),
  byModel: z.array(Figures.extend({ model: z.string() })),
  byProjectModel: z.array(Figures.extend({ project: z.string(), model: z.string() })),
  byDay: z.array(z.object({ day: z.string(), spent: AmountText, saved: AmountText })),
  savings: z.array(z.object({ rule: z.string(), amount: AmountText })),
  rejections: z.array(z.object({ code: z.string(), count: z.number().int() })),
  topJobs: z.array(z.object({ month: z.string(), project: z.string(), model: z.string(), jobId: z.string(), reservationId: z.string(), cost: AmountText })),
});
export type Report = z.infer<typeof Report>;
export type Figures = z.infer<typeof Figures>;

interface Sums {
  spent: Money;
  actual: Money;
  estimate: Money;
  completed: number;
}
const zero = (): Sums => ({ spent: money('0'), actual: money('0'), estimate: money('0'), completed: 0 });
const add = (s: Sums, r: HistoryRow): Sums => ({
  spent: s.spent.plus(r.committed).plus(r.reconciled),
  actual: s.actual.plus(r.actual),
  estimate: s.estimate.plus(r.estimate),
  completed: s.completed + r.jobs.completed,
});
const figures = (s: Sums): Figures => ({
  spent: formatMoney(s.spent),
  actual: formatMoney(s.actual),
  estimate: formatMoney(s.estimate),
  variance: formatMoney(s.actual.minus(s.estimate)),
  completed: s.completed,
});

/** Sums rows by a key, keeping the keys sorted by spend (largest first), then by name. */
function groupBy(rows: HistoryRow[], key: (r: HistoryRow) => string): [string, Sums][] {
  const groups = new Map<string, Sums>();
  for (const r of rows) groups.set(key(r), add(groups.get(key(r)) ?? zero(), r));
  return [...groups].sort(([ka, a], [kb, b]) => b.spent.comparedTo(a.spent) || (ka < kb ? -1 : ka > kb ? 1 : 0));
}

const sortedEntries = <V>(m: Map<string, V>, cmp: (a: V, b: V) => number) => [...m].sort(([ka, a], [kb, b]) => cmp(a, b) || (ka < kb ? -1 : ka > kb ? 1 : 0));

/** The report of a team (or one project) over a span of days, from its history rows and dearest jobs. */
export function buildReport(query: { team: string; project?: string; from: string; to: string }, rows: HistoryRow[], top: TopJob[]): Report {
  // Rows that hold no money (rejections, savings by rule) stay out of the spend tables.
  const spending = rows.filter((r) => !r.reserved.isZero() || !r.committed.isZero() || !r.reconciled.isZero());
  let total = zero();
  let reserved = money('0');
  let committed = money('0');
  let reconciled = money('0');
  let released = money('0');
  let uncharged = money('0');
  const jobs = { admitted: 0, downgraded: 0, completed: 0, released: 0, expired: 0, rejected: 0 };
  const savings = new Map<string, Money>();
  const rejections = new Map<string, number>();
  const days = new Map<string, { spent: Money; saved: Money }>();
  for (const r of rows) {
    total = add(total, r);
    reserved = reserved.plus(r.reserved);
    committed = committed.plus(r.committed);
    reconciled = reconciled.plus(r.reconciled);
    released = released.plus(r.released);
    uncharged = uncharged.plus(r.uncharged);
    jobs.admitted += r.jobs.admitted;
    jobs.downgraded += r.jobs.downgraded;
    jobs.completed += r.jobs.completed;
    jobs.released += r.jobs.released;
    jobs.expired += r.jobs.expired;
    const day = days.get(r.day) ?? { spent: money('0'), saved: money('0') };
    day.spent = day.spent.plus(r.committed).plus(r.reconciled);
    for (const [rule, amount] of r.savings) {
      savings.set(rule, (savings.get(rule) ?? money('0')).plus(amount));
      day.saved = day.saved.plus(amount);
    }
    days.set(r.day, day);
    for (const [code, n] of r.rejected) {
      rejections.set(code, (rejections.get(code) ?? 0) + n);
      jobs.rejected += n;
    }
  }
  const saved = [...savings.values()].reduce((s, v) => s.plus(v), money('0'));
  return {
    team: query.team,
    project: query.project ?? null,
    from: query.from,
    to: query.to,
    totals: {
      ...figures(total),
      reserved: formatMoney(reserved),
      committed: formatMoney(committed),
      reconciled: formatMoney(reconciled),
      released: formatMoney(released),
      uncharged: formatMoney(uncharged),
      saved: formatMoney(saved),
      jobs,
    },
    byProject: groupBy(spending, (r) => r.project).map(([project, s]) => ({ project, ...figures(s) })),
    byModel: groupBy(spending, (r) => r.model).map(([model, s]) => ({ model, ...figures(s) })),
    byProjectModel: groupBy(spending, (r) => `${r.project}|${r.model}`).map(([k, s]) => {
      const [project, model] = k.split('|') as [string, string];
      return { project, model, ...figures(s) };
    }),
    byDay: [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, d]) => ({ day, spent: formatMoney(d.spent), saved: formatMoney(d.saved) })),
    savings: sortedEntries(savings, (a, b) => b.comparedTo(a)).map(([rule, amount]) => ({ rule, amount: formatMoney(amount) })),
    rejections: sortedEntries(rejections, (a, b) => b - a).map(([code, count]) => ({ code, count })),
    topJobs: top.map((j) => ({ month: j.month, project: j.project, model: j.model, jobId: j.jobId, reservationId: j.reservationId, cost: formatMoney(j.cost) })),
  };
}
