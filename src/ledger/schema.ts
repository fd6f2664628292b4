import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { money, parseMoney, type Money } from '../money.js';
import { Name, ReservationId } from '../names.js';
import { ppm } from './codec.js';
import { Period } from './windows.js';
import { HistoryTag, type RouterRejection } from './history.js';

/** The largest limit the ledger takes: every sum of micro-units then stays exact in Lua. */
export const MAX_LIMIT = money('1000000000');


/** An amount as a decimal string or a Decimal; never a JavaScript number. */
export const Amount = z
  .union([z.string(), z.custom<Decimal>((v) => Decimal.isDecimal(v), 'expected a Decimal')])
  .transform((v, ctx): Money => {
    const m = typeof v === 'string' ? parseMoney(v) : money(v);
    if (!m || m.isNegative() || m.decimalPlaces() > 6) {
      ctx.addIssue({ code: 'custom', message: 'expected a non-negative amount with at most 6 decimals, such as "12.50"' });
      return z.NEVER;
    }
    return m;
  });

export const Fraction = z.number().gt(0, 'must be above 0').lte(1, 'must be at most 1');

/** An alert threshold. The ledger keeps them in millionths: a finer one would be stored as another (0.0000001 as 0). */
export const AlertFraction = Fraction.refine((f) => ppm.decode(ppm.encode(f)) === f, 'must have at most 6 decimals, e.g. 0.8 (the ledger keeps alerts in millionths)');

const LIMIT_RULE = `must be at most ${MAX_LIMIT.toString()} (the largest limit the ledger keeps exactly)`;
/** A limit as a policy file writes it: a decimal string the ledger takes as it is. */
export const LimitText = z
  .string()
  // abort: zod 4 runs the next check after a failed one, and money() throws on text that is not a number.
  .regex(/^(0|[1-9]\d*)(\.\d{1,6})?$/, { message: 'expected a decimal string with at most 6 decimals, like "500.00"', abort: true })
  .refine((t) => money(t).lte(MAX_LIMIT), LIMIT_RULE);

export const BudgetInput = z.strictObject({
  team: Name,
  project: Name.optional(),
  limit: Amount.refine((m) => m.lte(MAX_LIMIT), LIMIT_RULE),
  period: Period,
  alerts: z.array(AlertFraction).default([]),
});
export type BudgetInput = z.input<typeof BudgetInput>;

export const Candidate = z.strictObject({
  cost: Amount,
  /** Admit this candidate only if every scope stays at or under this share of its limit. */
  ceiling: Fraction.default(1),
  /** What the spend history records if this candidate is admitted; without it: model "-", estimate = cost. */
  history: HistoryTag.optional(),
});

export const ReserveInput = z.strictObject({
  reservationId: ReservationId,
  team: Name,
  project: Name,
  candidates: z.array(Candidate).min(1, 'give at least one candidate'),
  leaseMs: z.number().int().positive().optional(),
  /** The caller's id of the job, for the history's most expensive jobs. */
  jobId: ReservationId.optional(),
});
export type ReserveInput = z.input<typeof ReserveInput>;

export const CommitInput = z.strictObject({ reservationId: ReservationId, actual: Amount });
export type CommitInput = z.input<typeof CommitInput>;
export const ReleaseInput = z.strictObject({ reservationId: ReservationId, reason: z.string().max(500).optional() });
export type ReleaseInput = z.input<typeof ReleaseInput>;
export const TopUpInput = z.strictObject({ reservationId: ReservationId, amount: Amount });
export type TopUpInput = z.input<typeof TopUpInput>;
/** What an operation on one existing reservation answers, whatever it did: how it stands now. */
interface OnReservation {
  status: 'reserved' | 'committed' | 'released' | 'expired' | 'rejected' | 'unknown';
  reservationId: string;
  scopes?: ScopeBalance[];
}
export interface TopUpResult extends OnReservation {
  toppedUp: boolean;
  amount?: string;
  reason?: 'insufficient-budget' | 'already-covered';
}
export const ReconcileInput = z.strictObject({ reservationId: ReservationId, billed: Amount });
export type ReconcileInput = z.input<typeof ReconcileInput>;
export interface ReconcileResult extends OnReservation {
  /** Whether spent changed: by `delta`, to bring what was charged in all to `charged`. */
  adjusted: boolean;
  delta?: string;
  charged?: string;
}

/** How a reservation stands, from its record: what `vidgate reconcile` compares with the provider. */
export interface ReservationView {
  reservationId: string;
  status: OnReservation['status'];
  team: string;
  project: string;
  amount: string;
  /** What the ledger charged for it in all: the commit's charge and any reconciliation since. */
  charged: string;
  /** The terms an extend kept with it, if any. */
  terms: [string, string] | null;
  /**
   * What the ledger knows the provider billed for it: the charge, plus what a commit could not
   * charge within the budget (its overrun, reported then, not charged later), plus reconciliation.
   */
  recorded: string;
}

/**
 * `terms`: two texts the caller keeps with the record from now on, for as long as the record is
 * kept (vidgate keeps the job's pricing terms there for reconciliation). Kept short by the caller:
 * within Redis's compact hash value size (64 bytes) the record keeps its small encoding.
 */
export const ExtendInput = z.strictObject({ reservationId: ReservationId, leaseMs: z.number().int().positive(), terms: z.tuple([z.string().min(1), z.string()]).optional() });
export type ExtendInput = z.input<typeof ExtendInput>;

/** A scope's balances after an operation; amounts are decimal strings. */
export interface ScopeBalance {
  scope: 'team' | 'project';
  name: string;
  window: string;
  limit: string;
  spent: string;
  reserved: string;
  available: string;
}

export interface Alert {
  scope: 'team' | 'project';
  name: string;
  window: string;
  threshold: number;
  limit: string;
  spent: string;
  reserved: string;
}

export type ReserveResult =
  | {
      status: 'reserved';
      reservationId: string;
      candidate: number;
      amount: string;
      leaseUntil: number;
      scopes: ScopeBalance[];
      alerts: Alert[];
      replayed: boolean;
      /** The day (UTC) the spend history keeps this reservation's money in. */
      day: string;
    }
  | {
      status: 'rejected';
      reservationId: string;
      /** The ledger's reasons, or (replayed) the router's code of an earlier rejection of the same id. */
      reason: 'insufficient-budget' | 'no-budget' | RouterRejection;
      scopes: ScopeBalance[];
      replayed: boolean;
      day: string;
    };

export type ResolveResult =
  | {
      status: 'committed' | 'released' | 'expired';
      reservationId: string;
      reserved: string;
      charged: string;
      /** commit only: what the provider billed, and what could not be charged for want of headroom */
      actual?: string;
      overrun?: string;
      refunded?: string;
      reason?: string;
      scopes: ScopeBalance[];
      alerts: Alert[];
      replayed: boolean;
    }
  | { status: 'rejected'; reservationId: string; replayed: true }
  | { status: 'unknown'; reservationId: string; replayed: false };

export type ExtendResult = {
  status: 'reserved' | 'committed' | 'released' | 'expired' | 'rejected' | 'unknown';
  reservationId: string;
  extended: boolean;
  leaseUntil?: number;
};

export interface BudgetView {
  team: string;
  project?: string;
  limit: string;
  period: z.infer<typeof Period>;
  alerts: number[];
  /** The thresholds (fractions of the limit) that fired in the current window. */
  alertsFired: number[];
  window: string;
  spent: string;
  reserved: string;
  available: string;
}

export interface AuditEntry {
  id: string;
  op: string;
  at: number;
  fields: Record<string, string>;
}
