import type { ModelId } from '../../catalog.js';
import type { Money } from '../../money.js';
import type { DecisionRecord } from './decision.js';
import { readMoney, writeMoney, type AmountText } from './money-text.js';

/** How a generation ended: the generate job's return value. Fields that do not apply are null. */
export interface GenerationResult {
  /** The caller's id. */
  id: string;
  state: 'completed' | 'failed' | 'cancelled';
  model: ModelId;
  videoUrl: string | null;
  outputSeconds: number | null;
  estimatedCost: AmountText;
  reserved: AmountText;
  actualCost: AmountText | null;
  charged: AmountText | null;
  /** actual − estimated: what the estimate missed by. */
  variance: AmountText | null;
  overrun: AmountText | null;
  fellBackFrom: ModelId[];
  billing: 'provider' | 'duration' | null;
  reason: string | null;
  /**
   * For a failure after the provider accepted a task whose end is unknown: the reservation is
   * kept, and reconciliation settles it from the provider's own record.
   */
  settlement: 'released' | 'held-for-reconciliation' | 'committed';
  finishedAt: string;
}

/** How a job ended, with its decision: generated (completed, failed, cancelled) or rejected. */
export type FinalResult =
  | (GenerationResult & { decision: DecisionRecord })
  | { id: string; state: 'rejected'; decision: DecisionRecord; reason: string };

/**
 * What an outcome is measured against: the admission's estimate and reservation. The outcome
 * carries the caller's id: the admitted variant's where there is one (an admission's own `id` is
 * the internal one), else `id`.
 */
export interface Admitted {
  id: string;
  variant?: { id?: string | undefined };
  estimatedCost: AmountText;
  reserved: AmountText;
}

function base(a: Admitted, model: ModelId, fellBackFrom: ModelId[]) {
  return {
    id: a.variant?.id ?? a.id,
    model,
    videoUrl: null,
    outputSeconds: null,
    estimatedCost: writeMoney(readMoney(a.estimatedCost)),
    reserved: writeMoney(readMoney(a.reserved)),
    actualCost: null,
    charged: null,
    variance: null,
    overrun: null,
    fellBackFrom,
    billing: null,
    finishedAt: new Date().toISOString(),
  };
}

/** The one constructor of a failure, wherever it is noticed (the generator, or a client whose job died). */
export function failedOutcome(
  a: Admitted,
  model: ModelId,
  reason: string,
  opts: { fellBackFrom?: ModelId[]; settlement?: GenerationResult['settlement'] } = {},
): GenerationResult {
  return { ...base(a, model, opts.fellBackFrom ?? []), state: 'failed', reason, settlement: opts.settlement ?? 'released' };
}

export interface Settled {
  model: ModelId;
  videoUrl: string | null;
  outputSeconds: number | null;
  actual: Money;
  charged: Money;
  overrun: Money;
  billing: 'provider' | 'duration';
  fellBackFrom: ModelId[];
}

/** The one constructor of a completion: the variance is computed here, once. */
export function completedOutcome(a: Admitted, s: Settled): GenerationResult {
  return {
    ...base(a, s.model, s.fellBackFrom),
    state: 'completed',
    videoUrl: s.videoUrl,
    outputSeconds: s.outputSeconds,
    actualCost: writeMoney(s.actual),
    charged: writeMoney(s.charged),
    variance: writeMoney(s.actual.minus(readMoney(a.estimatedCost))),
    overrun: writeMoney(s.overrun),
    billing: s.billing,
    reason: null,
    settlement: 'committed',
  };
}
