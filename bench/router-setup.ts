// The router as the benches run it: one team with a three-rung ladder, router workers only (no
// generator), in this process, with a client and the intake queue to watch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createClient, type VidgateClient } from '../src/queue/client.js';
import { QUEUE_INTAKE } from '../src/queue/names.js';
import { startWorkers } from '../src/queue/runtime.js';

export const BENCH_JOB = { team: 'bench', project: 'p', model: 'kling-3.0', resolution: '1080p', audio: 'deferrable', durationSeconds: 10, stage: 'draft', prompt: 'bench' } as const;
export const BENCH_POLICY = `team: bench\nbudgets:\n  team: { limit: "100000000", period: monthly }\n  projects:\n    p: { limit: "100000000", period: monthly }\nrules:\n  staging: { draft: 720p }\n  audioDeferral: { when: always }\n  fallback: { direction: cheaper }\n  fullQualityCeiling: 0.9\n  ladder: [drop-deferrable-audio, downscale-720p, cheaper-model]\n`;

export interface BenchRouter {
  client: VidgateClient;
  intake: Queue;
  /** A plain connection of the bench's own (INFO, counts). */
  connection: Redis;
  close(): Promise<void>;
}

export async function startBenchRouter(url: string, prefix: string, concurrency: number): Promise<BenchRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-bench-'));
  writeFileSync(join(dir, 'bench.yaml'), BENCH_POLICY);
  const workers = await startWorkers({
    redisUrl: url,
    prefix,
    policiesDir: dir,
    generator: false,
    concurrency: { router: concurrency },
    kling: { credentials: { apiKey: 'unused' } },
    watchPolicies: false,
    log: pino({ level: 'silent' }),
  });
  const client = createClient({ redis: url, prefix });
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const intake = new Queue(QUEUE_INTAKE, { connection, prefix });
  return {
    client,
    intake,
    connection,
    close: async () => {
      await intake.close();
      await connection.quit();
      await client.close();
      await workers.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
