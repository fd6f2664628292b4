import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { createClient, type VidgateClient } from '../../src/queue/client.js';
import { startWorkers, type RunningWorkers, type WorkerConfig } from '../../src/queue/runtime.js';
import { startFakeKling, type FakeKling, type FakeKlingOptions } from '../../src/providers/fake-kling/server.js';
import type { RedisTarget } from '../../src/redis-connection.js';
import { redisTarget, uniquePrefix } from './redis.js';

export interface Pipeline {
  prefix: string;
  policiesDir: string;
  kling: FakeKling;
  workers: RunningWorkers;
  client: VidgateClient;
  /** Starts another set of workers on the same Redis, prefix, policies and provider (closed with the pipeline). */
  startMoreWorkers(overrides: Partial<WorkerConfig>): Promise<RunningWorkers>;
  close(): Promise<void>;
}

/** Writes policy files (text by relative path, e.g. a rate card beside them) into a fresh directory. */
export function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-policies-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** The whole flow in this process: the local Kling server, router and generator, and a client. */
export async function startPipeline(opts: {
  policies: Record<string, string>;
  kling?: FakeKlingOptions;
  workers?: Partial<WorkerConfig>;
  redisUrl?: RedisTarget;
  /** Another provider than the local Kling server (a test's own misbehaving one). */
  providerUrl?: string;
}): Promise<Pipeline> {
  const url = opts.redisUrl ?? redisTarget();
  const prefix = uniquePrefix('pipe');
  const policiesDir = policyDir(opts.policies);
  const kling = await startFakeKling({ latencyMs: 30, apiKey: 'e2e', ...opts.kling });
  const configWith = (overrides: Partial<WorkerConfig> = {}): WorkerConfig => ({
    redisUrl: url,
    prefix,
    policiesDir,
    poll: { intervalMs: 10, maxIntervalMs: 30 },
    slotRetryMs: 20,
    watchPolicies: false,
    log: pino({ level: process.env.VIDGATE_TEST_LOG ?? 'silent' }),
    ...overrides,
    kling: { credentials: { apiKey: 'e2e' }, unitPrice: '1', retry: { attempts: 3, baseMs: 5 }, ...overrides.kling, baseUrl: opts.providerUrl ?? kling.url },
  });
  const workers = await startWorkers(configWith(opts.workers));
  const more: RunningWorkers[] = [];
  const client = createClient({ redis: url, prefix });
  return {
    prefix,
    policiesDir,
    kling,
    workers,
    client,
    async startMoreWorkers(overrides) {
      const w = await startWorkers(configWith({ ...opts.workers, ...overrides }));
      more.push(w);
      return w;
    },
    async close() {
      await client.close();
      for (const w of [workers, ...more]) await w.close(5000).catch(() => {}); // a test may have stopped them already
      await kling.close();
      rmSync(policiesDir, { recursive: true, force: true });
    },
  };
}
