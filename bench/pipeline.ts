// bench/pipeline: jobs per second from `intake` through the router's decision onto `generate`,
// against a bare BullMQ pass-through worker (moves each job to the next queue, no work) measured
// in the same run, on the same Redis, at the same concurrency; and enqueue-to-decision latency.
// Run: npm run bench -- pipeline   (REDIS_URL, default redis://127.0.0.1:6379; BENCH_JOBS, BENCH_CONCURRENCY)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createClient } from '../src/queue/client.js';
import { redisUrlFromEnv, safeUrl } from '../src/queue/connection.js';
import { QUEUE_INTAKE } from '../src/queue/names.js';
import { startWorkers } from '../src/queue/runtime.js';
import { percentile, rate, report, type Run } from './stats.js';

const JOB = { team: 'bench', project: 'p', model: 'kling-3.0', resolution: '1080p', audio: 'deferrable', durationSeconds: 10, stage: 'draft' } as const;

/** Waits until `n` jobs of a queue have completed, then returns their enqueue-to-finish latencies. */
async function drain(queue: Queue, n: number): Promise<number[]> {
  for (;;) {
    if ((await queue.getCompletedCount()) >= n) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const jobs: Job[] = await queue.getCompleted(0, n);
  return jobs.map((j) => (j.finishedOn ?? 0) - j.timestamp);
}

async function baseline(url: string, prefix: string, n: number, concurrency: number): Promise<Run> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const a = new Queue('pass-a', { connection, prefix });
  const b = new Queue('pass-b', { connection, prefix });
  const worker = new Worker('pass-a', async (job) => void (await b.add('next', job.data, { jobId: job.id! })), { connection, prefix, concurrency });
  await worker.waitUntilReady();
  const start = performance.now();
  await a.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'job', data: { ...JOB, id: `b${i}` }, opts: { jobId: `b${i}` } })));
  const latencies = await drain(a, n);
  const seconds = (performance.now() - start) / 1000;
  await worker.close();
  await a.close();
  await b.close();
  await connection.quit();
  return { label: `baseline: bare BullMQ pass-through, c=${concurrency}`, ops: n, seconds, latencies };
}

async function vidgate(url: string, prefix: string, n: number, concurrency: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-bench-'));
  writeFileSync(
    join(dir, 'bench.yaml'),
    `team: bench\nbudgets:\n  team: { limit: "100000000", period: monthly }\n  projects:\n    p: { limit: "100000000", period: monthly }\nrules:\n  staging: { draft: 720p }\n  audioDeferral: { when: always }\n  fallback: { direction: cheaper }\n  fullQualityCeiling: 0.9\n  ladder: [drop-deferrable-audio, downscale-720p, cheaper-model]\n`,
  );
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
  const start = performance.now();
  await client.enqueueMany(Array.from({ length: n }, (_, i) => ({ ...JOB, id: `v${i}` })));
  const latencies = await drain(intake, n);
  const seconds = (performance.now() - start) / 1000;
  await intake.close();
  await connection.quit();
  await client.close();
  await workers.close();
  return { label: `vidgate router: validate, ladder, reserve, forward, c=${concurrency}`, ops: n, seconds, latencies };
}

async function clean(url: string, prefix: string) {
  const r = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  await r.quit();
}

export async function benchPipeline(n = Number(process.env.BENCH_JOBS ?? 5000), concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50)): Promise<void> {
  const url = redisUrlFromEnv();
  const tag = randomUUID().slice(0, 8);
  process.stdout.write(`bench/pipeline on ${safeUrl(url)}, ${n} jobs each, concurrency ${concurrency}\n`);
  try {
    // A warm-up of each path first (connections, scripts, JIT), then the measured runs.
    await baseline(url, `vgbench-w1-${tag}`, 500, concurrency);
    await vidgate(url, `vgbench-w2-${tag}`, 500, concurrency);
    const base = await baseline(url, `vgbench-b-${tag}`, n, concurrency);
    const ours = await vidgate(url, `vgbench-v-${tag}`, n, concurrency);
    for (const r of [base, ours]) {
      process.stdout.write(`${report({ ...r, latencies: undefined }, r === ours ? base : undefined)}\n`);
      process.stdout.write(`  enqueue to ${r === ours ? 'decision' : 'done'}: p50 ${percentile(r.latencies!, 50)} ms, p99 ${percentile(r.latencies!, 99)} ms\n`);
    }
    process.stdout.write(`ratio ${(rate(ours) / rate(base)).toFixed(2)} (target at least 0.8)\n`);
  } finally {
    for (const p of ['w1', 'w2', 'b', 'v']) await clean(url, `vgbench-${p}-${tag}`);
  }
}
