import { z } from 'zod';
import { ModelId, Mode, ReferenceKind, Resolution } from './catalog.js';

export const AudioRequest = z.enum(['none', 'required', 'deferrable']);
export type AudioRequest = z.infer<typeof AudioRequest>;

export const Stage = z.enum(['draft', 'production']);
export type Stage = z.infer<typeof Stage>;

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use 1-63 lowercase letters, digits, "-" or "_"');

export const Reference = z.strictObject({
  kind: ReferenceKind,
  durationSeconds: z.number().positive().finite().optional(),
  url: z.string().optional(),
});
export type Reference = z.infer<typeof Reference>;

/** A generation job as a pipeline submits it. */
export const Job = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'use 1-128 letters, digits, ".", "-" or "_"')
    .optional(),
  team: name,
  project: name,
  model: ModelId,
  mode: Mode.optional(),
  resolution: Resolution,
  audio: AudioRequest.default('none'),
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
  reference: Reference.pick({ kind: true, durationSeconds: true }).partial({ durationSeconds: true }).optional(),
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
