// Every default of the running system in one place, so that the CLI's help, the workers, the
// ledger and the docs cannot disagree about how long a lease or a poll lasts.

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const DEFAULTS = {
  /** Key prefix of every Redis key and queue. */
  prefix: 'vidgate',
  redisUrl: 'redis://127.0.0.1:6379',
  /**
   * On a Redis Cluster, a command whose slot is moving or whose master is failing over is retried
   * this often, up to this many times: 150 × 200 ms = 30 s, enough for a replica to take over
   * after Redis's default cluster-node-timeout (15 s).
   */
  clusterRetryDelayMs: 200,
  clusterMaxRedirections: 150,
  /** How long a reservation is held without word from its worker. */
  leaseMs: 15 * MINUTE,
  /** A team's audit stream keeps about this many entries. */
  auditMaxLen: 100_000,
  /**
   * A finished or rejected reservation (and its locator) is kept this long. Idempotency needs it
   * only while a retry can come: intake retries (seconds), generate retries and stalled
   * re-deliveries (at most hours: attempts × the poll timeout), a lease (15 min), and a job enqueued
   * again (its reservation replays instead of reserving twice; once its generate job is gone, a
   * job that ended is rejected as `already-ended`). Reconciliation needs more: it settles a
   * committed job whose bill differs, and a held one, only while its reservation (found by its
   * locator) is there, and prices its tasks by the terms the generator kept in it, so eight days
   * cover a weekly `vidgate reconcile` run with a day to spare. Reports read the spend history,
   * not these.
   */
  reservationRetentionMs: 8 * 24 * 60 * MINUTE,
  /**
   * The spend history (per team, day, project and model) is kept this long after a day's last
   * write: 13 months and a margin, so a year-on-year report of a whole month always finds it.
   */
  historyRetentionMs: 430 * 24 * 60 * MINUTE,
  /** Each team keeps its month's most expensive jobs, this many, for reports. */
  historyTopJobs: 100,
  /** The longest span one history read or report covers, in days. */
  historyMaxDays: 800,
  /** How often the reaper looks for leases that ran out. */
  reaperIntervalMs: 5 * SECOND,
  /** Polling a provider task: first interval, growing ×1.5 up to the maximum. */
  pollIntervalMs: 2 * SECOND,
  pollMaxIntervalMs: 15 * SECOND,
  /** A task that has not ended after this long counts as a timeout (the attempt is retried). */
  pollTimeoutMs: 60 * MINUTE,
  /** A job waits this long in all for a provider slot before its model counts as unavailable. */
  maxSlotWaitMs: 10 * MINUTE,
  slotRetryMs: 2 * SECOND,
  /** A slot holder that stops refreshing loses its slot after this long. */
  slotLeaseMs: MINUTE,
  /** Concurrent provider tasks per model, inside the account's limit (Kling's standard resource pack allows 20). */
  modelConcurrency: 20,
  /** The provider account whose concurrency the teams share, and its slots (Kling's standard pack: 20). */
  account: 'kling',
  accountConcurrency: 20,
  /** A team's weight in the account's slots, when its policy gives none. */
  teamShare: 1,
  /** A job's priority within its team and stage when it gives none (1 lowest, 9 highest). */
  jobPriority: 5,
  /** A dispatcher with nothing to do looks again this often (lapsed slot leases), or when woken. */
  dispatchIdleMs: SECOND,
  /** Jobs one dispatch call hands slots to, at most. */
  dispatchBatch: 50,
  /** A job waiting for its slot sleeps in BullMQ's delayed set this long; the dispatcher wakes it at its turn. */
  parkMs: 10 * MINUTE,
  /** The account's event stream (ready, start, end, expired) keeps about this many entries. */
  schedulerEventsMaxLen: 20_000,
  /** Recent slot hold times kept for start estimates. */
  schedulerDurationsKept: 200,
  /** Generate attempts (BullMQ) and the first backoff, doubling. */
  generateAttempts: 5,
  generateBackoffMs: 2 * SECOND,
  /** Times a generate job may be handed back by BullMQ's stalled check (its worker died) before BullMQ fails it. */
  generateMaxStalledCount: 10,
  /**
   * A completed job of either queue (its decision; its admission and result) stays in BullMQ this
   * long, and at most this many of each: what `vidgate jobs show`, GET /v1/jobs/{id}, the dashboard
   * and a client's handles read, what a retried router step reads to know it forwarded already, and
   * what the webhook dispatcher reads to name a finished job's team. A pipeline reads its results as
   * they finish and a person looks the next morning: a day. After it, the job's money is in the
   * spend history and the audit stream, and its id answers "not found".
   */
  completedJobRetentionMs: 24 * 60 * MINUTE,
  finishedJobsKept: 500_000,
  /**
   * A failed job (of either queue) stays a week: failures are few, and people look into them. A
   * generate job is kept as its decision is; reconciliation, which may come later, prices a job's
   * tasks by the terms its reservation keeps.
   */
  failedJobRetentionMs: 7 * 24 * 60 * MINUTE,
  /** Intake (router) attempts and the first backoff, doubling. */
  intakeAttempts: 5,
  intakeBackoffMs: SECOND,
  routerConcurrency: 50,
  generatorConcurrency: 20,
  /** After a Redis error a worker resumes fetching within this long (BullMQ's default is 15 s). */
  workerRunRetryDelayMs: SECOND,
  /** A client waiting on a job also looks at its state this often, growing to the maximum. */
  stateCheckMs: 2 * SECOND,
  maxStateCheckMs: 15 * SECOND,
  /**
   * The intake and generate queues' event streams keep about this many entries (BullMQ's
   * `streams.events.maxLen`, 10,000 by default): the webhook dispatcher reads them, so this is how
   * far it may fall behind (a stopped dispatcher, a burst) before events are trimmed unread.
   * A job writes about five entries per queue, and its finishing one carries its record (a few
   * hundred bytes), so this is roughly 10,000 jobs' worth: measured (npm run bench -- memory),
   * about 16 MB for intake's and 9 MB for generate's at the cap.
   */
  queueEventsMaxLen: 50_000,
  /** Outbound webhooks: attempts per delivery (BullMQ) and the first backoff, doubling: about 34 h in all. */
  webhookAttempts: 12,
  webhookBackoffMs: MINUTE,
  /** One attempt's whole exchange (connect, send, status, body) ends after this long. */
  webhookTimeoutMs: 10 * SECOND,
  /** At most this much of a receiver's response is read (the status decides; the rest is dropped). */
  webhookMaxResponseBytes: 64 * 1024,
  /** Delivery attempts kept per team (the newest), for GET …/webhooks/deliveries. */
  webhookDeliveryHistory: 1000,
  /** Endpoints a team may register. */
  webhookMaxEndpoints: 10,
  /**
   * Whether webhook URLs may point at loopback, private, link-local or metadata addresses: off,
   * except for development and tests (VIDGATE_WEBHOOKS_ALLOW_PRIVATE=1, `--webhooks-allow-private`).
   */
  webhookAllowPrivate: false,
  /** Deliveries a worker process sends at once. */
  webhookConcurrency: 10,
  /** The dispatcher looks for new events this often when the last look found none. */
  webhookPollMs: 500,
  /** Events read by a dispatcher that then died are taken over after this long unacknowledged. */
  webhookReclaimIdleMs: 30 * SECOND,
  /** How often the dispatcher checks fired thresholds for a new window (budget.resolved). */
  webhookResolveCheckMs: MINUTE,
  /** Events the dispatcher reads from one stream in one call. */
  webhookBatch: 100,
  /** Delivery jobs (and so their ids, which stop an event being queued twice) are kept this long. */
  webhookJobRetentionMs: 7 * 24 * 60 * MINUTE,
  /**
   * A job's cancel-or-sent claim (src/queue/cancel-gate.ts) is kept longer than any finished or
   * failed job: a cancelled job shows as cancelled for as long as any record of it is shown.
   */
  cancelGateRetentionMs: 9 * 24 * 60 * MINUTE,
  /** The service: port, host, request body limit, how long `?wait=decision` waits at most. */
  servicePort: 8080,
  serviceHost: '127.0.0.1',
  serviceBodyLimitBytes: 1024 * 1024,
  serviceDecisionWaitMs: 10 * SECOND,
  /** An Idempotency-Key's first answer is kept this long (per team); a request in flight holds it at most this long. */
  idempotencyRetentionMs: 24 * 60 * MINUTE,
  idempotencyInFlightMs: MINUTE,
  /** Requests per key (or per address without one) per window. */
  serviceRateLimit: 600,
  serviceRateWindowMs: MINUTE,
  /** Each team's index of recent job ids (for GET /v1/jobs) keeps at most this many. */
  serviceJobIndexMax: 100_000,
  /** Jobs in one POST /v1/jobs. */
  serviceMaxBatch: 1000,
  /** An events stream reads its job's state again at each of the job's queue events, and this often without one (a safety net). */
  serviceEventsPollMs: 5 * SECOND,
  /** A policy document (file or request body) may be at most this many bytes. */
  policyMaxBytes: 256 * 1024,
  /** Each team keeps its last this many policy versions (older ones are deleted). */
  policyHistory: 100,
  /** Workers look at the policy change counter this often (pub/sub also wakes them at once). */
  policyPollMs: SECOND,
  /** `vidgate policy history` shows this many versions unless told otherwise. */
  policyHistoryShown: 20,
  /** The dashboard: a session (cookie) lasts this long; its live view looks for changes this often; its jobs table shows this many. */
  dashboardSessionMs: 12 * 60 * MINUTE,
  dashboardLiveMs: SECOND,
  dashboardJobsShown: 50,
} as const;
