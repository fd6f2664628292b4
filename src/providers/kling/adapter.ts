import type { Job } from '../../job.js';
import { money, parseMoney } from '../../money.js';
import { ProviderError, type Provider, type SubmitOptions, type TaskHandle, type TaskState, type TaskStatus } from '../provider.js';
import { klingAuthorizer, type KlingCredentials } from './auth.js';
import { actionForCode, CODE_TEXT } from './codes.js';
import { verifyCallback } from './webhooks.js';
import { routeOf } from './models.js';
import { createRequest, modeOfJob } from './request.js';
import { Endpoint, Envelope, TaskData, TaskList } from './wire.js';

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
  /**
   * Told of every error answer (retried or not), for the workers' metrics: the operation and a
   * bounded code (errorCode). A read's "not found" is an answer, not an error, unless it ends a status read.
   */
  onError?: (op: 'create' | 'query', code: string) => void;
}

/** A provider error as a bounded label: Kling's known code, else `other`; http_4xx/http_5xx without one. */
export function errorCode(err: ProviderError): string {
  const { code, httpStatus } = err.details;
  if (code !== undefined) return code in CODE_TEXT ? String(code) : 'other';
  if (httpStatus !== undefined) return httpStatus >= 400 && httpStatus < 600 ? `http_${Math.floor(httpStatus / 100)}xx` : 'other';
  return 'network';
}

const STATUS: Record<string, TaskStatus> = { submitted: 'submitted', processing: 'processing', succeed: 'succeeded', failed: 'failed' };

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A video's reported length in seconds; null when Kling leaves it out or sends no positive number. */
function secondsOf(duration: string | undefined): number | null {
  const seconds = Number(duration);
  return duration !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/** Kling's list endpoint pages (documented: pageSize 1–500, pageNum 1–1000). */
export const LIST_PAGE_SIZE = 500;
const LIST_MAX_PAGES = 1000;

/** The Kling provider over its HTTP API (`/v1/videos/…`), as its reference documents it. */
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
    const { route, path, body } = createRequest(job, externalId, opts);
    let last: ProviderError | undefined;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      try {
        const data = TaskData.parse(await this.request('POST', path, body, 'create'));
        return { provider: this.name, taskId: data.task_id, externalId, route: route.endpoint };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        last = err;
        const duplicate = err.details.code === 1201 && /external_task_id/i.test(err.message);
        if (err.action === 'lookup' || duplicate) {
          // The create may have gone through: never send it again before looking.
          const found = await this.findByExternalId(externalId, job);
          if (found) return found.handle;
          // Refused as a duplicate, the task exists though Kling cannot show it yet (a lagging read):
          // its fate is unknown, never a job that failed (its money would go back while it bills).
          if (duplicate) throw new ProviderError(`${err.message}; the task exists but cannot be read yet`, 'lookup', err.details);
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
    if (!data) throw this.failed(new ProviderError(`Kling has no task ${handle.taskId}`, 'fail-job', { code: 1203 }), 'query');
    return this.toState(data, endpoint, handle.externalId);
  }

  /** Kling's reference: the external id goes in the task id's place in the query path. */
  async findByExternalId(externalId: string, job: Job): Promise<TaskState | null> {
    const route = routeOf(job.model, modeOfJob(job));
    return route ? this.findOn(route.endpoint, externalId) : null;
  }

  /** A task on a given endpoint by its external id (reconciliation knows no job to route by). */
  async findOn(endpoint: Endpoint, externalId: string): Promise<TaskState | null> {
    const data = await this.readWithRetry(`/v1/videos/${endpoint}/${encodeURIComponent(externalId)}`);
    return data ? this.toState(data, endpoint, externalId) : null;
  }

  /** Every task on an endpoint, page by page (Kling's list endpoint). */
  async *list(endpoint: Endpoint): AsyncGenerator<TaskState> {
    for (let page = 1; page <= LIST_MAX_PAGES; page++) {
      const data = TaskList.parse(await this.readPage(`/v1/videos/${endpoint}?pageNum=${page}&pageSize=${LIST_PAGE_SIZE}`));
      for (const task of data) yield this.toState(task, endpoint, task.task_info?.external_task_id ?? '');
      if (data.length < LIST_PAGE_SIZE) return;
    }
  }

  /** Callbacks are wake-ups, never trusted; a gateway that signs them can be held to it. */
  verifyCallback(headers: Record<string, string | string[] | undefined>, rawBody: string): void {
    if (this.opts.callbackSecret) verifyCallback(this.opts.callbackSecret, headers, rawBody);
  }

  private backoff(attempt: number, err: ProviderError): number {
    return Math.min(this.maxMs, err.details.retryAfterMs ?? this.baseMs * 2 ** attempt);
  }

  /** GET with retries (reads are always safe to repeat); null when Kling says the task does not exist. */
  private async readWithRetry(path: string): Promise<TaskData | null> {
    const data = await this.readPage(path);
    return data === null ? null : TaskData.parse(data);
  }

  private async readPage(path: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request('GET', path, undefined, 'query');
      } catch (err) {
        if (err instanceof ProviderError && err.details.code === 1203) return null;
        if (!(err instanceof ProviderError) || err.action !== 'retry' || attempt + 1 >= this.attempts) throw err;
        await wait(this.backoff(attempt, err));
      }
    }
  }

  private toState(data: TaskData, endpoint: Endpoint, externalId: string): TaskState {
    const status = STATUS[data.task_status]!;
    // Units that are not a decimal number are no billing record: settlement prices the duration.
    const units = data.final_unit_deduction === undefined ? null : parseMoney(data.final_unit_deduction);
    return {
      handle: { provider: this.name, taskId: data.task_id, externalId: data.task_info?.external_task_id ?? externalId, route: endpoint },
      status,
      // Kling's replies do not say which model ran a task: settlement uses the one it asked for.
      model: null,
      outputs: (data.task_result?.videos ?? []).map((v) => ({ id: v.id, url: v.url, durationSeconds: secondsOf(v.duration) })),
      billing: units !== null && this.opts.unitPrice !== undefined ? { units: data.final_unit_deduction!, amount: units.times(money(this.opts.unitPrice)) } : null,
      failure: status === 'failed' ? { code: 'task-failed', message: data.task_status_msg || 'the task failed' } : null,
      createdAt: data.created_at ?? null,
    };
  }

  /** Tells the observer of an error answer, and gives it back to throw. */
  private failed(err: ProviderError, op: 'create' | 'query', code = errorCode(err)): ProviderError {
    this.opts.onError?.(op, code);
    return err;
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
      const timedOut = (err as Error).name === 'TimeoutError';
      const what = timedOut ? `timed out after ${this.timeoutMs} ms` : `failed: ${(err as Error).message}`;
      throw this.failed(new ProviderError(`Kling ${method} ${path} ${what}`, unknownFate), during, timedOut ? 'timeout' : 'network');
    }
    const text = await res.text();
    let envelope: ReturnType<typeof Envelope.parse>;
    try {
      envelope = Envelope.parse(JSON.parse(text));
    } catch {
      if (res.status === 401 || res.status === 403) throw this.failed(new ProviderError(`Kling refused the credentials (HTTP ${res.status})`, 'fail-account', { httpStatus: res.status }), during);
      throw this.failed(new ProviderError(`Kling ${method} ${path} answered HTTP ${res.status} without a JSON body`, res.status >= 500 ? unknownFate : 'fail-job', { httpStatus: res.status }), during);
    }
    // code 0 is success even when HTTP says otherwise, and a non-zero code is an error even with 200.
    if (envelope.code !== 0) {
      const retryAfter = Number(res.headers.get('retry-after'));
      const text = envelope.message || CODE_TEXT[envelope.code] || 'error';
      const err = new ProviderError(`Kling ${envelope.code}: ${text}`, actionForCode(envelope.code, during), {
        code: envelope.code,
        httpStatus: res.status,
        ...(envelope.request_id ? { requestId: envelope.request_id } : {}),
        ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      });
      // A read's "not found" is how a lookup learns there is no task (readPage answers null): no error unless status() says so.
      throw during === 'query' && envelope.code === 1203 ? err : this.failed(err, during);
    }
    return envelope.data;
  }
}
