import { ModelId } from '../catalog.js';

// The metrics the workers (and `vidgate reconcile`) observe in their own processes and the
// service exposes at GET /metrics. Writer and reader share these definitions: the Redis hash of
// each family, its label names and, for histograms, its buckets. Every label value comes from a
// closed set (checked where it is recorded), so a value never holds the field separator `|` and
// the number of series is fixed whatever the traffic: never a job id, team-chosen text or prompt.

export interface HistogramFamily {
  /** The hash under `<queue prefix>:metrics:`. */
  key: string;
  name: string;
  help: string;
  labels: readonly string[];
  /** Upper bounds in seconds, ascending; +Inf is implied. */
  buckets: readonly number[];
}

export interface CounterFamily {
  key: string;
  name: string;
  help: string;
  labels: readonly string[];
  /** Stored as integer micro-units, exposed in currency units through the money codec. */
  money?: true;
  /** A gauge the writer replaces as a whole (the last reconciliation's findings). */
  gauge?: true;
}

export const DECISION_LATENCY: HistogramFamily = {
  key: 'decision_seconds',
  name: 'vidgate_decision_latency_seconds',
  help: "from a job's enqueue to the router's decision, by outcome (admit, downgrade, reject)",
  labels: ['outcome'],
  // A decision takes milliseconds on an idle router and minutes behind a backlog.
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
};

export const PROVIDER_TIME: HistogramFamily = {
  key: 'provider_seconds',
  name: 'vidgate_provider_task_seconds',
  help: "from the create call to the task's end at the provider, by model and how the task ended",
  labels: ['model', 'status'],
  // Kling renders in tens of seconds to tens of minutes; the low buckets serve the local server.
  buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600],
};

export const PROVIDER_ERRORS: CounterFamily = {
  key: 'provider_errors',
  name: 'vidgate_provider_errors_total',
  help: "the provider's error answers by operation (create, query) and code: Kling's business code, http_4xx/http_5xx without one, timeout, network",
  labels: ['op', 'code'],
};

export const RECONCILE_RUNS: CounterFamily = {
  key: 'reconcile_runs',
  name: 'vidgate_reconcile_runs_total',
  help: 'runs of vidgate reconcile, by mode (report, apply)',
  labels: ['mode'],
};

export const RECONCILE_DIFFERENCES: CounterFamily = {
  key: 'reconcile_differences',
  name: 'vidgate_reconcile_differences_total',
  help: 'differences reconciliation found between the provider and the ledger, by kind (each run counts what it finds)',
  labels: ['kind'],
};

export const RECONCILE_LAST: CounterFamily = {
  key: 'reconcile_last',
  name: 'vidgate_reconcile_last_differences',
  help: 'differences the last reconciliation run found, by kind (0 once a run finds none)',
  labels: ['kind'],
  gauge: true,
};

export const RECONCILE_SETTLED: CounterFamily = {
  key: 'reconcile_settled',
  name: 'vidgate_reconcile_settled_total',
  help: 'differences reconciliation settled with --apply, by action (charged, refunded, committed, released, cleared)',
  labels: ['action'],
};

export const RECONCILE_SETTLED_AMOUNT: CounterFamily = {
  key: 'reconcile_settled_amount',
  name: 'vidgate_reconcile_settled_amount_total',
  help: 'money reconciliation moved with --apply, by action (currency units)',
  labels: ['action'],
  money: true,
};

export const HISTOGRAMS: readonly HistogramFamily[] = [DECISION_LATENCY, PROVIDER_TIME];
export const COUNTERS: readonly CounterFamily[] = [PROVIDER_ERRORS, RECONCILE_RUNS, RECONCILE_DIFFERENCES, RECONCILE_LAST, RECONCILE_SETTLED, RECONCILE_SETTLED_AMOUNT];

/** The Redis hash of a family: under the queue prefix, hash-tagged on a cluster, so one flush is one slot. */
export const metricsKey = (queuePrefix: string, family: { key: string }) => `${queuePrefix}:metrics:${family.key}`;

/** Joins label values into a hash field; values come from closed sets without `|`. */
export const FIELD_SEPARATOR = '|';

const MODELS: ReadonlySet<string> = new Set(ModelId.options);
/** A model as a label: one of the catalog's, or `other` (a record of an older shape). */
export const modelLabel = (model: unknown): string => (typeof model === 'string' && MODELS.has(model) ? model : 'other');
