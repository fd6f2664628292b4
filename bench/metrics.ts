// bench/metrics: what the workers' metrics cost. (1) CPU per job of the in-memory hooks (a
// decision and a provider task recorded), against a baseline in the same run: parsing one decision
// record's JSON, which BullMQ does for every intake job anyway. (2) One flush (a MULTI of HINCRBY /
// HINCRBYFLOAT) on a private redis-server: this process's CPU and Redis's (INFO commandstats) per
// flush, and per job at 100 jobs/s per worker. CPU time, not wall time: the machine may be shared.
// Run: npm run bench -- metrics   (needs redis-server; BENCH_METRICS_JOBS, default 1,000,000)
import { Redis } from 'ioredis';
import { startRedisServer } from '../scripts/redis-server.js';
import { MetricsFlusher } from '../src/metrics/flusher.js';
import { WorkerMetrics } from '../src/metrics/worker-metrics.js';

const cpuNs = (f: () => void): number => {
  const t0 = process.cpuUsage();
  f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) * 1000;
};

const DECISION = JSON.stringify({
  id: 'jabcdefghijklmnopqrstuvwxy',
  team: 'studio-a',
  project: 'trailer',
  code: 'admitted',
  outcome: 'admit',
  policyVersion: 'v3',
  rateCard: 'kling-2026-01',
  currency: 'USD',
  chosen: { model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5 },
  requestedCost: '0.75',
  cost: '0.75',
  reserve: '0.75',
  saving: '0.00',
  candidates: [{ model: 'kling-3.0', cost: '0.75' }],
  dropped: [],
  rules: [],
  reasons: ['within budget'],
  scopes: [{ scope: 'project', limit: '50.00', spent: '1.00', reserved: '0.75', available: '48.25' }],
  decidedAt: '2026-11-27T03:00:00.000Z',
});

/** Redis's CPU in commands so far (µs), from INFO commandstats. */
async function commandUsec(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  return [...info.matchAll(/^cmdstat_(\w+):calls=\d+,usec=(\d+)/gm)].filter((m) => m[1] !== 'info').reduce((n, m) => n + Number(m[2]), 0);
}

export async function benchMetrics(): Promise<void> {
  const jobs = Number(process.env.BENCH_METRICS_JOBS ?? 1_000_000);
  const models = ['kling-3.0', 'kling-o3', 'kling-o1', 'kling-motion-control'];
  const outcomes = ['admit', 'downgrade', 'reject'];
  const m = new WorkerMetrics();
  const now = Date.now();
  let sink = 0;
  // Warm both paths first, then alternate them: drift of the machine hits both alike.
  const hooks = () => {
    for (let i = 0; i < jobs; i++) {
      m.decided(now - (i % 5000), outcomes[i % 3], now);
      m.providerTask(models[i & 3]!, 'succeeded', (i % 600) + 0.5);
    }
    m.recorder.take();
  };
  const baseline = () => {
    for (let i = 0; i < jobs; i++) sink += (JSON.parse(DECISION) as { cost: string }).cost.length;
  };
  hooks();
  baseline();
  const runs = { hooks: [] as number[], baseline: [] as number[] };
  for (let r = 0; r < 3; r++) {
    runs.hooks.push(cpuNs(hooks) / jobs);
    runs.baseline.push(cpuNs(baseline) / jobs);
  }
  const best = (xs: number[]) => Math.min(...xs);
  process.stdout.write(`metrics hooks per job (decision + provider task)   ${best(runs.hooks).toFixed(0).padStart(6)} ns cpu\n`);
  process.stdout.write(`baseline: JSON.parse of one decision record        ${best(runs.baseline).toFixed(0).padStart(6)} ns cpu\n`);
  process.stdout.write(`ratio hooks / baseline                             ${(best(runs.hooks) / best(runs.baseline)).toFixed(3)}  (sink ${sink % 10})\n`);

  // A busy second of one worker: every outcome and model seen, latencies spread over the buckets, a few error codes.
  const server = await startRedisServer();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  try {
    const flushes = 500;
    const fill = () => {
      for (let i = 0; i < 100; i++) {
        m.decided(now - i * 37, outcomes[i % 3], now);
        m.providerTask(models[i & 3]!, i % 10 ? 'succeeded' : 'failed', i * 7.3);
      }
      for (const code of ['1302', '1303', '5000', '5001', 'timeout']) m.providerError('create', code);
    };
    const flusher = new MetricsFlusher(redis, 'bench', m.recorder);
    fill();
    await flusher.flush(); // warm
    const redis0 = await commandUsec(redis);
    let node = 0;
    for (let f = 0; f < flushes; f++) {
      fill();
      const t0 = process.cpuUsage();
      await flusher.flush();
      const t = process.cpuUsage(t0);
      node += t.user + t.system;
    }
    const redisPer = ((await commandUsec(redis)) - redis0) / flushes;
    const nodePer = node / flushes;
    const commands = Object.keys(await redis.hgetall('bench:metrics:decision_seconds')).length + Object.keys(await redis.hgetall('bench:metrics:provider_seconds')).length + 5;
    process.stdout.write(`one flush (~${commands} fields, one MULTI)                 node ${nodePer.toFixed(0)} µs cpu, redis ${redisPer.toFixed(0)} µs cpu (commandstats)\n`);
    process.stdout.write(`per job at 100 jobs/s per worker                   node ${(nodePer / 100).toFixed(2)} µs, redis ${(redisPer / 100).toFixed(2)} µs\n`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}
