import { z } from 'zod';
import { ModelId, Mode, Resolution } from '../catalog.js';
import { AudioRequest, Reference } from '../job.js';

// The explanation of a decision as it is kept and shown (`vidgate quote --json`, the router's
// decision record): a schema of its own, which the function that writes it (decisionJson) is
// typed against and tested by, rather than the record taking whatever that function happens to
// return. Amounts are decimal strings.

const Amount = z.string();

export const FallbackExplanation = z.object({ model: ModelId, cost: Amount });

export const CandidateExplanation = z.object({
  model: ModelId,
  mode: Mode.optional(),
  resolution: Resolution,
  audio: AudioRequest,
  durationSeconds: z.number(),
  billedSeconds: z.number(),
  reference: Reference.nullable(),
  cost: Amount,
  reserve: Amount,
  saving: Amount,
  ceiling: z.number(),
  downgraded: z.boolean(),
  steps: z.array(z.string()),
  fallbacks: z.array(FallbackExplanation),
});
export type CandidateExplanation = z.infer<typeof CandidateExplanation>;

export const Explanation = z.object({
  outcome: z.enum(['admit', 'downgrade', 'reject']),
  /** The ladder's card, currency and requested price: null for a job rejected before pricing. */
  rateCard: z.string().nullable(),
  currency: z.string().nullable(),
  requestedCost: Amount.nullable(),
  chosen: CandidateExplanation.extend({ index: z.number() }).nullable(),
  cost: Amount.nullable(),
  reserve: Amount.nullable(),
  saving: Amount.nullable(),
  candidates: z.array(CandidateExplanation),
  dropped: z.array(CandidateExplanation.extend({ reason: z.string() })),
  rules: z.array(z.object({ rule: z.string(), detail: z.string() })),
  reasons: z.array(z.string()),
});
export type Explanation = z.infer<typeof Explanation>;
