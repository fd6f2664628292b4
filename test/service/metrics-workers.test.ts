// GET /metrics carries what the workers observe in their own processes: after a storm through
// real workers and the local Kling server, with provider failures injected per job, the decision
// histogram counts every decided job, the provider-time histogram every task that ended, and the
// provider errors equal the failures injected, by code. Buckets are cumulative, `_count` is the
// +Inf bucket, and no label value is a job id.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startService, type TestService } from '../helpers/service.js';
import { job, SERVICE_POLICIES, until } from './policies.js';

let s: TestService;
beforeAll(async () => {
  s = await startService({ policies: SERVICE_POLICIES, kling: { latencyMs: 20 } });
});
afterAll(async () => s?.close());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: string;
}
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const l of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(l);
    if (t) types.set(t[1]!, t[2]!);
    if (l === '' || l.startsWith('#')) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(l);
    if (!m) throw new Error(`not an exposition line: ${l}`);
    const labels: Record<string, string> = {};
    for (const p of (m[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[p[1]!] = p[2]!;
    samples.push({ name: m[1]!, labels, value: m[3]! });
  }
  return { samples, types };
}
const scrape = async () => {
  const r = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(r.status).toBe(200);
  return parse(await r.text());
};
const total = (samples: Sample[], name: string, where: Record<string, string> = {}) =>
  samples.filter((x) => x.name === name && Object.entries(where).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + Number(x.value), 0);

/** Each histogram's label sets: buckets ascending and cumulative, the last +Inf and equal to `_count`. */
function checkHistogram(samples: Sample[], name: string): void {
  const sets = new Map<string, Sample[]>();
  for (const x of samples.filter((x) => x.name === `${name}_bucket`)) {
    const { le: _le, ...rest } = x.labels;
    const key = JSON.stringify(rest);
    sets.set(key, [...(sets.get(key) ?? []), x]);
  }
  expect(sets.size).toBeGreaterThan(0);
  for (const [key, buckets] of sets) {
    const bounds = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
    expect(bounds).toEqual([...bounds].sort((a, b) => a - b));
    expect(bounds.at(-1)).toBe(Infinity);
    const counts = buckets.map((b) => Number(b.value));
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]!);
    const labels = JSON.parse(key) as Record<string, string>;
    const count = samples.find((x) => x.name === `${name}_count` && JSON.stringify(x.labels) === key);
    expect(count?.value, `${name}_count${key}`).toBe(String(counts.at(-1)));
    const sum = samples.find((x) => x.name === `${name}_sum` && JSON.stringify(x.labels) === JSON.stringify(labels));
    expect(Number(sum?.value)).toBeGreaterThanOrEqual(0);
  }
}

describe('the workers’ metrics in GET /metrics', () => {
  it('after a storm with injected provider failures: decisions, provider time and errors by code', async () => {
    // Failures injected per job through the local server's hook; the rest go through.
    const inject: [string, Record<string, unknown>, number][] = [
      ['content-block', { failure: 'content-block' }, 3], // 1301, the job fails
      ['balance', { failure: 'balance' }, 2], // 1102, the account's problem
      ['rate-limit', { failure: 'rate-limit', times: 1 }, 2], // 1302 once, then the retry goes through
      ['server-error', { failure: 'server-error', times: 1 }, 2], // 5000, though the task was made: found by its id
      ['task-failure', { failure: 'task-failure' }, 2], // no error answer: the task ends failed
    ];
    const jobs = [
      ...inject.flatMap(([name, hook, n]) => Array.from({ length: n }, (_, i) => job(`w-${name}-${i}`, { project: 'listing', input: { x_fake: hook } }))),
      ...Array.from({ length: 12 }, (_, i) => job(`w-ok-${i}`, { project: i % 2 ? 'trailer' : 'listing', resolution: i % 3 ? '720p' : '1080p' })),
      ...Array.from({ length: 3 }, (_, i) => job(`w-tight-${i}`, { project: 'tight' })), // rejected: over the project's budget
    ];
    const r = await s.call('/v1/jobs', { body: { jobs } });
    expect(r.status).toBe(202);
    const results = await Promise.all(jobs.map((j) => s.pipeline.client.handle('studio-a', j.id).result()));
    const rejected = results.filter((x) => x.state === 'rejected').length;
    expect(rejected).toBeGreaterThanOrEqual(3);
    // A job's result may be known a moment before its intake worker reports the completion, so the
    // count is awaited: each look flushes the workers' observations and scrapes.
    const decided = await until(async () => {
      await s.pipeline.workers.flushMetrics();
      const { samples } = await scrape();
      return total(samples, 'vidgate_decision_latency_seconds_count') >= jobs.length && samples;
    }, 'every decision in /metrics');
    const { samples, types } = await scrape();
    expect(types.get('vidgate_decision_latency_seconds')).toBe('histogram');
    expect(types.get('vidgate_provider_task_seconds')).toBe('histogram');
    expect(types.get('vidgate_provider_errors_total')).toBe('counter');
    // Every job decided once: the count is the number of jobs, by outcome as decided.
    expect(total(decided, 'vidgate_decision_latency_seconds_count')).toBe(jobs.length);
    expect(total(samples, 'vidgate_decision_latency_seconds_count')).toBe(jobs.length);
    expect(total(samples, 'vidgate_decision_latency_seconds_count', { outcome: 'reject' })).toBe(rejected);
    checkHistogram(samples, 'vidgate_decision_latency_seconds');

    // Every task that ended at the provider, succeeded or failed: every admitted job but the three
    // content blocks and the two balance refusals, which made no task.
    const admitted = results.filter((x) => x.state !== 'rejected').length;
    expect(total(samples, 'vidgate_provider_task_seconds_count')).toBe(admitted - 5);
    expect(total(samples, 'vidgate_provider_task_seconds_count', { status: 'failed' })).toBe(2);
    expect(total(samples, 'vidgate_provider_task_seconds_count', { model: 'kling-3.0', status: 'succeeded' })).toBe(admitted - 7);
    checkHistogram(samples, 'vidgate_provider_task_seconds');

    // The provider's error answers equal the failures injected, by code; no read failed.
    const errors = samples.filter((x) => x.name === 'vidgate_provider_errors_total');
    expect(Object.fromEntries(errors.map((x) => [`${x.labels.op} ${x.labels.code}`, Number(x.value)]))).toEqual({
      'create 1301': 3,
      'create 1102': 2,
      'create 1302': 2,
      'create 5000': 2,
    });

    // No label of these families is a job id (nor any other value outside their closed sets).
    const ids = new Set(jobs.map((j) => j.id));
    for (const x of samples.filter((x) => /^vidgate_(decision|provider)_/.test(x.name))) {
      for (const v of Object.values(x.labels)) expect(ids.has(v)).toBe(false);
      if (x.labels.outcome !== undefined) expect(['admit', 'downgrade', 'reject']).toContain(x.labels.outcome);
    }
  });

  it('a second storm adds to the same series: their number does not grow with the jobs', async () => {
    const series = (xs: Sample[]) => new Set(xs.filter((x) => /^vidgate_(decision|provider)_/.test(x.name)).map((x) => `${x.name}${JSON.stringify(x.labels)}`));
    await s.pipeline.workers.flushMetrics();
    const before = await scrape();
    const count = total(before.samples, 'vidgate_decision_latency_seconds_count');
    const jobs = Array.from({ length: 10 }, (_, i) => job(`w2-ok-${i}`, { project: 'trailer' }));
    expect((await s.call('/v1/jobs', { body: { jobs } })).status).toBe(202);
    await Promise.all(jobs.map((j) => s.pipeline.client.handle('studio-a', j.id).result()));
    const after = await until(async () => {
      await s.pipeline.workers.flushMetrics();
      const got = await scrape();
      return total(got.samples, 'vidgate_decision_latency_seconds_count') >= count + jobs.length && got;
    }, 'the second storm in /metrics');
    expect(total(after.samples, 'vidgate_decision_latency_seconds_count')).toBe(count + jobs.length);
    expect(series(after.samples)).toEqual(series(before.samples));
  });
});

it("the example Grafana dashboard's queries name only metrics GET /metrics exposes", async () => {
  const dashboard = readFileSync(new URL('../../examples/grafana-dashboard.json', import.meta.url), 'utf8');
  const named = new Set([...dashboard.matchAll(/vidgate_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')));
  const { types } = await scrape();
  expect(named.size).toBeGreaterThan(10);
  for (const name of named) expect(types.has(name), name).toBe(true);
});
