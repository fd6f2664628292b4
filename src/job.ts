import { z } from 'zod';
import { ModelId, Mode, ReferenceKind, Resolution } from './catalog.js';
import { Name, ReservationId } from './names.js';

export const AudioRequest = z.enum(['none', 'required', 'deferrable']);
export type AudioRequest = z.infer<typeof AudioRequest>;

export const Stage = z.enum(['draft', 'production']);
export type Stage = z.infer<typeof Stage>;

export const Reference = z.strictObject({
  kind: ReferenceKind,
  durationSeconds: z.number().positive().finite().optional(),
});
export type Reference = z.infer<typeof Reference>;

/** A generation job as a pipeline submits it. */
export const Job = z.strictObject({
  id: ReservationId.optional(),
  team: Name,
  project: Name,
  model: ModelId,
  mode: Mode.optional(),
  resolution: Resolution,
  audio: AudioRequest,
  durationSeconds: z.number().positive().finite(),
  stage: Stage.default('production'),
  reference: Reference.optional(),
  prompt: z.string().max(2500).optional(),
  input: z.record(z.string(), z.unknown()).optional(),
});
export type Job = z.infer<typeof Job>;
export type JobInput = z.input<typeof Job>;

/** What pricing needs to know of a job: audio is a plain yes/no by then. */
export const PriceRequest = z.strictObject({
  model: ModelId,
  mode: Mode.optional(),
  resolution: Resolution,
  audio: z.boolean(),
  durationSeconds: z.number().positive().finite(),
  reference: Reference.optional(),
});
export type PriceRequest = z.infer<typeof PriceRequest>;

export function priceRequestOf(job: Job): PriceRequest {
  return {
    model: job.model,
    mode: job.mode,
    resolution: job.resolution,
    audio: job.audio !== 'none',
    durationSeconds: job.durationSeconds,
    reference: job.reference && { kind: job.reference.kind, durationSeconds: job.reference.durationSeconds },
  };
}
