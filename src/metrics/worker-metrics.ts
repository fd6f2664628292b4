import { DECISION_LATENCY, modelLabel, PROVIDER_ERRORS, PROVIDER_TIME } from './families.js';
import { MetricsRecorder } from './recorder.js';

const OUTCOMES: ReadonlySet<string> = new Set(['admit', 'downgrade', 'reject']);
const STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed']);
const OPS: ReadonlySet<string> = new Set(['create', 'query']);
/** A provider error code as a label: digits (Kling's codes), http_4xx/http_5xx, timeout, network; else `other`. */
const CODE = /^(?:\d{1,6}|http_[1-5]xx|timeout|network)$/;

/** What the router and generator of one worker process observe: O(1) in-memory work per call. */
export class WorkerMetrics {
  constructor(readonly recorder = new MetricsRecorder()) {}

  /** A decided intake job: from its enqueue (BullMQ's timestamp) to now. */
  decided(enqueuedAtMs: number, outcome: unknown, nowMs = Date.now()): void {
    const o = typeof outcome === 'string' && OUTCOMES.has(outcome) ? outcome : 'other';
    this.recorder.observe(DECISION_LATENCY, [o], (nowMs - enqueuedAtMs) / 1000);
  }

  /** A task that ended at the provider: from the create call to its end. */
  providerTask(model: string, status: string, seconds: number): void {
    this.recorder.observe(PROVIDER_TIME, [modelLabel(model), STATUSES.has(status) ? status : 'other'], seconds);
  }

  /** An error answer of the provider (every one, retried or not). */
  providerError(op: string, code: string): void {
    this.recorder.count(PROVIDER_ERRORS, [OPS.has(op) ? op : 'other', CODE.test(code) ? code : 'other']);
  }
}
