import type { ModelId } from '../../catalog.js';
import type { Endpoint, TaskData } from '../kling/wire.js';

/**
 * Failure classes the server can inject: at random (failureRate) or on one request, through the
 * body field `x_fake` (a FakeHook) that tests put in a job's `input` (the adapter passes it on).
 */
export const FAILURE_CLASSES = ['content-block', 'server-error', 'task-failure', 'rate-limit', 'balance'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** What one create request asks of the server beyond Kling's own fields. */
export interface FakeHook {
  failure?: FailureClass;
  /** The failure answers only the first this many creates with this external id; later ones go through. */
  times?: number;
  delayMs?: number;
  /** Queries answer "not found" (1203) for this long after the create, as a lagging replica might. */
  hiddenMs?: number;
  /** No callback is sent for the task (the receiver must poll). */
  dropCallbacks?: boolean;
  unavailable?: string[];
  /** What the finished task reports as its video's length and as the units deducted (null: nothing). */
  reportedDuration?: string | null;
  reportedUnits?: string | null;
}

export interface Task {
  id: string;
  /** The create body as received (for tests and the demo to inspect). */
  request: Record<string, unknown> & { model_name: string; mode: string };
  externalId?: string;
  endpoint: Endpoint;
  model: ModelId;
  createdAt: number;
  latencyMs: number;
  outcome: 'succeed' | 'failed';
  failMessage?: string;
  /** What the finished video reports as its duration (null: the field is left out). */
  reportedDuration: string | null;
  /** What the finished task reports as `final_unit_deduction` (null: the field is left out). */
  units: string | null;
  callbackUrl?: string;
  /** Until this time (ms) queries answer "not found". */
  hiddenUntil?: number;
  dropCallbacks?: boolean;
}

/** Mulberry32: a small seeded generator, so a run with a seed injects the same failures. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function statusOf(t: Task, now: number): TaskData['task_status'] {
  const elapsed = now - t.createdAt;
  if (elapsed >= t.latencyMs) return t.outcome;
  return elapsed >= t.latencyMs / 2 ? 'processing' : 'submitted';
}

/**
 * The task as Kling's reference shows it in a query, a list and a callback: no model name, mode
 * or endpoint is echoed. `baseUrl` makes video URLs that resolve (this server serves them).
 */
export function view(t: Task, status: TaskData['task_status'], now: number, baseUrl: string, kind: 'query' | 'callback' = 'query'): TaskData {
  const done = status === 'succeed' || status === 'failed';
  // Queries and lists carry watermark details; the callback protocol documents none.
  const watermark = kind === 'query';
  return {
    task_id: t.id,
    task_status: status,
    task_status_msg: status === 'failed' ? (t.failMessage ?? 'generation failed') : '',
    task_info: t.externalId ? { external_task_id: t.externalId } : {},
    created_at: t.createdAt,
    updated_at: now,
    task_result: {
      videos:
        status === 'succeed'
          ? [
              {
                id: `${t.id}-v0`,
                url: `${baseUrl}/videos/${t.id}.mp4`,
                ...(watermark ? { watermark_url: '' } : {}),
                ...(t.reportedDuration === null ? {} : { duration: t.reportedDuration }),
              },
            ]
          : [],
    },
    ...(watermark ? { watermark_info: { enabled: false } } : {}),
    // A failed task is not billed: Kling deducts nothing for it.
    ...(done && t.units !== null ? { final_unit_deduction: status === 'succeed' ? t.units : '0' } : {}),
  };
}
