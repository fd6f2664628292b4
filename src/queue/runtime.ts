import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { ModelId } from '../catalog.js';
import { DEFAULTS } from '../defaults.js';
import { Ledger } from '../ledger/ledger.js';
import { createLogger } from '../log.js';
import { MetricsFlusher } from '../metrics/flusher.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { KlingAdapterOptions } from '../providers/kling/adapter.js';
import type { RedisTarget } from '../redis-connection.js';
import { isConnectionError, queuePrefix, reportConnection, workerConnection } from './connection.js';
import { DEFAULT_PREFIX } from './names.js';
import { PolicyCards } from './policy-cards.js';
import { PolicyStore } from './policy-store.js';
import { PolicyVersions } from './policy-versions.js';
import type { StoredDecision } from './records.js';
import { policyActor, startGenerator, startRouter, type Wiring } from './roles.js';
import { applyPolicyDir } from './policy-files.js';
import { AccountScheduler } from './scheduler/account.js';
import { UnsettledJobs } from './unsettled.js';
import { startWebhooks, type RunningWebhooks, type WebhookConfig } from '../webhooks/runtime.js';

export interface WorkerConfig {
  /** Where Redis is: one server's URL, or a cluster's nodes (`{ clusterNodes }`). */
  redisUrl: RedisTarget;
  prefix?: string;
  /** Policy files to apply (as `vidgate policy apply`) before the router starts; without it the router runs on what is in Redis. */
  policiesDir?: string;
  router?: boolean;
  generator?: boolean;
  concurrency?: { router?: number; generator?: number };
  kling: Omit<KlingAdapterOptions, 'clock'>;
  /** Concurrent provider tasks per model, inside the account's limit. */
  modelConcurrency?: number | Partial<Record<ModelId, number>>;
  /** The provider account (a name) whose concurrent tasks all teams share, and its limit (Kling's standard pack: 20). */
  account?: string;
  accountConcurrency?: number;
  /** A job waiting for a slot sleeps this long before it looks again (the dispatcher wakes it at its turn). */
  parkMs?: number;
  /** An idle dispatcher looks for lapsed slots this often. */
  dispatchIdleMs?: number;
  /** A slot holder that stops renewing loses its slot after this long (the account's and the models'). */
  slotLeaseMs?: number;
  leaseMs?: number;
  generateAttempts?: { attempts: number; backoffMs: number };
  maxSlotWaitMs?: number;
  slotRetryMs?: number;
  poll?: { intervalMs?: number; maxIntervalMs?: number; timeoutMs?: number };
  /** Receive Kling's callbacks on this port; each task carries `publicUrl/<external id>/<token>`. */
  callback?: { port: number; publicUrl: string };
  reaperIntervalMs?: number;
  /** With `policiesDir`: apply a changed file as a new version (default true). */
  watchPolicies?: boolean;
  /** BullMQ's lock on an active job; a dead worker's jobs are re-delivered after it lapses. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Outbound webhooks (dispatcher and delivery worker), on unless false. */
  webhooks?: WebhookConfig | false;
  log?: Logger;
}

export interface RunningWorkers {
  policies: PolicyStore;
  /** The policies in Redis: apply, current, history. */
  versions: PolicyVersions;
  /** The cards admissions name (for reconciliation in the same process). */
  cards: PolicyCards;
  ledger: Ledger;
  /** Jobs whose money is held until reconciliation settles them. */
  unsettled: UnsettledJobs;
  webhooks: RunningWebhooks | undefined;
  /** SIGHUP: applies the `policiesDir` files again (a bad file is logged, changing nothing), then reads Redis. */
  reloadPolicies(): Promise<void>;
  /** Writes this process's metrics to Redis now (they are written about once a second anyway, and at close). */
  flushMetrics(): Promise<void>;
  /** Stops taking jobs, lets active ones finish (or hands them back after `graceMs`), closes everything. */
  close(graceMs?: number): Promise<void>;
}

/** How long a closing process waits for its last metrics flush. */
const METRICS_CLOSE_MS = 2000;
/** How long each later step of a close may take once the grace period is over or a step hangs. */
const STEP_CLOSE_MS = 5000;

/** Whether `p` settled within `ms` (it goes on unawaited if not). */
const within = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true, () => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);

/** Starts the router and/or generator workers in this process, wired to one Redis and one provider. */
export async function startWorkers(cfg: WorkerConfig): Promise<RunningWorkers> {
  const prefix = cfg.prefix ?? DEFAULT_PREFIX;
  const bullPrefix = queuePrefix(prefix, cfg.redisUrl); // a prefix a cluster cannot take stops here, before any connection
  const log = cfg.log ?? createLogger('vidgate-worker');
  // This connection speaks for all of them: one log line when Redis goes away, one when it is back.
  const connection = reportConnection(workerConnection(cfg.redisUrl), cfg.redisUrl, (state, line) => (state === 'down' ? log.warn(line) : log.info(line)));
  // Ledger calls from many concurrent jobs leave in one write per tick (ioredis auto-pipelining).
  const ledgerRedis = workerConnection(cfg.redisUrl, { enableAutoPipelining: true });
  const ledger = new Ledger({ redis: ledgerRedis, prefix, actor: `worker-${process.pid}` });
  ledger.on('alert', (a) => log.warn({ alert: a }, `budget alert: ${a.scope} ${a.name} reached ${a.threshold * 100}% (${a.window})`));
  const versions = new PolicyVersions({ redis: ledgerRedis, prefix, ledger });
  // A subscribed connection takes no other commands: the policy store gets its own, which
  // connects only if the router starts the store.
  const policySubscriber = workerConnection(cfg.redisUrl, { lazyConnect: true });
  // Observed in memory, written to Redis about once a second for `vidgate serve` to expose (src/metrics/flusher.ts).
  const metrics = new WorkerMetrics();
  const flusher = new MetricsFlusher(ledgerRedis, bullPrefix, metrics.recorder, (err) => log.warn({ err: err.message }, 'metrics flush failed; retrying with the next')).start();
  const w: Wiring = {
    cfg,
    prefix,
    queuePrefix: bullPrefix,
    log,
    connection,
    ledgerRedis,
    ledger,
    versions,
    policies: new PolicyStore(versions, policySubscriber, log),
    cards: new PolicyCards(ledgerRedis, prefix),
    unsettled: new UnsettledJobs(ledgerRedis, prefix),
    scheduler: new AccountScheduler(ledgerRedis, prefix, cfg.account ?? DEFAULTS.account, cfg.slotLeaseMs ? { slotLeaseMs: cfg.slotLeaseMs } : {}),
    leaseMs: cfg.leaseMs ?? DEFAULTS.leaseMs,
    metrics,
    closers: [],
  };
  const workers: Worker[] = [];
  let webhooks: RunningWebhooks | undefined;
  // Lets active jobs finish; past the grace period they are handed back (re-delivered later).
  const teardown = async (graceMs: number) => {
    const closing = Promise.all(workers.map((x) => x.close()));
    if (!(await within(closing, graceMs))) {
      // BullMQ's close(true) returns the close already under way, so it cannot cut that short.
      // What the workers still wait on (a job, or a command to a Cluster node that died mid-
      // failover, which may never be answered) is failed instead by cutting the connections: the
      // jobs' locks lapse and BullMQ hands them to another worker.
      log.warn({ graceMs }, 'active jobs did not finish within the grace period: handing them back');
      connection.disconnect();
      ledgerRedis.disconnect();
      await within(closing, STEP_CLOSE_MS);
    }
    // Every later step bounded too: a process asked to stop must stop.
    for (const close of w.closers) await within(close(), STEP_CLOSE_MS);
    // The last observations, after the last job.
    await within(flusher.close().catch((err: Error) => log.warn({ err: err.message }, 'last metrics flush failed')), METRICS_CLOSE_MS);
    await within(w.policies.close(), STEP_CLOSE_MS);
    policySubscriber.disconnect();
    await within(ledger.close(), STEP_CLOSE_MS);
    for (const redis of [ledgerRedis, connection]) if (!(await within(redis.quit(), STEP_CLOSE_MS))) redis.disconnect();
  };
  try {
    if (cfg.router ?? true) {
      const router = await startRouter(w);
      // Enqueue-to-decision, observed as the intake job completes: no Redis call, nothing in the router's own work.
      router.on('completed', (job, decision: StoredDecision | undefined) => metrics.decided(job.timestamp, decision?.outcome));
      workers.push(router);
    }
    if (cfg.generator ?? true) workers.push(await startGenerator(w));
    if (cfg.webhooks !== false) {
      webhooks = await startWebhooks({ redisUrl: cfg.redisUrl, prefix, ledger, log, config: cfg.webhooks ?? {} });
      const running = webhooks;
      w.closers.unshift(() => running.close());
    }
    for (const x of workers) {
      x.on('error', (err) => isConnectionError(err) || log.error({ err: err.message }, `${x.name} worker error`)); // an outage is reported once, below
      await x.waitUntilReady();
    }
  } catch (err) {
    // Nothing half-started stays behind: a bad policy file or a taken port leaves no connection open.
    await teardown(0).catch(() => {});
    throw err;
  }
  log.info({ router: cfg.router ?? true, generator: cfg.generator ?? true, prefix }, 'workers started');
  const reloadPolicies = async () => {
    if (cfg.policiesDir !== undefined && (cfg.router ?? true)) await applyPolicyDir(cfg.policiesDir, versions, policyActor(), log);
    await w.policies.refresh();
  };
  return { policies: w.policies, versions, cards: w.cards, reloadPolicies, ledger, unsettled: w.unsettled, webhooks, flushMetrics: () => flusher.flush(), close: (graceMs = 30_000) => teardown(graceMs) };
}
