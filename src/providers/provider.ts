import type { ModelId } from '../catalog.js';
import type { Job } from '../job.js';
import type { Money } from '../money.js';

export type TaskStatus = 'submitted' | 'processing' | 'succeeded' | 'failed';

/** Enough to find a task again after a crash: the provider's id and ours. */
export interface TaskHandle {
  provider: string;
  taskId: string;
  externalId: string;
  /** Provider-specific routing (Kling: the endpoint the task was created on). */
  route: string;
}

export interface TaskOutput {
  id: string;
  url: string;
  /** null when the provider does not say (or says something that is not a number of seconds). */
  durationSeconds: number | null;
}

/** The provider's own record of what it charged, when it gives one. */
export interface BillingRecord {
  units: string;
  amount: Money;
}

export interface TaskState {
  handle: TaskHandle;
  status: TaskStatus;
  /** The model that ran the task, where the provider says (Kling does not: null). */
  model: ModelId | null;
  outputs: TaskOutput[];
  billing: BillingRecord | null;
  failure: { code: string; message: string } | null;
  /** When the provider created the task (ms since the epoch), where it says. */
  createdAt: number | null;
}

export interface SubmitOptions {
  callbackUrl?: string;
}

/** The generator drives every provider through this interface only. */
export interface Provider {
  readonly name: string;
  submit(job: Job, externalId: string, opts?: SubmitOptions): Promise<TaskHandle>;
  status(handle: TaskHandle): Promise<TaskState>;
  /** The task created with this external id, or null if the provider has none. */
  findByExternalId(externalId: string, job: Job): Promise<TaskState | null>;
  /**
   * Checks what a provider's callback must carry, beyond the per-task URL (a signature, where the
   * provider or a gateway signs); throws CallbackRejected. Nothing in a callback is trusted: it
   * only wakes the follow-up of the task, which reads the task with our own credentials.
   */
  verifyCallback(headers: Record<string, string | string[] | undefined>, rawBody: string): void;
}

/**
 * What to do about a provider error:
 * - `retry`: the same request later, with backoff (rate limit, concurrency, server busy)
 * - `lookup`: a create whose fate is unknown; find the task by external id before anything else
 * - `fallback`: this model cannot run it now (maintenance, not found, no permission); try another
 * - `fail-job`: this job can never succeed as asked (bad parameters, content policy)
 * - `fail-account`: nothing will succeed until a person acts (auth, balance exhausted)
 */
export type ErrorAction = 'retry' | 'lookup' | 'fallback' | 'fail-job' | 'fail-account';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    message: string,
    readonly action: ErrorAction,
    readonly details: { code?: number; httpStatus?: number; requestId?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}

export class CallbackRejected extends Error {
  override readonly name = 'CallbackRejected';
}
