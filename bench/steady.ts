// bench/steady: enqueue-to-decision latency at a steady arrival rate. Jobs arrive open-loop, one
// by one on a timer (job i is sent at t0 + i / rate whatever the workers are doing), not as a
// burst: at 100, 500 and 1,000 jobs/s for 20 s each, through the router (workers in this process,
// as in bench/pipeline) and, at the same rate, through a bare BullMQ pass-through as the baseline.
// Latency is BullMQ's own: the intake job's finishedOn (its decision is its return value) minus
// its timestamp (when the client added it). The sender's lag behind the schedule is printed too:
// a sender that falls behind would hide latency in the gaps it leaves; and this process's event-loop
// delay and CPU time per job. Target: p99 ≤ 25 ms at 500/s. Each job's latency is mostly its
// sequential Redis round trips (the router makes three more than the pass-through): on a loaded
// machine each one waits for both processes to be scheduled, so read absolute figures with the load.
// Run: npm run bench -- steady   (REDIS_URL; BENCH_STEADY_SECONDS per rate, default 20;
// BENCH_STEADY_RATES, default 100,500,1000; BENCH_CONCURRENCY, the router's default)
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULTS } from '../src/defaults.js';
import { DEFAULT_REDIS_URL, safeUrl } from '../src/queue/connection.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';
import { BENCH_JOB, startBenchRouter } from './router-setup.js';
import { percentile } from './stats.js';

const TARGET = { rate: 500, p99Ms: 25 } as const;

interface Steady {
  /** Enqueue (BullMQ's timestamp) to decision (finishedOn), ms. */
  latencies: number[];
  /** How late each job was added against its schedule, ms. */
  lag: number[];
  failed: number;
  /** This process's event-loop delay while the jobs ran (p99, ms): a blocked or descheduled loop delays every job. */
  loopDelayP99: number;
  /** This process's CPU time per job (sender and workers), µs. */
  cpuPerJob: number;
}

/** A path under test: `send` enqueues job i; `queue` is the queue whose completed jobs are the decisions. */
interface Path {
  queue: Queue;
  send: (i: number) => Promise<unknown>;
  close: () => Promise<void>;
}

/**
 * Sends `n` jobs at `rate` per second, open-loop: each at its own time on the timer, never waiting
 * for an earlier one. Returns each job's scheduled time (epoch ms) once all were added.
 */
async function paced(n: number, rate: number, send: (i: number) => Promise<unknown>): Promise<number[]> {
  const scheduled: number[] = [];
  const sends: Promise<unknown>[] = [];
  const t0 = performance.now();
  const due = (i: number) => t0 + (i * 1000) / rate;
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      // A timer that fires late sends everything that came due meanwhile, at once.
      for (; i < n && due(i) <= now; i++) {
        scheduled.push(performance.timeOrigin + due(i));
        sends.push(send(i));
      }
      if (i >= n) resolve();
      else setTimeout(tick, Math.max(0, due(i) - performance.now()));
    };
    tick();
  });
  await Promise.all(sends);
  return scheduled;
}

/** The finished intake jobs, read back in pages once the run is over. */
async function finished(queue: Queue, n: number): Promise<Job[]> {
  const out: Job[] = [];
  for (let start = 0; start < n; start += 1000) out.push(...(await queue.getJobs(['completed'], start, Math.min(n, start + 1000) - 1, true)));
  return out;
}

async function run(path: Path, n: number, rate: number, idOf: (i: number) => string): Promise<Steady> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const scheduled = await paced(n, rate, path.send);
  const counts = async () => path.queue.getJobCounts('completed', 'failed');
  for (let c = await counts(); c.completed! + c.failed! < n; c = await counts()) await new Promise((r) => setTimeout(r, 50));
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const jobs = await finished(path.queue, n);
  const at = new Map(scheduled.map((t, i) => [idOf(i), t]));
  return {
    latencies: jobs.map((j) => j.finishedOn! - j.timestamp),
    // Matched by the caller's id (the data's): the router's intake job ids are internal ids.
    lag: jobs.map((j) => Math.max(0, j.timestamp - (at.get((j.data as { id: string }).id) ?? j.timestamp))),
    failed: (await counts()).failed!,
    loopDelayP99: loop.percentile(99) / 1e6,
    cpuPerJob: (cpu.user + cpu.system) / n,
  };
}

async function passThrough(url: string, prefix: string, concurrency: number): Promise<Path> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const a = new Queue('pass-a', { connection, prefix });
  const b = new Queue('pass-b', { connection, prefix });
  const worker = new Worker('pass-a', async (job) => b.add('next', job.data, { jobId: job.id! }), { connection, prefix, concurrency });
  await worker.waitUntilReady();
  return {
    queue: a,
    send: (i) => a.add('job', { ...BENCH_JOB, id: `b${i}` }, { jobId: `b${i}` }),
    close: async () => {
      await worker.close();
      await a.close();
      await b.close();
      await connection.quit();
    },
  };
}

async function router(url: string, prefix: string, concurrency: number): Promise<Path> {
  const { client, intake, close } = await startBenchRouter(url, prefix, concurrency);
  return { queue: intake, send: (i) => client.enqueue({ ...BENCH_JOB, id: `v${i}` }), close };
}

const line = (label: string, s: Steady) =>
  `${label.padEnd(24)} enqueue to decision p50 ${percentile(s.latencies, 50)} ms, p99 ${percentile(s.latencies, 99)} ms, max ${Math.max(...s.latencies)} ms` +
  `  (sender lag p99 ${percentile(s.lag, 99).toFixed(1)} ms, event-loop delay p99 ${s.loopDelayP99.toFixed(1)} ms, node CPU ${s.cpuPerJob.toFixed(0)} µs/job${s.failed ? `, ${s.failed} failed` : ''})`;

export async function benchSteady(
  rates = (process.env.BENCH_STEADY_RATES ?? '100,500,1000').split(',').map(Number),
  seconds = Number(process.env.BENCH_STEADY_SECONDS ?? 20),
  concurrency = Number(process.env.BENCH_CONCURRENCY ?? DEFAULTS.routerConcurrency),
): Promise<void> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const tag = randomUUID().slice(0, 8);
  const prefixes: string[] = [];
  const prefix = (p: string) => {
    prefixes.push(`vgsteady-${p}-${tag}`);
    return prefixes.at(-1)!;
  };
  process.stdout.write(`bench/steady on ${safeUrl(url)}: ${rates.join(', ')} jobs/s for ${seconds} s each, open-loop, router concurrency ${concurrency}\n`);
  const measured = async (make: (p: string) => Promise<Path>, p: string, n: number, rate: number, id: string) => {
    const path = await make(prefix(p));
    try {
      return await run(path, n, rate, (i) => `${id}${i}`);
    } finally {
      await path.close();
    }
  };
  let atTarget: Steady | undefined;
  try {
    // A short warm-up of each path first (connections, scripts, JIT).
    await measured((p) => passThrough(url, p, concurrency), 'warm-b', 200, 200, 'b');
    await measured((p) => router(url, p, concurrency), 'warm-v', 200, 200, 'v');
    for (const rate of rates) {
      const n = Math.round(rate * seconds);
      const base = await measured((p) => passThrough(url, p, concurrency), `b${rate}`, n, rate, 'b');
      const ours = await measured((p) => router(url, p, concurrency), `v${rate}`, n, rate, 'v');
      process.stdout.write(`${rate} jobs/s, ${n} jobs\n  ${line('bare pass-through', base)}\n  ${line('vidgate router', ours)}\n`);
      if (rate === TARGET.rate) atTarget = ours;
    }
    if (atTarget) {
      const p99 = percentile(atTarget.latencies, 99);
      process.stdout.write(`target: router p99 ≤ ${TARGET.p99Ms} ms at ${TARGET.rate} jobs/s: ${p99} ms, ${p99 <= TARGET.p99Ms ? 'met' : 'not met'} (absolute figures: the machine's load moves them)\n`);
    }
  } finally {
    for (const p of prefixes) await deleteKeysWithPrefix(url, p);
  }
}

