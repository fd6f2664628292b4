import type { Mode } from '../../catalog.js';
import { PricingError } from '../../errors.js';
import { formatMoney } from '../../money.js';
import { price } from '../../pricing/price.js';
import type { RateCard } from '../../pricing/rate-card-schema.js';
import { DEFAULT_MODE, DOCUMENTED_MODEL_NAMES, modelOf } from '../kling/models.js';
import { CREATE_BODY, type Endpoint } from '../kling/wire.js';
import type { Task } from './tasks.js';

/** A create that Kling would refuse: its HTTP status, business code and message. */
export class Refusal {
  constructor(
    readonly http: number,
    readonly code: number,
    readonly message: string,
  ) {}
}

/** The longest reference video each `character_orientation` takes (Kling's motion-control page). */
const ORIENTATION_MAX_SECONDS = { image: 10, video: 30 } as const;

/**
 * The length of a motion-control reference video. This server cannot decode video, so it reads
 * the length from a `duration` query parameter of `video_url` (`…/dance.mp4?duration=12`), and
 * takes 10 s where there is none.
 */
export function referenceSeconds(videoUrl: string): number {
  const hinted = Number(/[?&]duration=([0-9.]+)/.exec(videoUrl)?.[1]);
  return Number.isFinite(hinted) && hinted > 0 ? hinted : 10;
}

export type Accepted = Pick<Task, 'request' | 'endpoint' | 'model' | 'externalId' | 'callbackUrl'> & { seconds: number; audio: boolean; mode: Mode };

/**
 * Validates a create body as Kling's reference documents it (fields, defaults, model names,
 * durations and motion-control's length rule). Returns what to run, or the refusal.
 */
export function acceptCreate(endpoint: Endpoint, raw: unknown): Accepted | Refusal {
  const parsed = CREATE_BODY[endpoint].safeParse(raw);
  if (!parsed.success) return new Refusal(400, 1200, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const body = parsed.data as Record<string, unknown>;
  const modelName = typeof body.model_name === 'string' ? body.model_name : DOCUMENTED_MODEL_NAMES[endpoint].default;
  const mode = typeof body.mode === 'string' ? body.mode : DEFAULT_MODE[endpoint]!;
  const model = modelOf(endpoint, modelName);
  // A documented name this server's card does not price answers as an unknown one does.
  if (!model) return new Refusal(404, 1203, `model ${modelName} is not available on ${endpoint}`);
  let seconds = Number(body.duration ?? '5');
  if (endpoint === 'motion-control') {
    const orientation = body.character_orientation as 'image' | 'video';
    seconds = referenceSeconds(body.video_url as string);
    if (seconds > ORIENTATION_MAX_SECONDS[orientation]) {
      return new Refusal(400, 1201, `reference video is ${seconds} s; character_orientation ${orientation} takes at most ${ORIENTATION_MAX_SECONDS[orientation]} s`);
    }
  }
  const images = (body.image_list as { type?: string }[] | undefined) ?? [];
  const vidgateMode: Mode =
    endpoint === 'motion-control' ? 'motion-control' : endpoint === 'image2video' || images.some((i) => i.type === 'first_frame') ? 'image-to-video' : 'text-to-video';
  return {
    request: { ...body, model_name: modelName, mode },
    endpoint,
    model,
    mode: vidgateMode,
    seconds,
    audio: body.sound === 'on',
    ...(typeof body.external_task_id === 'string' ? { externalId: body.external_task_id } : {}),
    ...(typeof body.callback_url === 'string' ? { callbackUrl: body.callback_url } : {}),
  };
}

/** What Kling deducts for the task, priced by the card (1 unit = 1 currency unit here). */
export function unitsFor(a: Accepted, outputSeconds: number, card: RateCard): string | Refusal {
  try {
    const reference = a.endpoint === 'motion-control' ? { orientation: a.request.character_orientation as 'image' | 'video', videoSeconds: outputSeconds } : undefined;
    const p = price({ model: a.model, mode: a.mode, resolution: a.request.mode === 'std' ? '720p' : '1080p', audio: a.audio, durationSeconds: outputSeconds, ...(reference ? { reference } : {}) }, card);
    return formatMoney(p.cost);
  } catch (err) {
    if (err instanceof PricingError) return new Refusal(400, 1201, err.message);
    throw err;
  }
}
