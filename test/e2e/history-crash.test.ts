// The spend history through a crash: a worker process SIGKILLed mid-storm, then Redis itself
// killed and restarted from its append-only file, then a new worker finishing the jobs. BullMQ
// redelivers the dead worker's jobs and the ledger's scripts replay; the history must still
// count every job once and sum exactly to the ledger's balances.
import { rmSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import type { JobInput } from '../../src/job.js';
import { money, sumMoney } from '../../src/money.js';
import { createClient, type FinalResult } from '../../src/queue/client.js';
import { startFakeKling } from '../../src/providers/fake-kling/server.js';
import { historyBalances, Ledger } from '../../src/ledger/index.js';
import { startRedisServer } from '../../scripts/redis-server.js';
import { BIN } from '../helpers/cli.js';
import { policyDir } from '../helpers/pipeline.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { connect, uniquePrefix } from '../helpers/redis.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const POLICY = `team: hist
budgets:
  team: { limit: "90.00", period: monthly }
  projects:
    p1: { limit: "40.00", period: monthly }
    p2: { limit: "35.00", period: monthly }
    p3: { limit: "30.00", period: monthly }
rules:
  staging: { draft: 720p }
  audioDeferral: { when: always }
  fallback: { direction: cheaper }
  fullQualityCeiling: 0.8
  ladder: [drop-deferrable-audio, downscale-720p, cheaper-model]
`;

const SHAPES = [
  { model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 10, prompt: 'storm at sea' },
  { model: 'kling-o3', resolution: '1080p', audio: 'deferrable', durationSeconds: 8, stage: 'draft', prompt: 'a draft pass' },
  { model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a quiet street' },
  { model: 'kling-o3', resolution: '1080p', audio: 'none', durationSeconds: 6, prompt: 'a chase' },
] as const;

it('history counts survive a worker killed mid-storm and a Redis restart with AOF, without double counting', async () => {
  const redis = await startRedisServer({ appendonly: true });
  cleanups.push(() => redis.stop());
  // The restarted server stops after the clients and workers that use it are closed.
  let back: Awaited<ReturnType<typeof startRedisServer>> | undefined;
  cleanups.push(() => back?.stop());
  const prefix = uniquePrefix('hist');
  const kling = await startFakeKling({ latencyMs: 200, apiKey: 'hist' });
  cleanups.push(() => kling.close());
  const dir = policyDir({ 'hist.yaml': POLICY });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const worker = (lockMs: number) =>
    startWorkerProcess({
      bin: BIN,
      policiesDir: dir,
      prefix,
      redis: { REDIS_URL: redis.url },
      kling: { url: kling.url, apiKey: 'hist' },
      args: ['--poll-ms', '20', '--concurrency', '30', '--model-concurrency', '100', '--lock-ms', String(lockMs)],
      logLevel: 'silent',
      cleanups,
    });


  const first = worker(3000);
  await first.firstLine;
  const client = createClient({ redis: redis.url, prefix });
  cleanups.push(() => client.close());
  // Every tenth job names a project without a budget: rejected by the router before the ledger.
  const jobs: JobInput[] = Array.from({ length: 160 }, (_, i) => ({ id: `h${i}`, team: 'hist', project: i % 10 === 9 ? 'nope' : `p${(i % 3) + 1}`, ...SHAPES[i % SHAPES.length]! }));
  const handles = await client.enqueueMany(jobs);
  await expect.poll(() => kling.tasks().length, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(10);
  first.child.kill('SIGKILL');
  await first.exited;
  // It died mid-storm: some jobs were still active, and their steps will run again.
  const atKill = await Promise.all(handles.map((h) => client.show(h.team, h.id)));
  expect(atKill.filter((v) => v?.generate === 'active' || v?.intake === 'active').length).toBeGreaterThan(0);
  // Redis dies too, and comes back from its append-only file (every write fsynced).
  await redis.kill();
  back = await startRedisServer({ appendonly: true, port: redis.port, dir: redis.dir });
  const second = worker(10_000);
  await second.firstLine;
  const results: FinalResult[] = await Promise.all(handles.map((h) => h.result()));
  expect(results.filter((r) => !['completed', 'rejected'].includes(r.state)).map((r) => [r.id, r.state])).toEqual([]);

  const conn = connect(back.url);
  cleanups.push(() => conn.quit());
  const ledger = new Ledger({ redis: conn, prefix });
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const rows = await ledger.history({ team: 'hist', from, to: today });
  const total = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0);

  // Every job counted once at its decision, and every admitted job once at its end.
  const completed = results.flatMap((r) => (r.state === 'completed' ? [r] : []));
  const rejected = results.flatMap((r) => (r.state === 'rejected' ? [r] : []));
  expect(completed.length).toBeGreaterThan(10);
  expect(rejected.length).toBeGreaterThan(16 + 10); // 16 without a project budget, and tight budgets
  const rejectedByCode = new Map<string, number>();
  for (const r of rejected) rejectedByCode.set(r.decision.code, (rejectedByCode.get(r.decision.code) ?? 0) + 1);
  const historyRejected = new Map<string, number>();
  for (const r of rows) {
    for (const [reason, n] of r.rejected) {
      const code = reason === 'no-budget' ? 'no-ledger-budget' : reason; // the ledger's reason, the router's code
      historyRejected.set(code, (historyRejected.get(code) ?? 0) + n);
    }
  }
  expect(historyRejected).toEqual(rejectedByCode);
  expect(total((r) => r.jobs.admitted + r.jobs.downgraded)).toBe(completed.length);
  expect(total((r) => r.jobs.downgraded)).toBe(completed.filter((r) => r.decision.outcome === 'downgrade').length);
  expect(total((r) => r.jobs.completed)).toBe(completed.length);
  expect(total((r) => r.jobs.released + r.jobs.expired)).toBe(0);

  // Money: what the provider billed and the estimates are the jobs' own, to the micro-unit.
  const sum = (f: (r: (typeof rows)[number]) => ReturnType<typeof money>) => sumMoney(rows.map(f)).toFixed(6);
  expect(sum((r) => r.actual)).toBe(sumMoney(completed.map((r) => money(r.actualCost!))).toFixed(6));
  expect(sum((r) => r.actual.minus(r.estimate))).toBe(sumMoney(completed.map((r) => money(r.variance!))).toFixed(6));

  // And the history's balances are the ledger's, per project and for the team, in this month's window.
  for (const project of [undefined, 'p1', 'p2', 'p3']) {
    const view = (await ledger.getBudget({ team: 'hist', project }))!;
    const inWindow = rows.filter((r) => r.day.startsWith(view.window) && (project === undefined || r.project === project));
    const h = historyBalances(inWindow);
    expect([project, h.spent.toFixed(2), h.reserved.toFixed(2)]).toEqual([project, money(view.spent).toFixed(2), money(view.reserved).toFixed(2)]);
  }
  // The dearest jobs are the completed ones, once each.
  const top = await ledger.topJobs({ team: 'hist', from, to: today, limit: 1000 });
  expect(new Set(top.map((j) => j.jobId)).size).toBe(top.length);
  expect(top.length).toBe(Math.min(completed.length, 100));
}, 240_000);
