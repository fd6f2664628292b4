// Worker processes as they run in production (`vidgate worker`), against real Redis and the local
// Kling server: a storm of jobs against tight budgets, and a worker killed in the middle of jobs.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobInput } from '../../src/job.js';
import { money, sumMoney } from '../../src/money.js';
import { createClient, type FinalResult } from '../../src/queue/client.js';
import { startFakeKling, type FakeKling } from '../../src/providers/fake-kling/server.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { externalTaskId, internalJobId } from '../../src/queue/names.js';
import type { ModelId } from '../../src/catalog.js';
import { BIN } from '../helpers/cli.js';
import { policyDir } from '../helpers/pipeline.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { connect, redisEnv, redisTarget, uniquePrefix } from '../helpers/redis.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A policy directory for this test, removed after it. */
function policies(files: Record<string, string>): string {
  const dir = policyDir(files);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function worker(prefix: string, dir: string, kling: FakeKling, extra: string[] = []) {
  const args = ['--poll-ms', '20', '--concurrency', '40', '--model-concurrency', '100', ...extra];
  return startWorkerProcess({ bin: BIN, policiesDir: dir, prefix, redis: redisEnv(), kling: { url: kling.url, apiKey: 'storm' }, args, cleanups });
}

const MODELS = [
  { model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 10, prompt: 'storm at sea' },
  { model: 'kling-o3', resolution: '1080p', audio: 'deferrable', durationSeconds: 8, stage: 'draft', prompt: 'a draft pass' },
  { model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a quiet street' },
  { model: 'kling-o1', mode: 'image-to-video', resolution: '1080p', audio: 'none', durationSeconds: 5, prompt: 'the keyframe comes alive', input: { image_url: 'https://example.test/k.png' } },
  { model: 'kling-motion-control', resolution: '1080p', audio: 'none', durationSeconds: 12, reference: { orientation: 'video', videoSeconds: 12 }, input: { image_url: 'https://example.test/a.png', video_url: 'https://example.test/m.mp4?duration=12' } },
] as const;

async function ledgerChecks(prefix: string, team: string, projects: string[], results: FinalResult[]) {
  const redis = connect();
  const ledger = new Ledger({ redis, prefix });
  const hasTeamBudget = (await ledger.getBudget({ team })) !== null;
  const scopes: { team: string; project?: string }[] = [...(hasTeamBudget ? [{ team }] : []), ...projects.map((project) => ({ team, project }))];
  for (const s of scopes) {
    const b = (await ledger.getBudget(s))!;
    expect([s, b.reserved]).toEqual([s, '0.00']); // nothing stays reserved
    expect(money(b.spent).lte(b.limit)).toBe(true);
  }
  // Spend never passed a limit at any moment: every audit entry carries the balances after it.
  const limits = Object.fromEntries(await Promise.all(scopes.map(async (s) => [s.project ?? 'team', money((await ledger.getBudget(s))!.limit)])));
  const audit = await ledger.audit(team, { count: 1_000_000 });
  const withBalances = audit.filter((e) => e.fields.project && 'project.spent' in e.fields);
  // Every reservation and commit carries its balances, so the loop below sees each of them.
  const moves = audit.filter((e) => e.op === 'reserve' || e.op === 'committed');
  expect(moves.length).toBeGreaterThan(0);
  expect(moves.filter((e) => !withBalances.includes(e))).toEqual([]);
  for (const e of withBalances) {
    expect(money(e.fields['project.spent']!).plus(e.fields['project.reserved']!).lte(limits[e.fields.project!]!)).toBe(true);
    if (hasTeamBudget) expect(money(e.fields['team.spent']!).plus(e.fields['team.reserved']!).lte(limits.team!)).toBe(true);
  }
  // Committed spend equals the sum of the jobs' actual costs, and each job was committed once.
  const completed = results.flatMap((r) => (r.state === 'completed' ? [r] : []));
  const spent = sumMoney(await Promise.all(projects.map(async (project) => money((await ledger.getBudget({ team, project }))!.spent))));
  expect(spent.equals(sumMoney(completed.map((r) => money(r.actualCost!))))).toBe(true);
  const commits = audit.filter((e) => e.op === 'committed').map((e) => e.fields.id);
  expect(commits.length).toBe(completed.length);
  expect(new Set(commits).size).toBe(commits.length);
  redis.disconnect();
  return audit;
}

describe('worker processes', () => {
  it('a storm: 3 workers, 2000 jobs, tight budgets; every job ends once, spend never passes a limit', async () => {
    const prefix = uniquePrefix('storm');
    const kling = await startFakeKling({ latencyMs: 15, apiKey: 'storm' });
    cleanups.push(() => kling.close());
    const dir = policies({
      'storm.yaml': `team: storm
budgets:
  team: { limit: "700.00", period: monthly }
  projects:
    p1: { limit: "300.00", period: monthly }
    p2: { limit: "300.00", period: monthly }
    p3: { limit: "250.00", period: monthly }
rules:
  staging: { draft: 720p }
  audioDeferral: { when: always }
  fallback: { direction: cheaper }
  fullQualityCeiling: 0.8
  ladder: [drop-deferrable-audio, downscale-720p, cheaper-model]
`,
    });
    const workers = [0, 1, 2].map(() => worker(prefix, dir, kling));
    await Promise.all(workers.map((w) => w.firstLine));
    const client = createClient({ redis: redisTarget(), prefix });
    cleanups.push(() => client.close());
    const jobs: JobInput[] = Array.from({ length: 2000 }, (_, i) => ({ id: `s${i}`, team: 'storm', project: `p${(i % 3) + 1}`, ...MODELS[i % MODELS.length]! }));
    const handles = await client.enqueueMany(jobs);
    const results = await Promise.all(handles.map((h) => h.result()));

    expect(results).toHaveLength(2000);
    const states = results.map((r) => r.state);
    expect(results.filter((r) => !['completed', 'failed', 'rejected'].includes(r.state))).toEqual([]);
    const byState = (s: string) => states.filter((x) => x === s).length;
    expect(byState('completed')).toBeGreaterThan(300);
    expect(byState('rejected')).toBeGreaterThan(300); // the budgets are tight
    expect(results.filter((r) => r.state === 'failed').map((r) => (r as { reason: string }).reason).slice(0, 3)).toEqual([]);
    expect(results.some((r) => r.decision.outcome === 'downgrade')).toBe(true);
    // One provider task per completed job: nothing generated twice.
    const tasks = kling.tasks();
    expect(tasks).toHaveLength(byState('completed'));
    expect(new Set(tasks.map((t) => t.externalId)).size).toBe(tasks.length);
    await ledgerChecks(prefix, 'storm', ['p1', 'p2', 'p3'], results);
    for (const w of workers) w.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
  }, 240_000);

  it('a worker killed with SIGKILL mid-job: after a restart every job finishes once and nothing is charged twice', async () => {
    const prefix = uniquePrefix('crash');
    const kling = await startFakeKling({ latencyMs: 1500, apiKey: 'storm' });
    cleanups.push(() => kling.close());
    const dir = policies({ 'c.yaml': `team: crash\nbudgets:\n  projects:\n    main: { limit: "100.00", period: monthly }\n` });
    // A short lock, so the dead worker's jobs are free soon after it dies; long enough that a loaded
    // machine renews it in time while the worker lives.
    const first = worker(prefix, dir, kling, ['--lock-ms', '3000']);
    await first.firstLine;
    const client = createClient({ redis: redisTarget(), prefix });
    cleanups.push(() => client.close());
    const handles = await client.enqueueMany(Array.from({ length: 30 }, (_, i) => ({ id: `c${i}`, team: 'crash', project: 'main', ...MODELS[i % 4]! })));
    // Kill it while tasks are running at the provider.
    await expect.poll(() => kling.tasks().length, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(10);
    first.child.kill('SIGKILL');
    await first.exited;
    // It died mid-job: some jobs had their provider task created and were still active, unfinished.
    const created = new Set(kling.tasks().map((t) => t.externalId));
    const atKill = await Promise.all(handles.map((h) => client.show(h.team, h.id)));
    const orphaned = atKill.filter((s) => s?.generate === 'active' && created.has(externalTaskId(s.internalId, s.data!.variant.model)));
    expect(orphaned.length).toBeGreaterThan(0);

    // The restarted worker checks for stalled jobs every 5 s and renews its own locks with room to spare.
    const second = worker(prefix, dir, kling, ['--lock-ms', '10000']);
    await second.firstLine;
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results.map((r) => r.state)).toEqual(Array(30).fill('completed'));
    // The dead worker's tasks were found again by external id, not created twice.
    expect(kling.tasks()).toHaveLength(30);
    for (const r of results) expect([r.id, kling.createsFor(externalTaskId(internalJobId('crash', r.id), (r as { model: ModelId }).model))]).toEqual([r.id, 1]);
    await ledgerChecks(prefix, 'crash', ['main'], results);
  }, 240_000);
});
