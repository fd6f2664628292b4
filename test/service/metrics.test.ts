// GET /metrics after a storm of jobs through the service (real Redis, workers and the local Kling
// server): the budget gauges equal the ledger's balances, the job counters equal the spend
// history, labels never carry a job id and their number does not grow with the jobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { money } from '../../src/money.js';
import { ADMIN_KEY, startService, type TestService } from '../helpers/service.js';
import { job, SERVICE_POLICIES } from './policies.js';

let s: TestService;
const TOKEN = 'metrics-token-0123456789';
beforeAll(async () => {
  s = await startService({ policies: SERVICE_POLICIES, kling: { latencyMs: 20 }, metricsToken: TOKEN });
});
afterAll(async () => s?.close());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: string;
}
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not an exposition line: ${l}`);
      const labels: Record<string, string> = {};
      for (const p of (m[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[p[1]!] = p[2]!;
      return { name: m[1]!, labels, value: m[3]! };
    });
}
const scrape = async (key = ADMIN_KEY) => {
  const r = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  expect(r.status).toBe(200);
  return parse(await r.text());
};

/** A storm: `n` jobs over the team's projects, one submit each, awaited to their end. */
async function storm(prefix: string, n: number): Promise<void> {
  const projects = ['trailer', 'listing', 'tight'];
  const jobs = Array.from({ length: n }, (_, i) => job(`${prefix}-${i}`, { project: projects[i % projects.length], resolution: i % 2 ? '1080p' : '720p', audio: i % 4 === 0 ? 'deferrable' : 'none' }));
  const r = await s.call('/v1/jobs', { body: { jobs } });
  expect(r.status).toBe(202);
  await Promise.all(jobs.map((j) => s.pipeline.client.handle('studio-a', j.id).result().catch(() => undefined)));
}

describe('GET /metrics', () => {
  it('needs the metrics token or an admin key', async () => {
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${s.key.manageA}` } })).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('after a storm the budget gauges equal the ledger and the counters equal the history', async () => {
    await storm('m1', 30);
    const samples = await scrape(TOKEN);
    const views = await s.ledger.getBudgets('studio-a', ['trailer', 'listing', 'tight', 'cancel']);
    for (const v of views) {
      if (!v) continue;
      const want = { team: 'studio-a', scope: v.project === undefined ? 'team' : 'project', project: v.project ?? '' };
      const find = (name: string) => samples.find((x) => x.name === name && x.labels.team === want.team && x.labels.scope === want.scope && x.labels.project === want.project && x.labels.window === v.window);
      expect(find('vidgate_budget_limit')?.value).toBe(v.limit);
      expect(find('vidgate_budget_spent')?.value).toBe(v.spent);
      expect(find('vidgate_budget_held')?.value).toBe(v.reserved);
      expect(find('vidgate_budget_remaining')?.value).toBe(v.available);
    }
    const today = new Date().toISOString().slice(0, 10);
    const rows = await s.ledger.history({ team: 'studio-a', from: `${today.slice(0, 8)}01`, to: today });
    const admitted = rows.reduce((n, r) => n + r.jobs.admitted + r.jobs.downgraded, 0);
    const completed = rows.reduce((n, r) => n + r.jobs.completed, 0);
    const sum = (name: string, outcome?: string) => samples.filter((x) => x.name === name && x.labels.team === 'studio-a' && (outcome === undefined || x.labels.outcome === outcome)).reduce((n, x) => n + Number(x.value), 0);
    expect(admitted).toBeGreaterThan(0);
    expect(sum('vidgate_jobs_total', 'admitted') + sum('vidgate_jobs_total', 'downgraded')).toBe(admitted);
    expect(sum('vidgate_jobs_total', 'completed')).toBe(completed);
    expect(sum('vidgate_jobs_rejected_total')).toBe(rows.reduce((n, r) => n + [...r.rejected.values()].reduce((a, b) => a + b, 0), 0));
    // Money summed as decimals: billed equals the history's actual.
    const billed = samples.filter((x) => x.name === 'vidgate_billed_total' && x.labels.team === 'studio-a').reduce((a, x) => a.plus(x.value), money('0'));
    expect(billed.toFixed(6)).toBe(rows.reduce((a, r) => a.plus(r.actual), money('0')).toFixed(6));
    // Queue depths are there, by queue and state.
    expect(samples.some((x) => x.name === 'vidgate_queue_jobs' && x.labels.queue === 'intake' && x.labels.state === 'completed' && Number(x.value) >= 30)).toBe(true);
  });

  it('labels carry no job id and their number does not grow with the jobs', async () => {
    await s.pipeline.workers.flushMetrics(); // the workers' families of the first storm are there before counting
    const before = await scrape();
    await storm('m2', 30);
    const after = await scrape();
    const series = (xs: Sample[]) => new Set(xs.filter((x) => x.name !== 'vidgate_queue_jobs').map((x) => `${x.name}${JSON.stringify(x.labels)}`));
    expect(series(after).size).toBeLessThanOrEqual(series(before).size + 10); // at most new (project, model, outcome) sets, not one per job
    for (const x of after) for (const v of Object.values(x.labels)) expect(v).not.toMatch(/^m[12]-\d+$|^j[a-z2-7]{25}$/);
  });
});
