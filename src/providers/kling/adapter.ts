import type { ModelId, Mode } from '../../catalog.js';
import type { Job } from '../../job.js';
import { money, parseMoney } from '../../money.js';
import { billedSecondsOf } from '../../pricing/price.js';
import { ProviderError, type Provider, type SubmitOptions, type TaskHandle, type TaskState, type TaskStatus } from '../provider.js';
import { klingAuthorizer, type KlingCredentials } from './auth.js';
import { actionForCode, CODE_TEXT } from './codes.js';
import { verifyCallback } from './webhooks.js';
import { ENDPOINT_OF_MODE, Endpoint, Envelope, MODEL_NAMES, modelOf, TaskData } from './wire.js';

export const DEFAULT_KLING_BASE_URL = 'https://api-singapore.klingai.com';

export interface KlingAdapterOptions {
  baseUrl?: string;
  credentials: KlingCredentials;
  /** Per request. */
  timeoutMs?: number;
  /** Currency per Kling unit, to turn `final_unit_deduction` into a billing amount. */
  unitPrice?: string;
  /** `whsec_…`: when set, callbacks must carry a valid, fresh Standard Webhooks signature. */
  callbackSecret?: string;
  /** Rate-limit and concurrency rejections (1302/1303) and failed reads: attempts, backoff from baseMs. */
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
  clock?: () => number;
}

const DEFAULT_MODE: Record<ModelId, Mode> = {
  'kling-3.0': 'text-to-video',
  'kling-o3': 'text-to-video',
  'kling-o1': 'image-to-video',
  'kling-motion-control': 'motion-control',
};
const STATUS: Record<string, TaskStatus> = { submitted: 'submitted', processing: 'processing', succeed: 'succeeded', failed: 'failed' };
const WITH_SOUND_OPTION = new Set<ModelId>(['kling-3.0', 'kling-o3']);
const RESERVED_FIELDS = new Set(['model_name', 'mode', 'duration', 'sound', 'external_task_id', 'callback_url']);

/** What Kling needs beyond the prompt: the image to animate, and for motion control its motion clip. */
function requiredInputs(mode: Mode, job: Job): string[] {
  // Motion Control always animates the image with the reference video's motion.
  if (mode === 'motion-control') return ['image_url', 'video_url'];
  if (mode === 'image-to-video') return typeof job.input?.image === 'string' ? [] : ['image_url'];
  return [];
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The Kling provider over its legacy HTTP API (`/v1/videos/…`). */
/** A video's reported length in seconds; null when Kling leaves it out or sends no positive number. */
function secondsOf(duration: string | undefined): number | null {
  const seconds = Number(duration);
  return duration !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

const modeOf = (job: Job): Mode => job.mode ?? DEFAULT_MODE[job.model];
const endpointOf = (job: Job) => ENDPOINT_OF_MODE[modeOf(job)] as Endpoint;

export class KlingAdapter implements Provider {
  readonly name = 'kling';
  private readonly baseUrl: string;
  private readonly authorize: () => Promise<string>;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(private readonly opts: KlingAdapterOptions) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_KLING_BASE_URL).replace(/\/+$/, '');
    this.authorize = klingAuthorizer(opts.credentials, opts.clock);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.attempts = opts.retry?.attempts ?? 5;
    this.baseMs = opts.retry?.baseMs ?? 1000;
    this.maxMs = opts.retry?.maxMs ?? 30_000;
  }

  async submit(job: Job, externalId: string, opts: SubmitOptions = {}): Promise<TaskHandle> {
    const mode = modeOf(job);
    const endpoint = endpointOf(job);
    if (job.resolution === '4k') throw new ProviderError('the Kling adapter offers 720p (std) and 1080p (pro), not 4k', 'fail-job');
    const passthrough = Object.fromEntries(Object.entries(job.input ?? {}).filter(([k]) => !RESERVED_FIELDS.has(k)));
    const missing = requiredInputs(mode, job).filter((k) => typeof passthrough[k] !== 'string' || passthrough[k] === '');
    if (missing.length) throw new ProviderError(`${job.model} ${mode} needs input.${missing.join(' and input.')} (a URL or Base64)`, 'fail-job');
    const body: Record<string, unknown> = {
      ...passthrough,
      model_name: MODEL_NAMES[job.model],
      ...(job.prompt !== undefined ? { prompt: job.prompt } : {}),
      mode: job.resolution === '720p' ? 'std' : 'pro',
      duration: String(billedSecondsOf(job.durationSeconds)),
      ...(WITH_SOUND_OPTION.has(job.model) ? { sound: job.audio === 'none' ? 'off' : 'on' } : {}),
      // Motion Control's orientation is the job's, as priced (the job schema refuses an input that disagrees).
      ...(job.reference ? { character_orientation: job.reference.orientation } : {}),
      external_task_id: externalId,
      ...(opts.callbackUrl ? { callback_url: opts.callbackUrl } : {}),
    };
    let last: ProviderError | undefined;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      try {
        const data = TaskData.parse(await this.request('POST', `/v1/videos/${endpoint}`, body, 'create'));
        return { provider: this.name, taskId: data.task_id, externalId, route: endpoint };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        last = err;
        const duplicate = err.details.code === 1201 && /external_task_id/i.test(err.message);
        if (err.action === 'lookup' || duplicate) {
          // The create may have gone through: never send it again before looking.
          const found = await this.findByExternalId(externalId, job);
          if (found) return found.handle;
          if (duplicate) throw err;
        } else if (err.action !== 'retry') {
          throw err;
        }
        if (attempt + 1 < this.attempts) await wait(this.backoff(attempt, err));
      }
    }
    // Still over the pack's concurrency after every retry: the model cannot take the job now.
    if (last?.details.code === 1303) throw new ProviderError(`${last.message} (after ${this.attempts} attempts)`, 'fallback', last.details);
    throw last!;
  }

  async status(handle: TaskHandle): Promise<TaskState> {
    const endpoint = Endpoint.parse(handle.route);
    const data = await this.readWithRetry(`/v1/videos/${endpoint}/${encodeURIComponent(handle.taskId)}`);
    if (!data) throw new ProviderError(`Kling has no task ${handle.taskId}`, 'fail-job', { code: 1203 });
    return this.toState(data, endpoint, handle.externalId);
  }

  async findByExternalId(externalId: string, job: Job): Promise<TaskState | null> {
    const endpoint = endpointOf(job);
    const data = await this.readWithRetry(`/v1/videos/${endpoint}/${encodeURIComponent(externalId)}`);
    return data ? this.toState(data, endpoint, externalId) : null;
  }

  parseCallback(headers: Record<string, string | string[] | undefined>, rawBody: string): TaskState {
    if (this.opts.callbackSecret) verifyCallback(this.opts.callbackSecret, headers, rawBody);
    const parsed: unknown = JSON.parse(rawBody);
    const data = TaskData.parse((parsed as { data?: unknown }).data ?? parsed);
    const external = data.task_info?.external_task_id ?? '';
    return this.toState(data, data.endpoint ?? 'text2video', external);
  }

  private backoff(attempt: number, err: ProviderError): number {
    return Math.min(this.maxMs, err.details.retryAfterMs ?? this.baseMs * 2 ** attempt);
  }

  /** GET with retries (reads are always safe to repeat); null when Kling says the task does not exist. */
  private async readWithRetry(path: string): Promise<TaskData | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return TaskData.parse(await this.request('GET', path, undefined, 'query'));
      } catch (err) {
        if (err instanceof ProviderError && err.details.code === 1203) return null;
        if (!(err instanceof ProviderError) || err.action !== 'retry' || attempt + 1 >= this.attempts) throw err;
        await wait(this.backoff(attempt, err));
      }
    }
  }

  private toState(data: TaskData, endpoint: Endpoint, externalId: string): TaskState {
    const status = STATUS[data.task_status]!;
    const model = data.model_name ? modelOf(endpoint, data.model_name) : null;
    // Units that are not a decimal number are no billing record: settlement prices the duration.
    const units = data.final_unit_deduction === undefined ? null : parseMoney(data.final_unit_deduction);
    return {
      handle: { provider: this.name, taskId: data.task_id, externalId: data.task_info?.external_task_id ?? externalId, route: endpoint },
      status,
      model,
      outputs: (data.task_result?.videos ?? []).map((v) => ({ id: v.id, url: v.url, durationSeconds: secondsOf(v.duration) })),
      billing: units !== null && this.opts.unitPrice !== undefined ? { units: data.final_unit_deduction!, amount: units.times(money(this.opts.unitPrice)) } : null,
      failure: status === 'failed' ? { code: 'task-failed', message: data.task_status_msg ?? 'the task failed' } : null,
    };
  }

  private async request(method: 'GET' | 'POST', path: string, body: unknown, during: 'create' | 'query'): Promise<unknown> {
    const unknownFate = during === 'create' ? 'lookup' : 'retry';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: await this.authorize(), 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const what = (err as Error).name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : `failed: ${(err as Error).message}`;
      throw new ProviderError(`Kling ${method} ${path} ${what}`, unknownFate);
    }
    const text = await res.text();
    let envelope: ReturnType<typeof Envelope.parse>;
    try {
      envelope = Envelope.parse(JSON.parse(text));
    } catch {
      if (res.status === 401 || res.status === 403) throw new ProviderError(`Kling refused the credentials (HTTP ${res.status})`, 'fail-account', { httpStatus: res.status });
      throw new ProviderError(`Kling ${method} ${path} answered HTTP ${res.status} without a JSON body`, res.status >= 500 ? unknownFate : 'fail-job', { httpStatus: res.status });
    }
    // code 0 is success even when HTTP says otherwise, and a non-zero code is an error even with 200.
    if (envelope.code !== 0) {
      const retryAfter = Number(res.headers.get('retry-after'));
      const text = envelope.message || CODE_TEXT[envelope.code] || 'error';
      throw new ProviderError(`Kling ${envelope.code}: ${text}`, actionForCode(envelope.code, during), {
        code: envelope.code,
        httpStatus: res.status,
        ...(envelope.request_id ? { requestId: envelope.request_id } : {}),
        ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      });
    }
    return envelope.data;
  }
}
