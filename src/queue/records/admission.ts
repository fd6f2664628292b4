import { z } from 'zod';
import { ModelId } from '../../catalog.js';
import { Job } from '../../job.js';
import { AmountText } from './money-text.js';

/** Which models an admitted job may move to when its own is unavailable. */
export const FallbackDirection = z.enum(['none', 'cheaper', 'any']);

/**
 * What the router admitted, at what reservation, under which policy version: the generate
 * queue's job data. The request as submitted stays the intake job's data.
 */
export const Admission = z.object({
  /** The internal job id, which is also the reservation id. */
  id: z.string(),
  /** The admitted variant. */
  variant: Job,
  /** The card the estimate came from, as `loadRateCard` takes it (a built-in id or an absolute path). */
  rateCard: z.string(),
  policyVersion: z.string().nullable().default(null),
  estimatedCost: AmountText,
  reserved: AmountText,
  fallbacks: z.array(z.object({ model: ModelId, cost: AmountText })),
  /** The policy's fallback direction; only `any` may cost more than what was reserved (a top-up). */
  fallbackDirection: FallbackDirection,
});
export type Admission = z.infer<typeof Admission>;

/** How far the generator got, saved as it goes so a retried or re-delivered job resumes. */
export const Progress = z.object({
  /** The task being followed: its provider id and route once the provider accepted it. */
  current: z.object({ model: ModelId, externalId: z.string(), taskId: z.string().optional(), route: z.string().optional() }).optional(),
  tried: z.array(ModelId).optional(),
  slotWaitMs: z.number().optional(),
});

/** The generate queue's job data: the admission and the generator's progress on it. */
export const GenerateData = Admission.extend(Progress.shape);
export type GenerateData = z.infer<typeof GenerateData>;
