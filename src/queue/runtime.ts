import { Queue, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ModelId } from '../catalog.js';
import { Ledger } from '../ledger/ledger.js';
import { startReaper, type Reaper } from '../ledger/reaper.js';
import { DEFAULTS } from '../defaults.js';
import { createLogger } from '../log.js';
import { KlingAdapter, type KlingAdapterOptions } from '../providers/kling/adapter.js';
import { CallbackTokens, CallbackWaker, startCallbackServer } from './callbacks.js';
import { workerConnection } from './connection.js';
import { createGenerator } from './generator.js';
import { DEFAULT_PREFIX, QUEUE_GENERATE, QUEUE_INTAKE } from './names.js';
import { keepWhile, pendingIn } from './pending.js';
import { PolicyStore } from './policy-store.js';
import type { DecisionRecord, GenerateData, GenerationResult } from './records.js';
import { createRouter } from './router.js';
import { ModelSlots } from './slots.js';
import { UnsettledJobs } from './unsettled.js';

export interface WorkerConfig {
  redisUrl: string;
  prefix?: string;
  policiesDir: string;
  router?: boolean;
  generator?: boolean;
  concurrency?: { router?: number; generator?: number };
  kling: Omit<KlingAdapterOptions, 'clock'>;
  /** Concurrent provider tasks per model (Kling's standard packs allow 20). */
  modelConcurrency?: number | Partial<Record<ModelId, number>>;
  leaseMs?: number;
  generateAttempts?: { attempts: number; backoffMs: number };
  maxSlotWaitMs?: number;
  slotRetryMs?: number;
  poll?: { intervalMs?: number; maxIntervalMs?: number; timeoutMs?: number };
  /** Receive Kling's callbacks on this port; each task carries `publicUrl/<external id>/<token>`. */
  callback?: { port: number; publicUrl: string };
  reaperIntervalMs?: number;
  watchPolicies?: boolean;
  /** BullMQ's lock on an active job; a dead worker's jobs are re-delivered after it lapses. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  log?: Logger;
}

export interface RunningWorkers {
  policies: PolicyStore;
  ledger: Ledger;
  /** Jobs whose money is held until reconciliation settles them. */
  unsettled: UnsettledJobs;
  /** Stops taking jobs, lets active ones finish (or hands them back after `graceMs`), closes everything. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the router and/or generator workers in this process, wired to one Redis and one provider. */
export async function startWorkers(cfg: WorkerConfig): Promise<RunningWorkers> {
  const prefix = cfg.prefix ?? DEFAULT_PREFIX;
  const log = cfg.log ?? createLogger('vidgate-worker');
  const connection = workerConnection(cfg.redisUrl);
  // Ledger calls from many concurrent jobs leave in one write per tick (ioredis auto-pipelining).
  const ledgerRedis = workerConnection(cfg.redisUrl, { enableAutoPipelining: true });
  const closers: (() => Promise<unknown>)[] = [];
  const ledger = new Ledger({ redis: ledgerRedis, prefix, actor: `worker-${process.pid}` });
  ledger.on('alert', (a) => log.warn({ alert: a }, `budget alert: ${a.scope} ${a.name} reached ${a.threshold * 100}% (${a.window})`));
  const policies = new PolicyStore(cfg.policiesDir, ledger, log);
  const unsettled = new UnsettledJobs(ledgerRedis, prefix);
  const workers: Worker[] = [];
  let reaper: Reaper | undefined;
  let callbackServer: FastifyInstance | undefined;

  // Lets active jobs finish; past the grace period they are handed back (re-delivered later).
  const teardown = async (graceMs: number) => {
    const closing = Promise.all(workers.map((w) => w.close()));
    const timer = setTimeout(() => void Promise.all(workers.map((w) => w.close(true))), graceMs);
    await closing;
    clearTimeout(timer);
    await reaper?.stop();
    await callbackServer?.close();
    await policies.close();
    for (const close of closers) await close();
    await ledger.close();
    await ledgerRedis.quit();
    await connection.quit();
  };

  try {
    // Only the router decides by policy; a generator alone needs none (nor the directory).
    if (cfg.router ?? true) {
      await policies.load(); // budgets are in the ledger before the first job is taken
      if (cfg.watchPolicies ?? true) policies.watch();
    }
    const leaseMs = cfg.leaseMs ?? DEFAULTS.leaseMs;
    const workerOpts = {
      connection,
      prefix,
      // After a Redis error BullMQ pauses its fetch loop this long (15 s by default): resume
      // within a second of Redis coming back.
      runRetryDelay: DEFAULTS.workerRunRetryDelayMs,
      ...(cfg.lockDurationMs ? { lockDuration: cfg.lockDurationMs } : {}),
      ...(cfg.stalledIntervalMs ? { stalledInterval: cfg.stalledIntervalMs } : {}),
    };

    if (cfg.router ?? true) {
      const generate = new Queue<GenerateData>(QUEUE_GENERATE, { connection, prefix });
      closers.push(() => generate.close());
      const route = createRouter({ ledger, generate, policyFor: (t) => policies.get(t), leaseMs, generateAttempts: cfg.generateAttempts, log });
      workers.push(new Worker<unknown, DecisionRecord>(QUEUE_INTAKE, route, { ...workerOpts, concurrency: cfg.concurrency?.router ?? DEFAULTS.routerConcurrency }));
    }

    if (cfg.generator ?? true) {
      const provider = new KlingAdapter(cfg.kling);
      const mc = cfg.modelConcurrency ?? DEFAULTS.modelConcurrency;
      const slots = new ModelSlots(ledgerRedis, prefix, (m) => (typeof mc === 'number' ? mc : (mc[m as ModelId] ?? DEFAULTS.modelConcurrency)));
      let wake: CallbackWaker | undefined;
      let tokens: CallbackTokens | undefined;
      if (cfg.callback) {
        const subscriber = workerConnection(cfg.redisUrl);
        closers.push(async () => subscriber.quit());
        wake = new CallbackWaker(subscriber, prefix);
        await wake.start();
        tokens = await CallbackTokens.load(ledgerRedis, prefix);
        callbackServer = await startCallbackServer({ port: cfg.callback.port, provider, tokens, redis: ledgerRedis, prefix, log });
      }
      const generate = createGenerator({
        ledger,
        providerFor: () => provider,
        slots,
        leaseMs,
        maxSlotWaitMs: cfg.maxSlotWaitMs ?? DEFAULTS.maxSlotWaitMs,
        slotRetryMs: cfg.slotRetryMs ?? DEFAULTS.slotRetryMs,
        poll: { intervalMs: DEFAULTS.pollIntervalMs, maxIntervalMs: DEFAULTS.pollMaxIntervalMs, timeoutMs: DEFAULTS.pollTimeoutMs, ...cfg.poll },
        callbackUrlFor: (externalId) => (cfg.callback && tokens ? tokens.urlFor(cfg.callback.publicUrl, externalId) : undefined),
        wake: wake?.register,
        holdForReconciliation: (id, externalId, reason) => unsettled.add(id, externalId, reason),
        log,
      });
      workers.push(new Worker<GenerateData, GenerationResult>(QUEUE_GENERATE, generate, { ...workerOpts, concurrency: cfg.concurrency?.generator ?? DEFAULTS.generatorConcurrency }));
      // A job still queued keeps its reservation: only one that can no longer run gives it back.
      const queued = [QUEUE_INTAKE, QUEUE_GENERATE].map((name) => new Queue(name, { connection: ledgerRedis, prefix }));
      closers.push(() => Promise.all(queued.map((q) => q.close())));
      reaper = startReaper(ledger, {
        intervalMs: cfg.reaperIntervalMs ?? DEFAULTS.reaperIntervalMs,
        keep: keepWhile(pendingIn(queued), (id) => unsettled.has(id)),
        leaseMs,
        onExpired: (r) => log.warn({ reservation: r.reservationId }, 'reservation expired: its job can no longer run'),
        onError: (err) => log.error({ err }, 'reaper failed'),
      });
    }
    for (const w of workers) {
      w.on('error', (err) => log.error({ err: err.message }, `${w.name} worker error`));
      await w.waitUntilReady();
    }
  } catch (err) {
    // Nothing half-started stays behind: a bad policy file or a taken port leaves no connection open.
    await teardown(0).catch(() => {});
    throw err;
  }
  log.info({ router: cfg.router ?? true, generator: cfg.generator ?? true, prefix }, 'workers started');
  return { policies, ledger, unsettled, close: (graceMs = 30_000) => teardown(graceMs) };
}
