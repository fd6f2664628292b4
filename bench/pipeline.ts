// bench/pipeline: CPU per job (this process's and Redis's) and jobs per second from `intake`
// through the router's decision onto `generate`, against a bare BullMQ pass-through worker (moves
// each job to the next queue, no work) measured in the same run, on the same Redis, at the same
// concurrency; and enqueue-to-decision latency. The targets are CPU ratios (node ≤ 2, Redis ≤ 1.6):
// on a shared machine CPU time per job moves much less than wall time. Redis's CPU is the whole
// server's, so give the bench a Redis of its own (REDIS_URL) when others use the default one.
// A third path, the pass-through plus the writes of one reservation per job, shows what
// the ledger step alone costs.
// Run: npm run bench -- pipeline   (REDIS_URL, default redis://127.0.0.1:6379; BENCH_JOBS, BENCH_CONCURRENCY)
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL, safeUrl } from '../src/queue/connection.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';
import { BENCH_JOB, startBenchRouter } from './router-setup.js';
import { reservationWrites } from './reservation-writes.js';
import { cpuRatios, median, percentile, rate, report, verdict, type Run } from './stats.js';

/** The targets: CPU per routed job against the bare pass-through's, in the same run. */
const TARGET = { node: 2, redis: 1.6 } as const;


/** Redis's own CPU time so far, in microseconds (INFO cpu). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/**
 * Enqueues `n` jobs, waits until the queue has completed them all, and times it. Also the CPU time
 * per job of this process (every worker runs in it) and of Redis: on a shared machine wall time
 * swings with the neighbours, CPU time much less.
 */
async function measure(label: string, n: number, queue: Queue, redis: Redis, enqueue: () => Promise<unknown>): Promise<Run> {
  const [cpu0, redis0] = [process.cpuUsage(), await redisCpu(redis)];
  const start = performance.now();
  await enqueue();
  while ((await queue.getCompletedCount()) < n) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuPerJob = { node: (cpu.user + cpu.system) / n, redis: ((await redisCpu(redis)) - redis0) / n };
  const jobs: Job[] = await queue.getCompleted(0, n);
  return { label, ops: n, seconds, latencies: jobs.map((j) => (j.finishedOn ?? 0) - j.timestamp), cpuPerJob };
}

/**
 * The bare pass-through; with `writes`, it also makes the writes of one reservation per job as
 * plain commands (no checks): what the ledger step costs a router before any check.
 */
async function passThrough(url: string, prefix: string, n: number, concurrency: number, writes = false): Promise<Run> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const ledgerConnection = new Redis(url, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  const a = new Queue('pass-a', { connection, prefix });
  const b = new Queue('pass-b', { connection, prefix });
  const worker = new Worker(
    'pass-a',
    async (job) => {
      if (writes) await reservationWrites(ledgerConnection, prefix, job.id!);
      await b.add('next', job.data, { jobId: job.id! });
    },
    { connection, prefix, concurrency },
  );
  await worker.waitUntilReady();
  const label = writes ? `pass-through + a reservation's writes, c=${concurrency}` : `baseline: bare BullMQ pass-through, c=${concurrency}`;
  const run = await measure(label, n, a, connection, () =>
    a.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'job', data: { ...BENCH_JOB, id: `b${i}` }, opts: { jobId: `b${i}` } }))),
  );
  await worker.close();
  await a.close();
  await b.close();
  await connection.quit();
  await ledgerConnection.quit();
  return run;
}

async function vidgate(url: string, prefix: string, n: number, concurrency: number): Promise<Run> {
  const { client, intake, connection, close } = await startBenchRouter(url, prefix, concurrency);
  const run = await measure(`vidgate router: validate, ladder, reserve, forward, c=${concurrency}`, n, intake, connection, () =>
    client.enqueueMany(Array.from({ length: n }, (_, i) => ({ ...BENCH_JOB, id: `v${i}` }))),
  );
  await close();
  return run;
}

export async function benchPipeline(
  n = Number(process.env.BENCH_JOBS ?? 5000),
  concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50),
  rounds = Number(process.env.BENCH_ROUNDS ?? 3),
): Promise<void> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL; // one server: the ratios are against it
  const tag = randomUUID().slice(0, 8);
  const prefixes: string[] = [];
  const prefix = (p: string) => {
    prefixes.push(`vgbench-${p}-${tag}`);
    return prefixes.at(-1)!;
  };
  process.stdout.write(`bench/pipeline on ${safeUrl(url)}, ${n} jobs a run, concurrency ${concurrency}, ${rounds} alternating rounds\n`);
  try {
    // A warm-up of each path first (connections, scripts, JIT), then alternating measured rounds:
    // this machine's noise moves both sides, and the median ratio is what is reported.
    await passThrough(url, prefix('warm-b'), 500, concurrency);
    await passThrough(url, prefix('warm-w'), 500, concurrency, true);
    await vidgate(url, prefix('warm-v'), 500, concurrency);
    const ratios = { throughput: [] as number[], floor: [] as number[], node: [] as number[], redis: [] as number[] };
    for (let round = 1; round <= rounds; round++) {
      const base = await passThrough(url, prefix(`b${round}`), n, concurrency);
      const floor = await passThrough(url, prefix(`w${round}`), n, concurrency, true);
      const ours = await vidgate(url, prefix(`v${round}`), n, concurrency);
      const r = cpuRatios(ours, base);
      ratios.throughput.push(rate(ours) / rate(base));
      ratios.floor.push(rate(floor) / rate(base));
      ratios.node.push(r.node);
      ratios.redis.push(r.redis);
      process.stdout.write(`round ${round}\n`);
      for (const [run, what] of [[base, 'done'], [floor, 'done'], [ours, 'decision']] as const) {
        process.stdout.write(`  ${report({ ...run, latencies: undefined }, run === base ? undefined : base)}\n`);
        process.stdout.write(`    enqueue to ${what}: p50 ${percentile(run.latencies!, 50)} ms, p99 ${percentile(run.latencies!, 99)} ms\n`);
      }
      process.stdout.write(`  router / pass-through: node CPU ${r.node.toFixed(2)} (target ≤ ${TARGET.node}), Redis CPU ${r.redis.toFixed(2)} (target ≤ ${TARGET.redis}), throughput ${ratios.throughput.at(-1)!.toFixed(2)} (informative)\n`);
    }
    process.stdout.write(`median over ${rounds} rounds, router / bare pass-through:\n`);
    process.stdout.write(`  ${verdict('node CPU per job', median(ratios.node), TARGET.node)}\n`);
    process.stdout.write(`  ${verdict('Redis CPU per job', median(ratios.redis), TARGET.redis)}\n`);
    process.stdout.write(`  throughput ${median(ratios.throughput).toFixed(2)} (informative: the former target of at least 0.8 is withdrawn, CPU per job is what is held to a target)\n`);
    process.stdout.write(`  pass-through with a reservation's writes alone: throughput ${median(ratios.floor).toFixed(2)}\n`);
  } finally {
    for (const p of prefixes) await deleteKeysWithPrefix(url, p);
  }
}
