// bench/api: jobs accepted per second through POST /v1/jobs (one job a request, and batches of
// 100), against a bare Fastify route that enqueues the same job with BullMQ, in the same run, on
// the same Redis; and the latency of ?wait=decision at a steady 200 jobs/s (router running).
// Run: npm run bench -- api   (REDIS_URL, default redis://127.0.0.1:6379; BENCH_REQUESTS, BENCH_INFLIGHT,
// BENCH_ROUNDS, BENCH_WAIT_RATE: the steady rate of the wait=decision part, default 200 jobs/s)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Ledger } from '../src/ledger/ledger.js';
import { createClient } from '../src/queue/client.js';
import { DEFAULT_REDIS_URL, safeUrl } from '../src/queue/connection.js';
import { QUEUE_INTAKE } from '../src/queue/names.js';
import { startWorkers } from '../src/queue/runtime.js';
import { buildService } from '../src/service/app.js';
import { DirPolicies } from '../src/service/dir-policies.js';
import { KeyStore } from '../src/service/keys.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';
import { median, percentile, rate, report, type Run } from './stats.js';

const JOB = { team: 'bench', project: 'p', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'bench' } as const;

/** `n` requests, `inflight` at a time; each request is `send(i)`. */
async function closedLoop(label: string, n: number, inflight: number, jobsPer: number, send: (i: number) => Promise<Response>): Promise<Run> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < n) {
        const res = await send(next++);
        if (res.status !== 202) throw new Error(`${label}: answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  return { label, ops: n * jobsPer, seconds: (performance.now() - start) / 1000 };
}

/** One request every 1000/perSecond ms whatever the answers do (open loop), each timed to its answer. */
async function openLoop(n: number, perSecond: number, send: (i: number) => Promise<Response>): Promise<{ latencies: number[]; failures: string[] }> {
  const latencies: number[] = [];
  const failures: string[] = [];
  const start = performance.now();
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    all.push(
      send(i)
        .then(async (res) => {
          const body = (await res.json()) as { decision: unknown };
          if (res.status !== 202 || body.decision === null) failures.push(`answered ${res.status} without a decision`);
          else latencies.push(performance.now() - due);
        })
        .catch((err: Error) => void failures.push(err.message)),
    );
  }
  await Promise.all(all);
  return { latencies, failures };
}

export async function benchApi(
  n = Number(process.env.BENCH_REQUESTS ?? 3000),
  inflight = Number(process.env.BENCH_INFLIGHT ?? 32),
  rounds = Number(process.env.BENCH_ROUNDS ?? 3),
  waitRate = Number(process.env.BENCH_WAIT_RATE ?? 200),
): Promise<void> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL; // one server: the ratios are against it
  const prefix = `vgbench-api-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-bench-'));
  writeFileSync(join(dir, 'bench.yaml'), `team: bench\nbudgets:\n  projects:\n    p: { limit: "100000000", period: monthly }\n`);
  process.stdout.write(`bench/api on ${safeUrl(url)}, ${n} requests a run, ${inflight} in flight, ${rounds} alternating rounds\n`);
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const client = createClient({ redis: url, prefix });
  const ledger = new Ledger({ redis, prefix, actor: 'bench' });
  const keys = new KeyStore(redis, prefix);
  const service = await buildService({ redis, prefix, client, ledger, keys, policies: new DirPolicies(dir), rateLimit: { max: 1e9, windowMs: 60_000 }, ready: async () => {}, log: false });
  const ours = await service.listen({ port: 0, host: '127.0.0.1' });
  // The baseline: the same body, parsed as JSON and enqueued on the same queue, nothing else.
  const bareQueue = new Queue(`bare-${QUEUE_INTAKE}`, { connection: redis, prefix });
  const bare = Fastify({ logger: false });
  bare.post('/jobs', async (req, reply) => {
    const body = req.body as { jobs?: { id: string }[] } & { id: string };
    const jobs = body.jobs ?? [body];
    await bareQueue.addBulk(jobs.map((j) => ({ name: 'job', data: j, opts: { jobId: `${JOB.team}-${j.id}` } })));
    return reply.code(202).send(jobs.map((j) => ({ id: j.id })));
  });
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
  const { key } = await keys.create({ team: 'bench', role: 'submit' });
  const post = (base: string, body: unknown) => fetch(base, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const batch = (tag: string, i: number) => ({ jobs: Array.from({ length: 100 }, (_, k) => ({ ...JOB, id: `${tag}-${i}-${k}` })) });
  try {
    const single: number[] = [];
    const batched: number[] = [];
    for (let round = 0; round <= rounds; round++) {
      const tag = `r${round}`;
      const b1 = await closedLoop('bare route, one job a request', n, inflight, 1, (i) => post(`${bareUrl}/jobs`, { ...JOB, id: `${tag}-b-${i}` }));
      const o1 = await closedLoop('POST /v1/jobs, one job a request', n, inflight, 1, (i) => post(`${ours}/v1/jobs`, { ...JOB, id: `${tag}-o-${i}` }));
      const bb = await closedLoop('bare route, batches of 100', n / 50, inflight / 4, 100, (i) => post(`${bareUrl}/jobs`, batch(`${tag}-bb`, i)));
      const ob = await closedLoop('POST /v1/jobs, batches of 100', n / 50, inflight / 4, 100, (i) => post(`${ours}/v1/jobs`, batch(`${tag}-ob`, i)));
      if (round === 0) continue; // warm-up
      single.push(rate(o1) / rate(b1));
      batched.push(rate(ob) / rate(bb));
      process.stdout.write(`round ${round}\n  ${report(b1)}\n  ${report(o1, b1)}\n  ${report(bb)}\n  ${report(ob, bb)}\n`);
    }
    process.stdout.write(`median ratio, one job a request: ${median(single).toFixed(2)} of the bare route (target at least 0.5)\n`);
    process.stdout.write(`median ratio, batches of 100: ${median(batched).toFixed(2)} of the bare route\n`);

    // The throughput rounds left their jobs queued (no router ran): they go, so the router
    // decides only what this part sends. ?wait=decision is timed from each request's due time.
    const intake = new Queue(QUEUE_INTAKE, { connection: redis, prefix });
    await intake.obliterate({ force: true });
    await intake.close();
    const workers = await startWorkers({ redisUrl: url, prefix, policiesDir: dir, generator: false, kling: { credentials: { apiKey: 'unused' } }, watchPolicies: false, log: pino({ level: 'silent' }) });
    try {
      await openLoop(waitRate, waitRate, (i) => post(`${ours}/v1/jobs?wait=decision`, { ...JOB, id: `warm-wait-${i}` }));
      const { latencies, failures } = await openLoop(waitRate * 10, waitRate, (i) => post(`${ours}/v1/jobs?wait=decision`, { ...JOB, id: `wait-${i}` }));
      const failed = failures.length ? `; ${failures.length} failed (first: ${failures[0]})` : '';
      process.stdout.write(`?wait=decision at ${waitRate} jobs/s (${waitRate * 10} jobs): p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (target p99 at most 50 ms at 200 jobs/s)${failed}\n`);
    } finally {
      await workers.close();
    }
  } finally {
    await service.close();
    await bare.close();
    await bareQueue.close();
    await client.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
    await deleteKeysWithPrefix(url, prefix);
  }
}
