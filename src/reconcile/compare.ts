import { formatMoney, money, sumMoney, type Money } from '../money.js';
import type { TaskStatus } from '../providers/provider.js';

/** What the provider's own records say of one job's tasks (a job may have one per model it tried). */
export interface ProviderSide {
  jobId: string;
  tasks: { externalId: string; status: TaskStatus; billed: Money | null }[];
}

/** What the ledger says of the job's reservation. */
export interface LedgerSide {
  status: 'reserved' | 'committed' | 'released' | 'expired' | 'rejected' | 'unknown';
  /** What the ledger has charged for it in all: the commit's charge plus earlier reconciliations. */
  charged: Money;
  /** The reservation is held for reconciliation (its job failed with the provider's bill unknown). */
  held: boolean;
}

export type Finding =
  /** The provider billed a job whose reservation went back (or never committed): charge it. */
  | { kind: 'billed-outside-ledger'; jobId: string; billed: string; charged: string; ledger: LedgerSide['status'] }
  /** A commit's amount differs from the provider's bill: charge or refund the difference. */
  | { kind: 'amount-differs'; jobId: string; billed: string; charged: string }
  /** A held job whose task ended: settle it (commit what was billed, or release). */
  | { kind: 'held-task-ended'; jobId: string; billed: string }
  /**
   * A job held for reconciliation whose reservation the ledger has already settled, in agreement
   * with the bill (its own earlier run committed it, then the job ran again and was held): the
   * hold is cleared. Left alone it would stay listed as held for ever.
   */
  | { kind: 'held-already-settled'; jobId: string; billed: string; ledger: LedgerSide['status'] }
  /** A task still running while its reservation is gone: the next run settles it once it ends. */
  | { kind: 'running-without-reservation'; jobId: string; ledger: LedgerSide['status'] }
  /** A job held for reconciliation of which the provider lists no task: it stays held; look into it. */
  | { kind: 'held-unknown-to-provider'; jobId: string; since: string }
  /** Something the provider billed that vidgate cannot price (no unit price and no job data left). */
  | { kind: 'unpriced'; jobId: string; externalIds: string[] };

const ENDED = new Set<TaskStatus>(['succeeded', 'failed']);

/**
 * Compares one job's tasks at the provider with its reservation in the ledger. Pure: the
 * reconciler reads both sides and carries out what the finding calls for. null: they agree, or
 * the job is still in flight and its generator will settle it.
 */
export function compare(p: ProviderSide, l: LedgerSide): Finding | null {
  const running = p.tasks.some((t) => !ENDED.has(t.status));
  const unpriced = p.tasks.filter((t) => t.status === 'succeeded' && t.billed === null);
  if (unpriced.length) return { kind: 'unpriced', jobId: p.jobId, externalIds: unpriced.map((t) => t.externalId) };
  const billed = sumMoney(p.tasks.map((t) => (t.status === 'succeeded' ? t.billed! : money('0'))));
  const text = { billed: formatMoney(billed), charged: formatMoney(l.charged) };
  if (l.status === 'reserved') {
    if (!l.held || running) return null; // in flight: its generator settles it
    return { kind: 'held-task-ended', jobId: p.jobId, billed: text.billed };
  }
  if (running) return { kind: 'running-without-reservation', jobId: p.jobId, ledger: l.status };
  if (billed.equals(l.charged)) return l.held ? { kind: 'held-already-settled', jobId: p.jobId, billed: text.billed, ledger: l.status } : null;
  if (l.status === 'committed') return { kind: 'amount-differs', jobId: p.jobId, ...text };
  return { kind: 'billed-outside-ledger', jobId: p.jobId, ...text, ledger: l.status };
}
