// `npm run demo`: the whole middleware on this machine. It finds (or starts) Redis, starts the
// local Kling server and the workers, applies the demo policies with tight budgets, enqueues a
// mixed batch of jobs, shows progress, prints a summary, and leaves nothing running or stored.
import { randomUUID } from 'node:crypto';
import cliProgress from 'cli-progress';
import { pino } from 'pino';
import { table } from '../src/cli/table.js';
import { Job, type JobInput } from '../src/job.js';
import { formatMoney, money, sumMoney, type Money } from '../src/money.js';
import { loadPolicyDir } from '../src/policy/load.js';
import { savingsByStep } from '../src/policy/savings.js';
import { startFakeKling } from '../src/providers/fake-kling/server.js';
import { createClient, type FinalResult } from '../src/queue/client.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { KlingAdapter } from '../src/providers/kling/adapter.js';
import { QUEUE_GENERATE, QUEUE_OPTIONS } from '../src/queue/names.js';
import type { GenerateData } from '../src/queue/records.js';
import { reconcile } from '../src/reconcile/reconciler.js';
import { cliConnection, DEFAULT_REDIS_URL, safeUrl } from '../src/queue/connection.js';
import { startWorkers } from '../src/queue/runtime.js';
import { Ledger } from '../src/ledger/ledger.js';
import { buildService } from '../src/service/app.js';
import { DirPolicies } from '../src/service/dir-policies.js';
import { JobIndex } from '../src/service/job-index.js';
import { KeyStore } from '../src/service/keys.js';
import { deleteKeysWithPrefix } from './delete-keys.js';
import { redisServerInstalled, startRedisServer, type OwnedRedis } from './redis-server.js';

const JOBS = Number(process.env.DEMO_JOBS ?? 300);
const POLICIES = 'examples/demo-policies';
const out = (s = '') => process.stdout.write(`${s}\n`);

/** Whether a Redis answers at `url` (the same fail-fast probe as the CLI's). */
const answers = (url: string) =>
  cliConnection(url).then(
    (r) => (r.disconnect(), true),
    () => false,
  );

/** Redis from REDIS_URL or the default; else a private redis-server; else say how to start one. */
async function findRedis(): Promise<{ url: string; owned?: OwnedRedis }> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  if (await answers(url)) return { url };
  if (!redisServerInstalled()) {
    process.stderr.write(
      `demo: no Redis answers at ${safeUrl(url)} and redis-server is not installed.\n` +
        `Start one with "docker compose up -d redis" (or install redis-server), or set REDIS_URL, then run "npm run demo" again.\n`,
    );
    process.exit(1);
  }
  const owned = await startRedisServer();
  out(`No Redis at ${safeUrl(url)}: started a private redis-server at ${owned.url} for this demo.`);
  return { url: owned.url, owned };
}

/** A mixed, repeatable batch: every model, drafts and production, all three audio kinds. */
function batch(n: number): JobInput[] {
  const shapes: Omit<JobInput, 'team' | 'project' | 'id'>[] = [
    { model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 10, prompt: 'hero shot, rain' },
    { model: 'kling-o3', resolution: '1080p', audio: 'deferrable', durationSeconds: 8, stage: 'draft', prompt: 'storyboard pass' },
    { model: 'kling-3.0', resolution: '1080p', audio: 'deferrable', durationSeconds: 12, prompt: 'city at dusk' },
    { model: 'kling-o1', mode: 'image-to-video', resolution: '1080p', audio: 'none', durationSeconds: 5, prompt: 'the figure in <<<image_1>>> turns to the light', input: { image_url: 'https://example.com/keyframe.png' } },
    { model: 'kling-motion-control', resolution: '1080p', audio: 'none', reference: { orientation: 'video', videoSeconds: 20 }, input: { image_url: 'https://example.com/actor.png', video_url: 'https://example.com/dance.mp4?duration=20' } },
    // Motion Control runs as long as its reference video: no durationSeconds, the reference sets it.
    { model: 'kling-motion-control', resolution: '720p', audio: 'none', reference: { orientation: 'image', videoSeconds: 8.4 }, input: { image_url: 'https://example.com/actor.png', video_url: 'https://example.com/wave.mp4?duration=8.4' } },
    { model: 'kling-o3', resolution: '720p', audio: 'required', durationSeconds: 6, stage: 'draft', prompt: 'dialogue test' },
    // Kling 3.0 under maintenance for this one: it falls back, down or up as the policy allows.
    { model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 5, prompt: 'waves on rocks', input: { x_fake: { unavailable: ['kling-3.0'] } } },
    { model: 'kling-o3', resolution: '1080p', audio: 'required', durationSeconds: 10, prompt: 'a crowd cheering', input: { x_fake: { unavailable: ['kling-o3'] } } },
  ];
  const homes = [
    { team: 'studio-a', project: 'trailer' },
    { team: 'studio-a', project: 'trailer' },
    { team: 'studio-a', project: 'teaser' },
    { team: 'ml-research', project: 'synthetic-data' },
  ];
  return Array.from({ length: n }, (_, i) => {
    const home = homes[i % homes.length]!;
    let shape = shapes[(i * 7 + Math.floor(i / 8)) % shapes.length]!;
    if (home.team === 'ml-research' && (shape.model === 'kling-o1' || shape.model === 'kling-motion-control')) shape = shapes[0]!;
    return { id: `demo-${String(i).padStart(4, '0')}`, ...home, ...shape } as JobInput;
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const { url, owned } = await findRedis();
  const prefix = `vidgate-demo-${randomUUID().slice(0, 8)}`;
  const kling = await startFakeKling({ apiKey: 'demo', latencyMs: 400, failureRate: 0.03, failureClasses: ['content-block', 'task-failure', 'server-error'], seed: 7 });
  const log = pino({ level: process.env.VIDGATE_LOG_LEVEL ?? 'silent' }, pino.destination(2));
  const workers = await startWorkers({
    redisUrl: url,
    prefix,
    policiesDir: POLICIES,
    kling: { baseUrl: kling.url, credentials: { apiKey: 'demo' }, unitPrice: '1' },
    concurrency: { router: 50, generator: 60 },
    modelConcurrency: 20,
    poll: { intervalMs: 150, maxIntervalMs: 400 },
    slotRetryMs: 100,
    watchPolicies: false,
    log,
  });
  const client = createClient({ redis: url, prefix });
  const policies = loadPolicyDir(POLICIES);
  out(`vidgate demo: Redis ${safeUrl(url)}, local Kling server ${kling.url}, policies ${[...policies.keys()].join(', ')} from ${POLICIES}/`);
  const dash = await startDashboard(url, prefix, client);
  out(`dashboard (live while the demo runs): ${dash.url}/dashboard, sign in with ${dash.key} (team studio-a) or the admin key ${dash.adminKey}`);
  out(`HTTP API (vidgate serve) at ${dash.url}/v1: its docs at ${dash.url}/docs, the OpenAPI document at ${dash.url}/openapi.json`);

  let results: FinalResult[] = [];
  try {
    const jobs = batch(JOBS);
    const handles = await client.enqueueMany(jobs);
    // The dashboard lists a team's jobs from the service's index (jobs sent to POST /v1/jobs go there).
    for (const team of new Set(jobs.map((j) => j.team))) await dash.index.add(team, jobs.filter((j) => j.team === team).map((j) => j.id!));
    out(`enqueued ${handles.length} jobs; routing, generating and settling…`);
    const bar = process.stdout.isTTY ? new cliProgress.SingleBar({ format: ' {bar} {value}/{total} jobs finished', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
    bar?.start(handles.length, 0);
    let done = 0;
    results = await Promise.all(
      handles.map(async (h) => {
        const r = await h.result();
        done++;
        if (bar) bar.increment();
        else if (done % Math.ceil(handles.length / 10) === 0 || done === handles.length) out(`  ${done}/${handles.length} jobs finished`);
        return r;
      }),
    );
    bar?.stop();
    await report(results, jobs, policies, workers.ledger);
    await reconcileWithProvider(url, prefix, kling.url, workers);
    out(`\nProvider: ${kling.tasks().length} tasks created at the local Kling server for ${results.filter((r) => r.state !== 'rejected').length} admitted jobs.`);
    out(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Every decision is kept: \`vidgate jobs show --team <team> <id>\` while the data exists (this demo deletes its own).`);
    const count = (o: string) => results.filter((r) => r.decision.outcome === o).length;
    out(`\nDashboard: ${dash.url}/dashboard (key ${dash.key} for studio-a, admin key ${dash.adminKey}); metrics: ${dash.url}/metrics with the admin key`);
    out(`Summary: ${results.length} jobs, ${count('admit')} admitted, ${count('downgrade')} downgraded, ${count('reject')} rejected, ${results.filter((r) => r.state === 'completed').length} completed.`);
    if (process.env.DEMO_HOLD === '1') {
      out('DEMO_HOLD=1: the dashboard stays up until Ctrl-C.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await dash.close();
    await client.close();
    await workers.close(5000);
    await kling.close();
    await deleteKeysWithPrefix(url, `${prefix}:`); // the next run starts from empty budgets
    await owned?.stop();
  }
}

/** `vidgate serve` in this process, on a free port, with a team key and an admin key made for the demo. */
async function startDashboard(url: string, prefix: string, client: ReturnType<typeof createClient>) {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const ledger = new Ledger({ redis, prefix, actor: 'service' });
  const keys = new KeyStore(redis, prefix);
  const adminKey = `demo-admin-${randomUUID()}`;
  const app = await buildService({ redis, prefix, client, ledger, keys, policies: new DirPolicies(POLICIES), adminKey, ready: async () => void (await redis.ping()), log: false });
  const address = await app.listen({ port: Number(process.env.DEMO_PORT ?? 0), host: '127.0.0.1' });
  const { key } = await keys.create({ team: 'studio-a', role: 'submit', name: 'demo' });
  return {
    url: address.replace('localhost', '127.0.0.1'),
    key,
    adminKey,
    index: new JobIndex(redis, prefix),
    async close() {
      await app.close();
      await redis.quit();
    },
  };
}

/** The backstop: the provider's own records of every task, compared with the ledger and settled. */
async function reconcileWithProvider(url: string, prefix: string, klingUrl: string, workers: Awaited<ReturnType<typeof startWorkers>>) {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const generate = new Queue<GenerateData>(QUEUE_GENERATE, { ...QUEUE_OPTIONS, connection: redis, prefix });
  try {
    const provider = new KlingAdapter({ baseUrl: klingUrl, credentials: { apiKey: 'demo' }, unitPrice: '1' });
    const r = await reconcile({ provider, ledger: workers.ledger, unsettled: workers.unsettled, generate, cardFor: (team, ref) => workers.cards.load(team, ref), apply: true, log: pino({ level: 'silent' }) });
    out(`\nReconciliation (\`vidgate reconcile --apply\`): ${r.tasksRead} provider tasks of ${r.jobs} jobs compared with the ledger, ${r.findings.length} differences`);
    for (const f of r.findings) out(`  ${f.jobId}: ${f.kind}`);
    for (const x of r.settled) if (x.action !== 'none') out(`  ${x.jobId}: ${x.action} ${x.amount}`);
  } finally {
    await generate.close();
    await redis.quit();
  }
}

async function report(results: FinalResult[], jobs: JobInput[], policies: ReturnType<typeof loadPolicyDir>, ledger: Awaited<ReturnType<typeof startWorkers>>['ledger']) {
  const count = (f: (r: FinalResult) => boolean) => String(results.filter(f).length);
  out('\nDecisions');
  out(
    table(
      ['outcome', 'jobs'],
      [
        ['admitted', count((r) => r.decision.outcome === 'admit')],
        ['downgraded', count((r) => r.decision.outcome === 'downgrade')],
        ['rejected', count((r) => r.decision.outcome === 'reject')],
        ['  completed', count((r) => r.state === 'completed')],
        ['  failed at the provider (released)', count((r) => r.state === 'failed' && r.settlement === 'released')],
        ['  failed, held for reconciliation', count((r) => r.state === 'failed' && r.settlement === 'held-for-reconciliation')],
      ],
      new Set([1]),
    ),
  );

  const failures = new Map<string, number>();
  for (const r of results) {
    if (r.state !== 'failed') continue;
    const why = (r.reason ?? 'unknown').replace(/\b\d+\.\d+\b/g, '…');
    failures.set(why, (failures.get(why) ?? 0) + 1);
  }
  if (failures.size) {
    out('\nWhy the failed ones failed (their reservations were released)');
    out(table(['reason', 'jobs'], [...failures].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)]), new Set([1])));
  }

  out('\nSpend by project against budget');
  const rows: string[][] = [];
  for (const { policy } of policies.values()) {
    const scopes: { team: string; project?: string }[] = [...(policy.budgets.team ? [{ team: policy.team }] : []), ...Object.keys(policy.budgets.projects).map((project) => ({ team: policy.team, project }))];
    for (const s of scopes) {
      const b = (await ledger.getBudget(s))!;
      const used = money(b.spent).plus(b.reserved);
      rows.push([s.project ? `${s.team}/${s.project}` : `${s.team} (team)`, `${b.period} ${b.window}`, b.limit, b.spent, b.reserved, `${used.dividedBy(b.limit).times(100).toFixed(1)}%`]);
    }
  }
  out(table(['scope', 'window', 'limit', 'spent', 'reserved', 'used'], rows, new Set([2, 3, 4, 5])));

  out('\nSavings by rule (completed jobs, against what was requested)');
  const byRule = new Map<string, Money>();
  const byId = new Map(jobs.map((j) => [j.id!, j]));
  for (const r of results) {
    if (r.state !== 'completed' || !r.decision.chosen) continue;
    const loaded = policies.get(r.decision.team!)!;
    const request = Job.parse(byId.get(r.id)); // the job as the router saw it, defaults applied
    const c = r.decision.chosen;
    const chosen: Job = { ...request, model: c.model, mode: c.mode, resolution: c.resolution, audio: c.audio };
    for (const [step, saving] of savingsByStep(request, chosen, c.steps, loaded.card)) byRule.set(step, (byRule.get(step) ?? money('0')).plus(saving));
  }
  const total = sumMoney(byRule.values());
  out(table(['rule', 'saved'], [...[...byRule].sort((a, b) => b[1].comparedTo(a[1])).map(([k, v]) => [k, formatMoney(v)]), ['total', formatMoney(total)]], new Set([1])));

  out('\nEstimate vs actual (what the provider billed)');
  const completed = results.flatMap((r) => (r.state === 'completed' ? [r] : []));
  const estimated = sumMoney(completed.map((r) => money(r.estimatedCost)));
  const actual = sumMoney(completed.map((r) => money(r.actualCost!)));
  const fellBack = completed.filter((r) => r.fellBackFrom.length > 0);
  out(
    table(
      ['', 'amount'],
      [
        ['estimated at decision', formatMoney(estimated)],
        ['actually billed', formatMoney(actual)],
        ['variance', formatMoney(actual.minus(estimated))],
        [`  of which ${fellBack.length} fallbacks`, formatMoney(sumMoney(fellBack.map((r) => money(r.variance!))))],
      ],
      new Set([1]),
    ),
  );
}

await main();
