import { z } from 'zod';
import { isMotionControl, MAX_REFERENCE_SECONDS, ModelId, Mode, MODES_OF_MODEL, Orientation, Resolution } from './catalog.js';
import { Name, ReservationId } from './names.js';

export const AudioRequest = z.enum(['none', 'required', 'deferrable']);
export type AudioRequest = z.infer<typeof AudioRequest>;

export const Stage = z.enum(['draft', 'production']);
export type Stage = z.infer<typeof Stage>;

const Seconds = z.number().positive().finite();
const LIMITS = `orientation image ≤ ${MAX_REFERENCE_SECONDS.image} s, video ≤ ${MAX_REFERENCE_SECONDS.video} s`;
const missing = (what: string) => (iss: { input: unknown }) => (iss.input === undefined ? `missing: ${what}` : undefined);

/** What job files before orientations said (`kind`, `durationSeconds`), and what to write now. */
function legacyReferenceMessage(input: unknown): string {
  const old = input as { kind?: unknown; durationSeconds?: unknown };
  const gone = ['kind', 'durationSeconds'].filter((k) => k in old);
  const orientation = old.kind === 'image' ? 'image' : 'video';
  // The old length is the reference's when it was given; otherwise vidgate cannot know it, and says so.
  const known = typeof old.durationSeconds === 'number';
  const seconds = known ? String(old.durationSeconds) : 'S';
  const what = known ? LIMITS : `S: the reference video's length in seconds; ${LIMITS}`;
  return `${gone.join(' and ')} ${gone.length > 1 ? 'are' : 'is'} gone: write reference: { orientation: ${orientation}, videoSeconds: ${seconds} } (${what})`;
}

const ReferenceFields = z.strictObject({
  orientation: z.enum(Orientation.options, { error: missing(`image or video (Motion Control's character_orientation; ${LIMITS})`) }),
  videoSeconds: z.number({ error: missing("the reference video's length in seconds: Motion Control is billed on it, and vidgate never reserves a guess") }).positive().finite(),
});
const hasLegacyKeys = (v: unknown) => typeof v === 'object' && v !== null && ('kind' in v || 'durationSeconds' in v);

/**
 * Motion Control's reference video. Kling bills and generates as long as this video runs, so its
 * length is stated, never guessed; the orientation bounds it. A reference in the old shape gets
 * one message saying what to write, not a list of what is missing from the new one.
 */
export const Reference = z
  .custom<z.input<typeof ReferenceFields>>((v) => !hasLegacyKeys(v), { error: (iss) => legacyReferenceMessage(iss.input), abort: true })
  .pipe(ReferenceFields);
export type Reference = z.infer<typeof Reference>;

const JobFields = z.strictObject({
  id: ReservationId.optional(),
  team: Name,
  project: Name,
  model: ModelId,
  mode: Mode.optional(),
  resolution: Resolution,
  audio: AudioRequest,
  /** Output seconds. A Motion Control job may omit it: its reference video sets the length. */
  durationSeconds: Seconds.optional(),
  stage: Stage.default('production'),
  /** Order within the team and stage while jobs wait for the provider: 1 lowest, 9 highest (default 5). */
  priority: z.int().min(1).max(9).optional(),
  reference: Reference.optional(),
  prompt: z.string().max(2500).optional(),
  input: z.record(z.string(), z.unknown()).optional(),
});

type Ctx = z.core.$RefinementCtx<z.output<typeof JobFields>>;

function checkMotionControl(j: z.output<typeof JobFields>, ctx: Ctx): void {
  const ref = j.reference;
  if (!ref) {
    const message = `missing: a Motion Control job is priced and reserved on its reference video: write reference: { orientation: image|video, videoSeconds: S } (${LIMITS})`;
    ctx.addIssue({ code: 'custom', path: ['reference'], message });
    return;
  }
  const max = MAX_REFERENCE_SECONDS[ref.orientation];
  if (ref.videoSeconds > max) {
    const other = ref.orientation === 'image' ? `orientation video takes up to ${MAX_REFERENCE_SECONDS.video} s` : 'the longest Motion Control takes';
    const message = `orientation ${ref.orientation} takes a reference video up to ${max} s, got ${ref.videoSeconds} (${other})`;
    ctx.addIssue({ code: 'custom', path: ['reference', 'videoSeconds'], message });
  }
  if (j.durationSeconds !== undefined && j.durationSeconds !== ref.videoSeconds) {
    const message = `the reference video sets a Motion Control job's length: omit durationSeconds or make it ${ref.videoSeconds} (reference.videoSeconds), got ${j.durationSeconds}`;
    ctx.addIssue({ code: 'custom', path: ['durationSeconds'], message });
  }
  const sent = j.input?.character_orientation;
  if (sent !== undefined && sent !== ref.orientation) {
    const message = `is ${JSON.stringify(sent)} but reference.orientation is ${ref.orientation}: the reference sets it (omit it here, or make them agree)`;
    ctx.addIssue({ code: 'custom', path: ['input', 'character_orientation'], message });
  }
}

function checkJob(j: z.output<typeof JobFields>, ctx: Ctx): void {
  const modes = MODES_OF_MODEL[j.model];
  if (j.mode !== undefined && !modes.includes(j.mode)) {
    ctx.addIssue({ code: 'custom', path: ['mode'], message: `${j.model} takes ${modes.join(' or ')}, got ${j.mode}` });
    return;
  }
  if (isMotionControl(j.model, j.mode)) return checkMotionControl(j, ctx);
  if (j.durationSeconds === undefined) {
    ctx.addIssue({ code: 'custom', path: ['durationSeconds'], message: 'missing (expected output seconds, a number above 0; only Motion Control takes its length from a reference)' });
  }
  if (j.reference !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['reference'], message: `only Motion Control jobs (kling-motion-control) take a reference; ${j.model} does not` });
  }
}

/**
 * A generation job as a pipeline submits it (`JobInput`), and as every layer after validation
 * sees it (`Job`): there `durationSeconds` is always set, for Motion Control from its reference.
 */
export const Job = JobFields.superRefine(checkJob).transform((j) => ({
  ...j,
  // checkJob has refused a job with neither.
  durationSeconds: j.durationSeconds ?? j.reference!.videoSeconds,
}));
export type Job = z.output<typeof Job>;
export type JobInput = z.input<typeof Job>;

/** What pricing needs to know of a job: audio is a plain yes/no by then. */
export const PriceRequest = z.strictObject({
  model: ModelId,
  mode: Mode.optional(),
  resolution: Resolution,
  audio: z.boolean(),
  /** Output seconds; for a product priced on its reference video, they must bill as its videoSeconds. */
  durationSeconds: Seconds,
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
    reference: job.reference && { orientation: job.reference.orientation, videoSeconds: job.reference.videoSeconds },
  };
}
