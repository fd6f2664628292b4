import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { Ledger } from '../../src/ledger/ledger.js';
import type { FakeKlingOptions } from '../../src/providers/fake-kling/server.js';
import type { WorkerConfig } from '../../src/queue/runtime.js';
import { buildService } from '../../src/service/app.js';
import { PolicyVersions } from '../../src/queue/policy-versions.js';
import { KeyStore } from '../../src/service/keys.js';
import { connect } from './redis.js';
import { startPipeline, type Pipeline } from './pipeline.js';

export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface TestService {
  url: string;
  app: FastifyInstance;
  pipeline: Pipeline;
  keys: KeyStore;
  /** The service's ledger (the tests compare pages and metrics with it). */
  ledger: Ledger;
  /** Keys made for the test: submit and manage of team `studio-a`, submit of team `other`. */
  key: { submitA: string; manageA: string; submitB: string; manageB: string };
  /** fetch against the service with a key (or none). */
  call(path: string, init?: { method?: string; key?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

/** The service over real HTTP (port 0) on a real pipeline: Redis, workers and the local Kling server. */
export async function startService(opts: { policies: Record<string, string>; kling?: FakeKlingOptions; workers?: Partial<WorkerConfig>; rateLimit?: { max: number; windowMs: number }; decisionWaitMs?: number; metricsToken?: string; trustProxy?: string[] }): Promise<TestService> {
  const pipeline = await startPipeline({ policies: opts.policies, ...(opts.kling ? { kling: opts.kling } : {}), ...(opts.workers ? { workers: opts.workers } : {}) });
  const redis = connect();
  const ledger = new Ledger({ redis, prefix: pipeline.prefix, actor: 'service' });
  const keys = new KeyStore(redis, pipeline.prefix);
  const app = await buildService({
    redis,
    prefix: pipeline.prefix,
    client: pipeline.client,
    ledger,
    keys,
    policies: new PolicyVersions({ redis, prefix: pipeline.prefix, ledger }),
    adminKey: ADMIN_KEY,
    ...(opts.metricsToken ? { metricsToken: opts.metricsToken } : {}),
    ...(opts.trustProxy ? { trustProxy: opts.trustProxy } : {}),
    rateLimit: opts.rateLimit ?? { max: 100_000, windowMs: 60_000 },
    decisionWaitMs: opts.decisionWaitMs ?? 20_000,
    // Test receivers listen on 127.0.0.1: private targets are allowed here (and in the workers, by the test).
    webhooks: { redis, prefix: pipeline.prefix, allowPrivate: true },
    ready: async () => {
      await redis.ping();
      await ledger.getBudget({ team: 'readyz' });
    },
    log: pino({ level: process.env.VIDGATE_TEST_LOG ?? 'silent' }),
  });
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  const make = async (team: string, role: 'submit' | 'manage') => (await keys.create({ team, role })).key;
  const key = { submitA: await make('studio-a', 'submit'), manageA: await make('studio-a', 'manage'), submitB: await make('other', 'submit'), manageB: await make('other', 'manage') };
  return {
    url,
    app,
    pipeline,
    keys,
    ledger,
    key,
    call(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.key !== null) headers.authorization = `Bearer ${init.key ?? key.submitA}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${url}${path}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) });
    },
    async close() {
      await app.close();
      await pipeline.close();
      redis.disconnect();
    },
  };
}
