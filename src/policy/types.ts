import type { ModelId } from '../catalog.js';
import type { Job } from '../job.js';
import type { EncodedCandidate } from '../ledger/encoded-candidate.js';
import type { Money } from '../money.js';
import type { Price } from '../pricing/price.js';
import type { CandidateExplanation } from './explanation.js';

/** A rule that changed the job or the ladder, and why. */
export interface RuleFired {
  rule: string;
  detail: string;
}

/** One variant of the job the ledger may admit, most faithful first. */
export interface LadderCandidate {
  job: Job;
  price: Price;
  /** What to reserve: the price, or the dearest model an upward fallback may reach. */
  reserve: Money;
  /** Admit only if every scope stays at or under this share of its limit. */
  ceiling: number;
  /** Produced by the ladder (a cheaper variant), not the request as given. */
  downgraded: boolean;
  /** The rules and ladder steps that produced this variant from the request. */
  steps: string[];
  /** Models this variant may move to if its model is unavailable, nearest in price first. */
  fallbacks: { model: ModelId; cost: Money }[];
  /** Worked out once for every job of this shape under one policy version (absent on a candidate made elsewhere). */
  prepared?: PreparedCandidate;
}

/** What each rule and ladder step saved from the request's price to a candidate's; parts that saved nothing are left out. */
export type CandidateSavings = { rule: string; amount: Money }[];

/**
 * What is the same for every job of one shape under one policy version: the parts of its saving
 * (for the spend history) and, once made, its explanation and its form for the ledger.
 */
export interface PreparedCandidate {
  savings: CandidateSavings;
  explanation?: { requested: Money; json: CandidateExplanation };
  reservation?: EncodedCandidate;
}

export interface DroppedCandidate extends LadderCandidate {
  reason: string;
}

export interface Ladder {
  rateCard: string;
  currency: string;
  request: Job;
  requestPrice: Price;
  candidates: LadderCandidate[];
  dropped: DroppedCandidate[];
  rules: RuleFired[];
}
