import type { ModelId } from '../catalog.js';
import type { Job } from '../job.js';
import type { ScopeBalance } from '../ledger/schema.js';
import type { DecisionJson } from '../policy/decision.js';

/**
 * Why a decision is what it is, as a stable code (the reasons are prose for people): a rejection's
 * cause, or how a retried step resolved a policy reloaded since its reservation (see replay.ts).
 */
export type DecisionCode =
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
  | 'reloaded-top-up-failed';

/** What the router decided for one job: the intake job's return value, kept as the record. */
export type DecisionRecord = Omit<Partial<DecisionJson>, 'outcome'> & {
  id: string;
  team: string | null;
  project: string | null;
  outcome: 'admit' | 'downgrade' | 'reject';
  reasons: string[];
  /** Set for every rejection, and for a retried step that found its team's policy reloaded. */
  code?: DecisionCode;
  /** Each scope's limit, spent, reserved and available when the ledger answered. */
  scopes: ScopeBalance[];
  decidedAt: string;
};

/** The generate queue's job data: the admitted variant and what was reserved for it. */
export interface GenerateData {
  id: string;
  /** The admitted variant (the request itself is the intake job's data). */
  variant: Job;
  /** The card the estimate came from, as `loadRateCard` takes it (a built-in id or an absolute path). */
  rateCard: string;
  estimatedCost: string;
  reserved: string;
  fallbacks: { model: ModelId; cost: string }[];
  /** The policy's fallback direction; only `any` may cost more than what was reserved (a top-up). */
  fallbackDirection: 'none' | 'cheaper' | 'any';
  /** Filled in as the job runs, so a retried or re-delivered job resumes rather than restarts. */
  current?: { model: ModelId; externalId: string; taskId?: string };
  tried?: ModelId[];
  slotWaitMs?: number;
}

/** How a generation ended: the generate job's return value. */
export interface GenerationResult {
  id: string;
  state: 'completed' | 'failed';
  model: ModelId;
  videoUrl: string | null;
  outputSeconds: number | null;
  estimatedCost: string;
  reserved: string;
  actualCost: string | null;
  charged: string | null;
  variance: string | null;
  overrun: string | null;
  fellBackFrom: ModelId[];
  billing: 'provider' | 'duration' | null;
  reason: string | null;
  finishedAt: string;
}
