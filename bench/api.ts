// bench/api: jobs accepted per second through POST /v1/jobs (one job a request, and batches of
// 100), against a bare Fastify route that enqueues the same job with BullMQ, in the same run, on
// the same Redis; and the latency of ?wait=decision at a steady 200 jobs/s (router running).
// Run: npm run bench -- api   (REDIS_URL, default redis://127.0.0.1:6379; BENCH_REQUESTS, BENCH_INFLIGHT,
// BENCH_ROUNDS, BENCH_WAIT_RATE: the steady rate of the wait=decision part, default 200 jobs/s;
// BENCH_API_PARTS: throughput,wait (both by default); BENCH_ROUTER: child (default: the router in its
// own process, as deployed beside `vidgate serve`) or inline (in the bench's process, with Fastify
// and the load generator); BENCH_LOAD: child (default: the wait part's requests come from another
// process, so this one's CPU is the service's) or inline. The wait part also prints where each
// request's time went, step by step.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Job as BullJob, Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Ledger } from '../src/ledger/ledger.js';
import { createClient } from '../src/queue/client.js';
import { DEFAULT_REDIS_URL, safeUrl } from '../src/queue/connection.js';
import { internalJobId, QUEUE_INTAKE } from '../src/queue/names.js';
import { startWorkers } from '../src/queue/runtime.js';
import { buildService } from '../src/service/app.js';
import { DirPolicies } from '../src/service/dir-policies.js';
import { KeyStore } from '../src/service/keys.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';
import { median, percentile, rate, report, type Run } from './stats.js';

export const JOB = { team: 'bench', project: 'p', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'bench' } as const;

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

/** Where one ?wait=decision request's time went: epoch milliseconds at each step (the router's from its job). */
export interface Trace {
  due: number;
  received?: number;
  enqueued?: number;
  processedOn?: number;
  finishedOn?: number;
  resolved?: number;
  replied?: number;
  answered?: number;
}

export const now = () => performance.timeOrigin + performance.now();

/** One request every 1000/perSecond ms whatever the answers do (open loop), each timed from its due time to its answer. */
export async function openLoop(n: number, perSecond: number, send: (i: number) => Promise<Response>, traces?: Map<string, Trace>, idOf?: (i: number) => string): Promise<{ latencies: number[]; failures: string[] }> {
  const latencies: number[] = [];
  const failures: string[] = [];
  const start = now();
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const trace: Trace = { due };
    if (traces && idOf) traces.set(idOf(i), trace);
    all.push(
      send(i)
        .then(async (res) => {
          const body = (await res.json()) as { decision: unknown };
          trace.answered = now();
          if (res.status !== 202 || body.decision === null) failures.push(`answered ${res.status} without a decision`);
          else latencies.push(trace.answered - due);
        })
        .catch((err: Error) => void failures.push(err.message)),
    );
  }
  await Promise.all(all);
  return { latencies, failures };
}

/** Redis's own CPU time so far, in microseconds (INFO cpu; the server is shared, so only a rough figure). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

const STEPS: [string, keyof Trace, keyof Trace][] = [
  ['due → received by Fastify', 'due', 'received'],
  ['received → enqueued (addBulk returned)', 'received', 'enqueued'],
  ['enqueued → router took it (processedOn)', 'enqueued', 'processedOn'],
  ['router took it → decided (finishedOn)', 'processedOn', 'finishedOn'],
  ['decided → waiter resolved', 'finishedOn', 'resolved'],
  ['waiter resolved → reply sent', 'resolved', 'replied'],
  ['reply sent → answer read by the client', 'replied', 'answered'],
];

/** p50 and p99 of each step, and how the slowest 1% of requests spent their time (mean of each step). */
function breakdown(traces: Trace[]): string {
  const complete = traces.filter((t) => STEPS.every(([, a, b]) => t[a] !== undefined && t[b] !== undefined));
  const total = (t: Trace) => t.answered! - t.due;
  const slowest = [...complete].sort((a, b) => total(b) - total(a)).slice(0, Math.max(1, Math.ceil(complete.length / 100)));
  const lines = [`  where the time went (${complete.length} requests traced; ms; router stamps have 1 ms resolution):`, `    ${'step'.padEnd(42)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'slowest 1%: mean'.padStart(18)}`];
  for (const [label, a, b] of STEPS) {
    const d = (t: Trace) => t[b]! - t[a]!;
    const mean = slowest.reduce((sum, t) => sum + d(t), 0) / slowest.length;
    lines.push(`    ${label.padEnd(42)} ${percentile(complete.map(d), 50).toFixed(1).padStart(8)} ${percentile(complete.map(d), 99).toFixed(1).padStart(8)} ${mean.toFixed(1).padStart(18)}`);
  }
  return lines.join('\n') + '\n';
}

/** The load of the wait part from a child process (load-child.ts): its CPU is not the service's. */
async function loadFromChild(url: string, key: string, perSecond: number, n: number, tag: string, traces?: Map<string, Trace>): Promise<{ latencies: number[]; failures: string[] }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./load-child.js', import.meta.url))], { env: { ...process.env, BENCH_URL: url, BENCH_KEY: key, BENCH_RATE: String(perSecond), BENCH_COUNT: String(n), BENCH_TAG: tag }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the load child exited (${code})`);
  const r = JSON.parse(out) as { latencies: number[]; failures: string[]; traces: [string, number, number | null][] };
  for (const [id, due, answered] of r.traces) {
    const t = traces?.get(id);
    if (t) {
      t.due = due;
      if (answered !== null) t.answered = answered;
    }
  }
  return r;
}

/** The router in a child process (as deployed beside `vidgate serve`); resolves once it takes jobs. */
async function routerChild(url: string, prefix: string, dir: string): Promise<{ close(): Promise<number>; kill(): void }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./router-child.js', import.meta.url))], { env: { ...process.env, REDIS_URL: url, BENCH_PREFIX: prefix, BENCH_POLICIES: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the router child exited (${code})`)));
  });
  const ready = await next();
  if (ready !== 'ready') throw new Error(`the router child said: ${ready}`);
  return {
    async close() {
      const said = next();
      child.kill('SIGTERM');
      return Number(/^cpu (\d+)$/.exec(await said)?.[1] ?? NaN);
    },
    // A run that failed: the child must not outlive the bench (a no-op once it has exited).
    kill: () => void child.kill('SIGKILL'),
  };
}

export async function benchApi(
  n = Number(process.env.BENCH_REQUESTS ?? 3000),
  inflight = Number(process.env.BENCH_INFLIGHT ?? 32),
  rounds = Number(process.env.BENCH_ROUNDS ?? 3),
  waitRate = Number(process.env.BENCH_WAIT_RATE ?? 200),
  parts = (process.env.BENCH_API_PARTS ?? 'throughput,wait').split(','),
  routerIn = process.env.BENCH_ROUTER === 'inline' ? 'inline' : 'child',
  loadIn = process.env.BENCH_LOAD === 'inline' ? 'inline' : 'child',
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
  // Each traced request names itself in a header: the service's own hooks stamp when it came
  // and when its reply went; the client's handles stamp the enqueue and the decision.
  const traces = new Map<string, Trace>();
  const traceOf = (req: { headers: Record<string, unknown> }) => {
    const id = req.headers['x-bench-id'];
    return typeof id === 'string' ? traces.get(id) : undefined;
  };
  service.addHook('onRequest', async (req) => {
    const t = traceOf(req);
    if (t) t.received = now();
  });
  service.addHook('onResponse', async (req) => {
    const t = traceOf(req);
    if (t) t.replied = now();
  });
  const enqueueMany = client.enqueueMany.bind(client);
  client.enqueueMany = async (inputs) => {
    const handles = await enqueueMany(inputs);
    const at = now();
    return handles.map((h) => {
      const t = traces.get(h.id);
      if (!t) return h;
      t.enqueued = at;
      return { ...h, decision: (opts) => h.decision(opts).then((d) => ((t.resolved ??= now()), d)) };
    });
  };
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
  const post = (base: string, body: unknown, id?: string) => fetch(base, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(id ? { 'x-bench-id': id } : {}) }, body: JSON.stringify(body) });
  const batch = (tag: string, i: number) => ({ jobs: Array.from({ length: 100 }, (_, k) => ({ ...JOB, id: `${tag}-${i}-${k}` })) });
  try {
    if (parts.includes('throughput')) {
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
    }
    if (parts.includes('wait')) {
      // The throughput rounds left their jobs queued (no router ran): they go, so the router
      // decides only what this part sends. ?wait=decision is timed from each request's due time.
      const intake = new Queue(QUEUE_INTAKE, { connection: redis, prefix });
      await intake.obliterate({ force: true });
      const inline = routerIn === 'inline' ? await startWorkers({ redisUrl: url, prefix, policiesDir: dir, generator: false, kling: { credentials: { apiKey: 'unused' } }, watchPolicies: false, log: pino({ level: 'silent' }) }) : undefined;
      const child = routerIn === 'child' ? await routerChild(url, prefix, dir) : undefined;
      try {
        const jobs = waitRate * 10;
        const loopDelay = monitorEventLoopDelay({ resolution: 10 });
        const idOf = (i: number) => `wait-${i}`;
        let cpu0: NodeJS.CpuUsage;
        let redis0: number;
        let run: { latencies: number[]; failures: string[] };
        if (loadIn === 'child') {
          await loadFromChild(`${ours}/v1/jobs?wait=decision`, key, waitRate, waitRate, 'warm-wait');
          for (let i = 0; i < jobs; i++) traces.set(idOf(i), { due: 0 });
          [cpu0, redis0] = [process.cpuUsage(), await redisCpu(redis)];
          loopDelay.enable();
          run = await loadFromChild(`${ours}/v1/jobs?wait=decision`, key, waitRate, jobs, 'wait', traces);
        } else {
          await openLoop(waitRate, waitRate, (i) => post(`${ours}/v1/jobs?wait=decision`, { ...JOB, id: `warm-wait-${i}` }));
          [cpu0, redis0] = [process.cpuUsage(), await redisCpu(redis)];
          loopDelay.enable();
          run = await openLoop(jobs, waitRate, (i) => post(`${ours}/v1/jobs?wait=decision`, { ...JOB, id: idOf(i) }, idOf(i)), traces, idOf);
        }
        loopDelay.disable();
        const { latencies, failures } = run;
        const [cpu1, redis1] = [process.cpuUsage(cpu0), await redisCpu(redis)];
        const failed = failures.length ? `; ${failures.length} failed (first: ${failures[0]})` : '';
        process.stdout.write(`?wait=decision at ${waitRate} jobs/s (${jobs} jobs, router ${routerIn === 'child' ? 'in a child process' : 'in this process'}, load ${loadIn === 'child' ? 'from a child process' : 'from this process'}): p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (target p99 at most 50 ms at 200 jobs/s)${failed}\n`);
        for (const [id, t] of traces) {
          const job = await BullJob.fromId(intake, internalJobId(JOB.team, id));
          if (job?.processedOn) t.processedOn = job.processedOn;
          if (job?.finishedOn) t.finishedOn = job.finishedOn;
        }
        process.stdout.write(breakdown([...traces.values()]));
        // How late this process's event loop ran its callbacks: a busy loop delays every step above
        // alike. The histogram's samples are 10 ms timers, so an idle loop reads 10 ms: that is taken off.
        const late = (ns: number) => Math.max(0, ns / 1e6 - 10).toFixed(1);
        process.stdout.write(`  this process's event loop ran late by: p50 ${late(loopDelay.percentile(50))} ms, p99 ${late(loopDelay.percentile(99))} ms, max ${late(loopDelay.max)} ms\n`);
        const routerCpu = child ? await child.close() : NaN;
        const perJob = (us: number, count: number) => `${(us / count).toFixed(0)} µs`;
        process.stdout.write(`  cpu per job: ${['service', routerIn === 'inline' ? 'router' : '', loadIn === 'inline' ? 'load generator' : ''].filter(Boolean).join(' + ')} ${perJob(cpu1.user + cpu1.system, jobs)}${child ? `, router ${perJob(routerCpu, jobs + waitRate)} (warm-up included)` : ''}, Redis ${perJob(redis1 - redis0, jobs)} (shared server: rough)\n`);
      } finally {
        child?.kill();
        await inline?.close();
        await intake.close();
      }
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
