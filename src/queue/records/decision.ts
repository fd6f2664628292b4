import type { ScopeBalance } from '../../ledger/schema.js';
import { decisionJson, type Decision } from '../../policy/decision.js';
import type { Explanation } from '../../policy/explanation.js';

/**
 * Why a job was decided as it was, as a stable code (the prose in `reasons` is for people and may
 * change; programs and tests match the code).
 */
export type DecisionCode =
  | 'admitted'
  | 'downgraded'
  | 'invalid-job'
  | 'no-policy'
  | 'no-project-budget'
  | 'unpriceable'
  | 'no-candidate'
  | 'no-ledger-budget'
  | 'insufficient-budget'
  | 'reloaded-forwarded-stands'
  | 'reloaded-reservation-covers'
  | 'reloaded-topped-up'
  | 'reloaded-top-up-failed'
  | 'already-ended';

/** The explanation of a job that never reached pricing: every field there, empty. */
const UNEXPLAINED: Omit<Explanation, 'outcome' | 'reasons'> = {
  rateCard: null,
  currency: null,
  chosen: null,
  requestedCost: null,
  cost: null,
  reserve: null,
  saving: null,
  candidates: [],
  dropped: [],
  rules: [],
};

/** What the router decided for one job, as readers get it (Redis keeps its stored shape: stored-decision.ts). */
export type DecisionRecord = Explanation & {
  id: string;
  team: string | null;
  project: string | null;
  code: DecisionCode;
  /** The version of the team's policy the decision used; null when there was none. */
  policyVersion: string | null;
  /** Each scope's limit, spent, reserved and available when the ledger answered. */
  scopes: ScopeBalance[];
  decidedAt: string;
};

export interface DecisionContext {
  id: string;
  team: string | null;
  project: string | null;
  policyVersion: string | null;
}

/** The one constructor of a decision record: from the policy's decision, or none (rejected before pricing). */
export function decisionRecord(
  ctx: DecisionContext,
  code: DecisionCode,
  decision: Decision | null,
  extra: { reasons?: string[]; scopes?: ScopeBalance[] } = {},
): DecisionRecord {
  const explained: Explanation = decision ? decisionJson(decision) : { ...UNEXPLAINED, outcome: 'reject' as const, reasons: [] };
  // Object.assign, not spreads: the same record, but spreading one object after another is V8's
  // slow path (microseconds a record, on every routed job).
  return Object.assign({}, explained, ctx, {
    code,
    reasons: [...explained.reasons, ...(extra.reasons ?? [])],
    scopes: extra.scopes ?? [],
    decidedAt: new Date().toISOString(),
  });
}
