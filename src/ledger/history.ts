import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { ModelId } from '../catalog.js';
import { money, type Money } from '../money.js';
import { Name, ReservationId } from '../names.js';

// The spend history's vocabulary: what a reservation tells it (a candidate's tag), what a read
// asks for and what it answers. The layout is in docs/ledger.md, "Spend history".

/** A saving or any signed amount as a decimal string or a Decimal (at most 6 decimals); never a number. */
export const SignedAmount = z
  .union([z.string().regex(/^-?(0|[1-9]\d*)(\.\d{1,6})?$/, 'expected a decimal string with at most 6 decimals, such as "-0.25"'), z.custom<Decimal>((v) => Decimal.isDecimal(v), 'expected a Decimal')])
  .transform((v, ctx): Money => {
    const m = money(v);
    if (m.decimalPlaces() > 6) {
      ctx.addIssue({ code: 'custom', message: 'expected at most 6 decimals' });
      return z.NEVER;
    }
    return m;
  });

/** A rule or ladder step's name as the history keeps it (a hash field's part: no "|", ";" or "="). */
export const RuleName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'use 1-41 lowercase letters, digits or "-"');

/** What the history records of the candidate a reservation admits: its model, its estimate (the
 * price, which the reservation may exceed to cover a fallback), whether it is a downgrade, and
 * what each rule saved on it. */
export const HistoryTag = z.strictObject({
  model: ModelId,
  estimate: SignedAmount.refine((m) => !m.isNegative(), 'must not be negative'),
  downgraded: z.boolean().default(false),
  savings: z.array(z.strictObject({ rule: RuleName, amount: SignedAmount })).max(20).default([]),
});
export type HistoryTag = z.input<typeof HistoryTag>;

/** A UTC day, YYYY-MM-DD, that exists in the calendar. */
export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a UTC day as YYYY-MM-DD, such as 2026-11-27')
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d;
  }, 'is not a day of the calendar');

/** The router's codes of rejections that never reach a reservation (the ledger's own are `no-budget`, `insufficient-budget`). */
export const RouterRejection = z.enum(['invalid-job', 'no-project-budget', 'unpriceable', 'no-candidate']);
export type RouterRejection = z.infer<typeof RouterRejection>;

export const RejectInput = z.strictObject({
  reservationId: ReservationId,
  team: Name,
  /** The job's project when it has a budget; otherwise the history counts it under "-". */
  project: Name.nullable(),
  model: ModelId.nullable(),
  code: RouterRejection,
});
export type RejectInput = z.input<typeof RejectInput>;

/** The money measures of one (day, project, model), in the order the docs list them. */
export const MONEY_MEASURES = {
  rsv: 'reserved',
  com: 'committed',
  rel: 'released',
  ovr: 'committedBeyondReserve',
  rec: 'reconciled',
  est: 'estimate',
  unc: 'uncharged',
} as const;
/** The job counts, by outcome. */
export const COUNT_MEASURES = {
  'n.adm': 'admitted',
  'n.dwn': 'downgraded',
  'n.com': 'completed',
  'n.rel': 'released',
  'n.exp': 'expired',
} as const;

type MoneyName = (typeof MONEY_MEASURES)[keyof typeof MONEY_MEASURES];
type CountName = (typeof COUNT_MEASURES)[keyof typeof COUNT_MEASURES];
/** The codes of every rejection the history counts: the ledger's own, then the router's. */
export const REJECTION_CODES = ['no-budget', 'insufficient-budget', ...RouterRejection.options] as const;

/** One place of a packed group: a money measure, a count of jobs by outcome, or of rejections by code. */
export type PackedSlot = { money: MoneyName } | { count: CountName } | { rejected: string };

/**
 * How the scripts pack measures into a day hash's fields (lua/include/history.lua, PACKED): field
 * "<project>|<model>|<group>" holds the group's integers in this order, comma-separated, a zero
 * as nothing and trailing zeros left off.
 */
export const PACKED: Record<'$' | 'c' | 'n', readonly PackedSlot[]> = {
  $: (['reserved', 'committed', 'released', 'estimate'] as const).map((money) => ({ money })),
  c: (['reconciled', 'committedBeyondReserve', 'uncharged'] as const).map((money) => ({ money })),
  n: [...(['admitted', 'downgraded', 'completed', 'released', 'expired'] as const).map((count) => ({ count })), ...REJECTION_CODES.map((rejected) => ({ rejected }))],
};

const MoneyOf = z.custom<Money>((v) => Decimal.isDecimal(v));
const Count = z.number().int().nonnegative();

export const HistoryRow = z.object({
  day: Day,
  /** A project name, or "-" for rejections of jobs whose project has no budget. */
  project: z.string(),
  /** A model id, or "-": savings by rule (kept per project), and rejections of jobs that never got as far as a model. */
  model: z.string(),
  reserved: MoneyOf,
  committed: MoneyOf,
  released: MoneyOf,
  committedBeyondReserve: MoneyOf,
  reconciled: MoneyOf,
  /** What the provider billed at commit: committed + uncharged (kept as those two). */
  actual: MoneyOf,
  estimate: MoneyOf,
  uncharged: MoneyOf,
  /** Jobs by outcome: admitted as asked or downgraded (at reserve), then completed, released or expired. */
  jobs: z.object({ admitted: Count, downgraded: Count, completed: Count, released: Count, expired: Count }),
  /** Rejections by code. */
  rejected: z.map(z.string(), Count),
  /** Savings by rule. */
  savings: z.map(z.string(), MoneyOf),
});
export type HistoryRow = z.infer<typeof HistoryRow>;

export const HistoryQuery = z
  .strictObject({ team: Name, project: Name.optional(), from: Day, to: Day })
  .refine((q) => !Day.safeParse(q.from).success || !Day.safeParse(q.to).success || q.from <= q.to, { message: '"from" must not be after "to"', path: ['from'] });
export type HistoryQuery = z.input<typeof HistoryQuery>;

export const TopJob = z.object({
  month: z.string(),
  project: z.string(),
  model: z.string(),
  /** The caller's job id ("" when the reservation was made without one). */
  jobId: z.string(),
  reservationId: z.string(),
  /** What the provider billed for it (after reconciliation when that changed it). */
  cost: MoneyOf,
});
export type TopJob = z.infer<typeof TopJob>;

/**
 * What the rows say a scope's balances are, for rows of the days of one budget window (and of
 * one project, for a project scope): spent = committed + reconciled, reserved = reserved -
 * released - (committed - committedBeyondReserve). Equal to the ledger's balances exactly.
 */
export function historyBalances(rows: Iterable<HistoryRow>): { spent: Money; reserved: Money } {
  let spent = money('0');
  let reserved = money('0');
  for (const r of rows) {
    spent = spent.plus(r.committed).plus(r.reconciled);
    reserved = reserved.plus(r.reserved).minus(r.released).minus(r.committed).plus(r.committedBeyondReserve);
  }
  return { spent, reserved };
}
