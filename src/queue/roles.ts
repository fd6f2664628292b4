import { hostname } from 'node:os';
import { Queue, Worker, type WorkerOptions } from 'bullmq';
import type { RedisConnection as Redis } from '../redis-connection.js';
import type { Logger } from 'pino';
import type { ModelId } from '../catalog.js';
import { DEFAULTS } from '../defaults.js';
import type { Ledger } from '../ledger/ledger.js';
import { startReaper } from '../ledger/reaper.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { KlingAdapter } from '../providers/kling/adapter.js';
import { CallbackTokens, CallbackWaker, startCallbackServer } from './callbacks.js';
import { quietErrors, workerConnection } from './connection.js';
import { createGenerator } from './generator.js';
import { QUEUE_GENERATE, QUEUE_INTAKE, QUEUE_OPTIONS } from './names.js';
import { heldWhenQueueFailed, keepWhile, pendingIn } from './pending.js';
import type { PolicyCards } from './policy-cards.js';
import { policyDirDocuments, watchPolicyDir } from './policy-files.js';
import type { PolicyStore } from './policy-store.js';
import type { PolicyVersions } from './policy-versions.js';
import type { GenerateData, GenerationResult, StoredDecision } from './records.js';
import { createRouter } from './router.js';
import type { WorkerConfig } from './runtime.js';
import { CancelGate } from './cancel-gate.js';
import { AccountScheduler } from './scheduler/account.js';
import { startDispatcher } from './scheduler/dispatcher.js';
import { ModelSlots } from './slots.js';
import type { UnsettledJobs } from './unsettled.js';

/** What the router and the generator of one process share; `closers` run in order at shutdown. */
export interface Wiring {
  cfg: WorkerConfig;
  prefix: string;
  /** BullMQ's prefix: `prefix`, hash-tagged on a cluster (queuePrefix). */
  queuePrefix: string;
  log: Logger;
  connection: Redis;
  ledgerRedis: Redis;
  ledger: Ledger;
  versions: PolicyVersions;
  policies: PolicyStore;
  cards: PolicyCards;
  unsettled: UnsettledJobs;
  /** The provider account whose slots every team shares. */
  scheduler: AccountScheduler;
  leaseMs: number;
  /** What this process observes for GET /metrics (decisions, provider time and errors). */
  metrics: WorkerMetrics;
  closers: (() => Promise<unknown>)[];
}

function workerOptions(w: Wiring, concurrency: number): WorkerOptions {
  return {
    connection: w.connection,
    prefix: w.queuePrefix,
    concurrency,
    // After a Redis error BullMQ pauses its fetch loop this long (15 s by default): resume
    // within a second of Redis coming back.
    runRetryDelay: DEFAULTS.workerRunRetryDelayMs,
    ...(w.cfg.lockDurationMs ? { lockDuration: w.cfg.lockDurationMs } : {}),
    ...(w.cfg.stalledIntervalMs ? { stalledInterval: w.cfg.stalledIntervalMs } : {}),
  };
}

/** Who applied a worker's policy files: `worker@<host>`. */
export const policyActor = () => `worker@${hostname()}`;

/** The router: decides each intake job by its team's policy and the ledger. */
export async function startRouter(w: Wiring): Promise<Worker> {
  // Only the router decides by policy; a generator alone needs none. `--policies DIR` is "apply
  // these, then run": versions (and budgets) are in Redis before the first job is taken.
  const dir = w.cfg.policiesDir;
  if (dir !== undefined) {
    const docs = policyDirDocuments(dir);
    const changes = docs.length === 0 ? [] : await w.versions.apply(docs, { actor: policyActor() });
    for (const c of changes.filter((x) => x.changed)) w.log.info({ team: c.team, from: c.from, to: c.to, summary: c.summary }, 'policy file applied');
    if (w.cfg.watchPolicies ?? true) w.closers.push(watchPolicyDir(dir, w.versions, policyActor(), w.log));
  }
  await w.policies.start();
  const generate = quietErrors(new Queue<GenerateData>(QUEUE_GENERATE, { ...QUEUE_OPTIONS, connection: w.connection, prefix: w.queuePrefix }));
  w.closers.push(() => generate.close());
  const route = createRouter({ ledger: w.ledger, generate, scheduler: w.scheduler, gate: new CancelGate(w.ledgerRedis, w.prefix), held: (id) => w.unsettled.has(id), parkMs: w.cfg.parkMs, policyFor: (t) => w.policies.get(t), cardFor: (t, ref) => w.cards.load(t, ref), leaseMs: w.leaseMs, generateAttempts: w.cfg.generateAttempts, log: w.log });
  return new Worker<unknown, StoredDecision>(QUEUE_INTAKE, route, workerOptions(w, w.cfg.concurrency?.router ?? DEFAULTS.routerConcurrency));
}

/** Callbacks: a server for the provider's POSTs, and wake-ups for the tasks this process follows. */
async function startCallbacks(w: Wiring, provider: KlingAdapter, callback: NonNullable<WorkerConfig['callback']>) {
  const subscriber = workerConnection(w.cfg.redisUrl);
  w.closers.push(async () => subscriber.quit());
  const wake = new CallbackWaker(subscriber, w.prefix);
  await wake.start();
  const tokens = await CallbackTokens.load(w.ledgerRedis, w.prefix);
  const server = await startCallbackServer({ port: callback.port, provider, tokens, redis: w.ledgerRedis, prefix: w.prefix, log: w.log });
  w.closers.unshift(() => server.close());
  return { wake: wake.register, urlFor: (externalId: string) => tokens.urlFor(callback.publicUrl, externalId) };
}

/** The generator: runs admitted jobs at the provider and settles them; and the lease reaper. */
export async function startGenerator(w: Wiring): Promise<Worker> {
  const { cfg, ledger, unsettled, log } = w;
  const provider = new KlingAdapter({
    ...cfg.kling,
    onError: (op, code) => {
      w.metrics.providerError(op, code);
      cfg.kling.onError?.(op, code);
    },
  });
  const mc = cfg.modelConcurrency ?? DEFAULTS.modelConcurrency;
  const slots = new ModelSlots(w.ledgerRedis, w.prefix, (m) => (typeof mc === 'number' ? mc : (mc[m as ModelId] ?? DEFAULTS.modelConcurrency)), cfg.slotLeaseMs);
  const callbacks = cfg.callback ? await startCallbacks(w, provider, cfg.callback) : undefined;
  const generate = createGenerator({
    ledger,
    providerFor: () => provider,
    slots,
    scheduler: w.scheduler,
    parkMs: cfg.parkMs ?? DEFAULTS.parkMs,
    leaseMs: w.leaseMs,
    maxSlotWaitMs: cfg.maxSlotWaitMs ?? DEFAULTS.maxSlotWaitMs,
    slotRetryMs: cfg.slotRetryMs ?? DEFAULTS.slotRetryMs,
    poll: { intervalMs: DEFAULTS.pollIntervalMs, maxIntervalMs: DEFAULTS.pollMaxIntervalMs, timeoutMs: DEFAULTS.pollTimeoutMs, ...cfg.poll },
    ...(callbacks ? { callbackUrlFor: callbacks.urlFor, wake: callbacks.wake } : {}),
    cardFor: (team, ref) => w.cards.load(team, ref),
    holdForReconciliation: (id, externalId, reason) => unsettled.add(id, externalId, reason),
    gate: new CancelGate(w.ledgerRedis, w.prefix),
    log,
    metrics: w.metrics,
  });
  // A job still queued keeps its reservation, and so does one held for reconciliation, or one the
  // queue failed after it began a create: only one that can no longer run, and sent nothing, gives it back.
  const queued = [QUEUE_INTAKE, QUEUE_GENERATE].map((name) => quietErrors(new Queue(name, { ...QUEUE_OPTIONS, connection: w.ledgerRedis, prefix: w.queuePrefix })));
  const reaper = startReaper(ledger, {
    intervalMs: cfg.reaperIntervalMs ?? DEFAULTS.reaperIntervalMs,
    keep: keepWhile(pendingIn(queued), (id) => unsettled.has(id), heldWhenQueueFailed(queued[1]!, (id, externalId, reason) => unsettled.add(id, externalId, reason))),
    leaseMs: w.leaseMs,
    onExpired: (r) => log.warn({ reservation: r.reservationId }, 'reservation expired: its job can no longer run'),
    onError: (err) => log.error({ err }, 'reaper failed'),
  });
  w.closers.unshift(() => reaper.stop());
  w.closers.push(() => Promise.all(queued.map((q) => q.close())));
  // The account's slots go to waiting jobs fairly; every generator process runs a dispatcher.
  const subscriber = workerConnection(cfg.redisUrl);
  const dispatcher = await startDispatcher({
    scheduler: w.scheduler,
    generate: queued[1]!,
    subscriber,
    limit: cfg.accountConcurrency ?? DEFAULTS.accountConcurrency,
    ...(cfg.dispatchIdleMs ? { idleMs: cfg.dispatchIdleMs } : {}),
    log,
  });
  w.closers.unshift(async () => {
    await dispatcher.stop();
    subscriber.disconnect();
  });
  // A generate job follows its task through re-deliveries (it looks its task up before creating):
  // a worker that dies twice under it must not make BullMQ fail it (its default allows one stall).
  return new Worker<GenerateData, GenerationResult>(QUEUE_GENERATE, generate, { ...workerOptions(w, cfg.concurrency?.generator ?? DEFAULTS.generatorConcurrency), maxStalledCount: DEFAULTS.generateMaxStalledCount });
}
