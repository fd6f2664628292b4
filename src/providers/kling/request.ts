import type { Job } from '../../job.js';
import { billedSecondsOf } from '../../pricing/price.js';
import { ProviderError, type SubmitOptions } from '../provider.js';
import type { Mode } from '../../catalog.js';
import { defaultModeOf, KLING_ROUTES, routeOf, type KlingRoute } from './models.js';
import type { Endpoint } from './wire.js';

export interface KlingCreate {
  route: KlingRoute;
  path: string;
  body: Record<string, unknown>;
}

/**
 * Fields vidgate sets itself from the job; a job's `input` cannot override them. `image`,
 * `image_url`, `image_tail` and `video_url` are read from `input` and placed where each endpoint
 * wants them (omni-video wraps images in `image_list`).
 */
const OWN_FIELDS = new Set(['model_name', 'mode', 'duration', 'sound', 'external_task_id', 'callback_url', 'prompt', 'character_orientation', 'image', 'image_url', 'image_tail', 'video_url', 'image_list']);

/**
 * Fields Kling documents that change what a task runs and bills (a video to edit sets the length;
 * shots set their own durations): vidgate does not price them, so it refuses them rather than
 * admit a job at one price and run another.
 */
const UNPRICED_FIELDS = ['video_list', 'multi_shot', 'multi_prompt', 'shot_type'];

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const fail = (job: Job, what: string) => new ProviderError(`${job.model} ${modeOfJob(job)} needs ${what}`, 'fail-job');

/** The body of each endpoint, from the job and what it names in `input`. */
const BODIES: Record<Endpoint, (job: Job, input: Record<string, unknown>) => Record<string, unknown>> = {
  text2video: (job) => ({
    prompt: required(job, job.prompt, 'a prompt'),
    duration: durationOf(job),
    sound: job.audio === 'none' ? 'off' : 'on',
  }),
  image2video: (job, input) => ({
    image: required(job, text(input.image) ?? text(input.image_url), 'input.image (the image to animate: a URL or Base64)'),
    ...(text(input.image_tail) ? { image_tail: input.image_tail } : {}),
    ...(job.prompt !== undefined ? { prompt: job.prompt } : {}),
    duration: durationOf(job),
    sound: job.audio === 'none' ? 'off' : 'on',
  }),
  'omni-video': (job, input) => {
    const first = text(input.image) ?? text(input.image_url);
    const end = text(input.image_tail);
    const i2v = modeOfJob(job) === 'image-to-video';
    if (i2v && !first) throw fail(job, 'input.image (the first frame: a URL or Base64)');
    const images = i2v ? [{ image_url: first, type: 'first_frame' }, ...(end ? [{ image_url: end, type: 'end_frame' }] : [])] : [];
    return {
      prompt: required(job, job.prompt, 'a prompt'),
      ...(images.length ? { image_list: images } : { aspect_ratio: text(input.aspect_ratio) ?? '16:9' }),
      duration: durationOf(job),
      // Only O3 (kling-v3-omni) generates sound; O1's capability map has none.
      ...(job.model === 'kling-o3' ? { sound: job.audio === 'none' ? 'off' : 'on' } : {}),
    };
  },
  'motion-control': (job, input) => ({
    image_url: required(job, text(input.image_url) ?? text(input.image), 'input.image_url (the character image)'),
    video_url: required(job, text(input.video_url), 'input.video_url (the reference video whose motion it copies)'),
    character_orientation: required(job, job.reference?.orientation, 'reference.orientation (image or video)'),
    ...(job.prompt !== undefined ? { prompt: job.prompt } : {}),
  }),
};

function required<T>(job: Job, value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw fail(job, what);
  return value;
}

const durationOf = (job: Job) => String(billedSecondsOf(job.durationSeconds));

/**
 * The job's mode; a job that names none (the router always names one) is image-to-video when it
 * gives an image and its model takes one, else the model's first mode.
 */
export function modeOfJob(job: Job): Mode {
  if (job.mode) return job.mode;
  const image = text(job.input?.image) ?? text(job.input?.image_url);
  return image && KLING_ROUTES[job.model]['image-to-video'] ? 'image-to-video' : defaultModeOf(job.model);
}

/**
 * The create request Kling's reference documents for this job: the endpoint and `model_name` of
 * its model and mode, the fields that endpoint takes, and the job's other `input` fields passed on
 * as given (negative_prompt, aspect_ratio, keep_original_sound, …). Throws a fail-job
 * ProviderError for a job Kling cannot run as asked.
 */
export function createRequest(job: Job, externalId: string, opts: SubmitOptions = {}): KlingCreate {
  const route = routeOf(job.model, modeOfJob(job));
  if (!route) throw new ProviderError(`Kling does not run ${job.model} as ${job.mode}`, 'fail-job');
  if (job.resolution === '4k') throw new ProviderError('the Kling adapter offers 720p (std) and 1080p (pro), not 4k', 'fail-job');
  const input = job.input ?? {};
  const unpriced = UNPRICED_FIELDS.filter((k) => Object.hasOwn(input, k));
  if (unpriced.length) throw new ProviderError(`input.${unpriced.join(', input.')}: vidgate does not price ${unpriced.length > 1 ? 'these' : 'this'} yet, so the job is not sent`, 'fail-job');
  const passthrough = Object.fromEntries(Object.entries(input).filter(([k]) => !OWN_FIELDS.has(k)));
  const body = {
    ...passthrough,
    model_name: route.modelName,
    mode: job.resolution === '720p' ? 'std' : 'pro',
    ...BODIES[route.endpoint](job, input),
    external_task_id: externalId,
    ...(opts.callbackUrl ? { callback_url: opts.callbackUrl } : {}),
  };
  return { route, path: `/v1/videos/${route.endpoint}`, body };
}
