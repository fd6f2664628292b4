import { hostname } from 'node:os';
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { DEFAULTS } from '../defaults.js';
import type { Ledger } from '../ledger/ledger.js';
import { quietErrors, workerConnection } from '../queue/connection.js';
import { queuePrefix, type RedisTarget } from '../redis-connection.js';
import { createDeliverer } from './deliver.js';
import { Dispatcher } from './dispatcher.js';
import { WEBHOOK_QUEUE } from './keys.js';
import type { DeliveryJob } from './schema.js';
import type { Resolver } from './send.js';

/** A worker process's webhook settings; every one has its default in src/defaults.ts. */
export interface WebhookConfig {
  /** Allow loopback, private, link-local and metadata targets (development and tests only). */
  allowPrivate?: boolean;
  /** Run the dispatcher (events into delivery jobs) and the delivery worker here (default both). */
  dispatcher?: boolean;
  delivery?: boolean;
  concurrency?: number;
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  maxResponseBytes?: number;
  historyMax?: number;
  pollMs?: number;
  reclaimIdleMs?: number;
  resolveCheckMs?: number;
  /** Tests: a resolver for names (the system's by default). */
  resolve?: Resolver;
}

export interface RunningWebhooks {
  dispatcher: Dispatcher | undefined;
  worker: Worker | undefined;
  close(): Promise<void>;
}

/** Starts the dispatcher and the delivery worker of one process, on their own connections. */
export async function startWebhooks(o: { redisUrl: RedisTarget; prefix: string; ledger: Ledger; log: Logger; config?: WebhookConfig }): Promise<RunningWebhooks> {
  const c = o.config ?? {};
  const redis = workerConnection(o.redisUrl);
  const closers: (() => Promise<unknown>)[] = [];
  const deliveries = quietErrors(new Queue<DeliveryJob>(WEBHOOK_QUEUE, { connection: redis, prefix: queuePrefix(o.prefix, redis) }));
  let dispatcher: Dispatcher | undefined;
  let worker: Worker | undefined;
  if (c.dispatcher ?? true) {
    dispatcher = new Dispatcher({
      redis,
      prefix: o.prefix,
      ledger: o.ledger,
      deliveries,
      consumer: `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      pollMs: c.pollMs ?? DEFAULTS.webhookPollMs,
      reclaimIdleMs: c.reclaimIdleMs ?? DEFAULTS.webhookReclaimIdleMs,
      resolveCheckMs: c.resolveCheckMs ?? DEFAULTS.webhookResolveCheckMs,
      batch: DEFAULTS.webhookBatch,
      job: { attempts: c.attempts ?? DEFAULTS.webhookAttempts, backoffMs: c.backoffMs ?? DEFAULTS.webhookBackoffMs, retentionMs: DEFAULTS.webhookJobRetentionMs },
      log: o.log,
    });
    dispatcher.start();
    closers.push(() => dispatcher!.stop());
  }
  if (c.delivery ?? true) {
    const deliver = createDeliverer({
      redis,
      prefix: o.prefix,
      allowPrivate: c.allowPrivate ?? DEFAULTS.webhookAllowPrivate,
      ...(c.resolve ? { resolve: c.resolve } : {}),
      timeoutMs: c.timeoutMs ?? DEFAULTS.webhookTimeoutMs,
      maxResponseBytes: c.maxResponseBytes ?? DEFAULTS.webhookMaxResponseBytes,
      historyMax: c.historyMax ?? DEFAULTS.webhookDeliveryHistory,
      log: o.log,
    });
    const workerRedis = workerConnection(o.redisUrl);
    worker = quietErrors(new Worker(WEBHOOK_QUEUE, deliver, { connection: workerRedis, prefix: queuePrefix(o.prefix, workerRedis), concurrency: c.concurrency ?? DEFAULTS.webhookConcurrency, runRetryDelay: DEFAULTS.workerRunRetryDelayMs }));
    await worker.waitUntilReady();
    const w = worker;
    closers.unshift(async () => {
      await w.close();
      await workerRedis.quit().catch(() => {});
    });
  }
  return {
    dispatcher,
    worker,
    async close() {
      for (const close of closers) await close();
      await deliveries.close();
      await redis.quit().catch(() => {});
    },
  };
}
