// bench/memory: the Redis bytes one finished job leaves behind. Runs BENCH_MEMORY_JOBS (10,000)
// jobs through the whole flow (client, router, generator, the local Kling server with short
// tasks) on a redis-server of its own (nothing else writes there), then measures INFO memory's
// used_memory before and after, and MEMORY USAGE of every key by kind, so each kind of record's
// share per job is shown beside the target (1024 bytes per finished job).
// Run: npm run bench -- memory   (BENCH_MEMORY_JOBS, BENCH_MEMORY_REDIS_ARGS; needs redis-server on the PATH)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { JobInput } from '../src/job.js';
import { startFakeKling } from '../src/providers/fake-kling/server.js';
import { createClient } from '../src/queue/client.js';
import { startWorkers } from '../src/queue/runtime.js';
import { JobIndex } from '../src/service/job-index.js';
import { DEFAULTS } from '../src/defaults.js';
import { startRedisServer } from '../scripts/redis-server.js';

const TARGET_BYTES = 1024;
const PREFIX = 'vgmem';

/** A team with two budgeted projects; `nobudget` is not in its policy (a rejection before the ledger). */
const POLICY = `team: studio
budgets:
  team: { limit: "100000000", period: monthly }
  projects:
    trailer: { limit: "100000000", period: monthly }
    teaser: { limit: "100000000", period: daily }
rules:
  staging: { draft: 720p }
  audioDeferral: { when: always }
  fallback: { direction: cheaper }
  fullQualityCeiling: 0.9
  ladder: [drop-deferrable-audio, downscale-720p, cheaper-model]
`;

/** A mixed, repeatable batch: most admitted (some downgraded by staging and deferral), one in twenty rejected. */
function batch(n: number): JobInput[] {
  const shapes: Omit<JobInput, 'team' | 'project' | 'id'>[] = [
    { model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 10, prompt: 'hero shot, rain' },
    { model: 'kling-o3', resolution: '1080p', audio: 'deferrable', durationSeconds: 8, stage: 'draft', prompt: 'storyboard pass' },
    { model: 'kling-3.0', resolution: '1080p', audio: 'deferrable', durationSeconds: 12, prompt: 'city at dusk' },
    { model: 'kling-o3', resolution: '720p', audio: 'required', durationSeconds: 6, stage: 'draft', prompt: 'dialogue test' },
  ];
  return Array.from({ length: n }, (_, i) => ({
    id: `shot-${String(i).padStart(5, '0')}`,
    team: 'studio',
    project: i % 20 === 19 ? 'nobudget' : i % 2 ? 'teaser' : 'trailer',
    ...shapes[i % shapes.length]!,
  })) as JobInput[];
}

/** The kind of record a key holds, from its name (the bench's own prefix, one team, one account). */
export function kindOf(key: string): string {
  const q = /^vgmem:(intake|generate|webhooks):(.*)$/.exec(key);
  if (q) {
    const [, queue, rest] = q as unknown as [string, string, string];
    if (/^j[a-z2-7]{25}$/.test(rest)) return `${queue} job hashes`;
    if (/^j[a-z2-7]{25}:/.test(rest)) return `${queue} job side keys (${rest.slice(27)})`;
    if (rest === 'completed' || rest === 'failed') return `${queue} completed/failed zsets`;
    if (rest === 'events') return `${queue} events stream`;
    return `${queue} queue bookkeeping`;
  }
  if (/^vgmem:\{studio\}:res:/.test(key)) return 'reservation records';
  if (key === 'vgmem:{studio}:audit') return 'audit stream';
  if (key.startsWith('vgmem:{studio}:hist:')) return 'spend history';
  if (key === 'vgmem:{studio}:jobs' || key === 'vgmem:{studio}:jobs-seq') return 'job index';
  if (key.startsWith('vgmem:{studio}:gate:')) return 'cancel gates';
  if (key.startsWith('vgmem:locator:')) return 'reservation locators';
  if (key.startsWith('vgmem:sched:')) return 'scheduler';
  if (key.startsWith('vgmem:{studio}:')) return 'team: other';
  return 'other';
}

/** How long a kind of record stays (ms; null: bounded by a count, not an age), and the setting. */
function keptFor(kind: string): { ms: number | null; label: string } {
  const d = (ms: number, setting: string) => ({ ms, label: `${ms / 86_400_000} d (${setting})` });
  if (/^(intake|generate) (job|completed)/.test(kind)) return d(DEFAULTS.completedJobRetentionMs, 'completedJobRetentionMs; failed: failedJobRetentionMs');
  if (/events stream$/.test(kind)) return { ms: null, label: `last ${DEFAULTS.queueEventsMaxLen} entries (queueEventsMaxLen)` };
  if (kind === 'reservation records' || kind === 'reservation locators') return d(DEFAULTS.reservationRetentionMs, 'reservationRetentionMs');
  if (kind === 'cancel gates') return d(DEFAULTS.cancelGateRetentionMs, 'cancelGateRetentionMs');
  if (kind === 'audit stream') return { ms: null, label: `last ~${DEFAULTS.auditMaxLen} entries per team (auditMaxLen)` };
  if (kind === 'spend history') return d(DEFAULTS.historyRetentionMs, 'historyRetentionMs; per day, not per job');
  if (kind === 'job index') return { ms: null, label: `last ${DEFAULTS.serviceJobIndexMax} ids per team (serviceJobIndexMax)` };
  if (kind === 'scheduler') return { ms: null, label: `events: last ${DEFAULTS.schedulerEventsMaxLen} (schedulerEventsMaxLen)` };
  return { ms: null, label: '' };
}

interface Census {
  used: number;
  byKind: Map<string, { keys: number; bytes: number }>;
}

/** used_memory and every key's MEMORY USAGE (all samples: exact for streams and big hashes), by kind. */
async function census(redis: Redis): Promise<Census> {
  const byKind: Census['byKind'] = new Map();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const p = redis.pipeline();
    for (const k of batch) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    const answers = (await p.exec()) ?? [];
    batch.forEach((k, i) => {
      const kind = kindOf(k);
      const row = byKind.get(kind) ?? { keys: 0, bytes: 0 };
      row.keys++;
      row.bytes += Number(answers[i]?.[1] ?? 0);
      byKind.set(kind, row);
    });
  } while (cursor !== '0');
  const used = Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
  return { used, byKind };
}

/** One record of each per-job kind, as stored: what its bytes are made of. */
async function samples(redis: Redis): Promise<void> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const k of batch) {
      const kind = kindOf(k);
      if (seen.has(kind)) continue;
      seen.add(kind);
      const type = await redis.type(k);
      const body = type === 'hash' ? await redis.hgetall(k) : type === 'string' ? await redis.get(k) : type === 'stream' ? await redis.xrevrange(k, '+', '-', 'COUNT', 12) : type;
      process.stdout.write(`-- ${kind}: ${k} (${type}, ${String(await redis.object('ENCODING', k))})\n${JSON.stringify(body, null, 1)}\n`);
    }
  } while (cursor !== '0');
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

export async function benchMemory(n = Number(process.env.BENCH_MEMORY_JOBS ?? 10_000)): Promise<void> {
  // BENCH_MEMORY_REDIS_ARGS: redis-server settings to measure with, e.g. "--hash-max-listpack-value 1024".
  const extraArgs = (process.env.BENCH_MEMORY_REDIS_ARGS ?? '').split(/\s+/).filter(Boolean);
  const server = await startRedisServer({ extraArgs });
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-bench-memory-'));
  writeFileSync(join(dir, 'studio.yaml'), POLICY);
  const kling = await startFakeKling({ apiKey: 'bench', latencyMs: 20 });
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  const log = pino({ level: 'silent' });
  const workers = await startWorkers({
    redisUrl: server.url,
    prefix: PREFIX,
    policiesDir: dir,
    kling: { baseUrl: kling.url, credentials: { apiKey: 'bench' }, unitPrice: '1', retry: { attempts: 3, baseMs: 5 } },
    concurrency: { router: 50, generator: 100 },
    accountConcurrency: 100,
    modelConcurrency: 100,
    poll: { intervalMs: 10, maxIntervalMs: 30 },
    slotRetryMs: 20,
    watchPolicies: false,
    log,
  });
  const client = createClient({ redis: server.url, prefix: PREFIX });
  const index = new JobIndex(redis, PREFIX);
  let running = true;
  try {
    const before = await census(redis);
    const started = performance.now();
    const jobs = batch(n);
    const finished: Record<string, number> = {};
    for (let i = 0; i < jobs.length; i += 1000) {
      const part = jobs.slice(i, i + 1000);
      const handles = await client.enqueueMany(part);
      // Jobs sent through POST /v1/jobs are indexed for GET /v1/jobs and the dashboard: these too.
      await index.add('studio', part.map((j) => j.id!));
      for (const r of await Promise.all(handles.map((h) => h.result()))) finished[r.state] = (finished[r.state] ?? 0) + 1;
    }
    const seconds = (performance.now() - started) / 1000;
    // Stopped before the census: nothing writes while it reads.
    running = false;
    await workers.close(5000);
    await client.close();
    const after = await census(redis);

    const out: string[] = [];
    out.push(`bench/memory: ${n} jobs through router and generator on a private redis-server${extraArgs.length ? ` (${extraArgs.join(' ')})` : ''} (${seconds.toFixed(0)} s under load): ${Object.entries(finished).map(([s, c]) => `${c} ${s}`).join(', ')}`);
    out.push(`${'kind'.padEnd(40)}${pad('keys', 7)}${pad('bytes', 11)}${pad('per job', 9)}  kept`);
    let sum = 0;
    const perJob = new Map<string, number>();
    const kinds = [...new Set([...before.byKind.keys(), ...after.byKind.keys()])].sort();
    for (const kind of kinds) {
      const a = after.byKind.get(kind);
      const b = before.byKind.get(kind);
      const bytes = (a?.bytes ?? 0) - (b?.bytes ?? 0);
      if (bytes === 0 && (a?.keys ?? 0) === (b?.keys ?? 0)) continue;
      sum += bytes;
      perJob.set(kind, bytes / n);
      out.push(`${kind.padEnd(40)}${pad((a?.keys ?? 0) - (b?.keys ?? 0), 7)}${pad(bytes, 11)}${pad((bytes / n).toFixed(0), 9)}  ${keptFor(kind).label}`);
    }
    const used = after.used - before.used;
    out.push(`keys' MEMORY USAGE: ${sum} bytes, ${(sum / n).toFixed(0)} per finished job; INFO used_memory ${before.used} -> ${after.used}: ${(used / n).toFixed(0)} per finished job`);
    // A job's own records go by age; the count-bounded kinds (streams, the index) stop growing at
    // their caps, so their share of a job falls as jobs go past them: shown apart, with the caps.
    const DAY = 86_400_000;
    for (const [label, age] of [['at finish', 0], ['after 1 day', DAY], ['after 8 days', 8 * DAY], ['after 9 days', 9 * DAY]] as const) {
      const held = [...perJob].filter(([kind]) => keptFor(kind).ms !== null && keptFor(kind).ms! > age).reduce((t, [, b]) => t + b, 0);
      out.push(`a finished job's own records ${label.padEnd(13)}: ${held.toFixed(0).padStart(6)} bytes (target at most ${TARGET_BYTES}: ${held <= TARGET_BYTES ? 'met' : 'NOT met'})`);
    }
    const bounded = [...perJob].filter(([kind]) => keptFor(kind).ms === null).reduce((t, [, b]) => t + b, 0);
    out.push(`count-bounded kinds: ${bounded.toFixed(0)} bytes per job over these ${n} jobs, up to their caps:`);
    // The count-bounded kinds stop growing at their caps: what each holds then, in all.
    const capped: [string, string, number, 'xlen' | 'zcard'][] = [
      ['intake events stream', `${PREFIX}:intake:events`, DEFAULTS.queueEventsMaxLen, 'xlen'],
      ['generate events stream', `${PREFIX}:generate:events`, DEFAULTS.queueEventsMaxLen, 'xlen'],
      ['audit stream', `${PREFIX}:{studio}:audit`, DEFAULTS.auditMaxLen, 'xlen'],
      ['job index', `${PREFIX}:{studio}:jobs`, DEFAULTS.serviceJobIndexMax, 'zcard'],
    ];
    for (const [kind, key, cap, len] of capped) {
      const entries = len === 'xlen' ? await redis.xlen(key) : await redis.zcard(key);
      const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      if (entries === 0) continue;
      out.push(`  ${kind}: ${entries} entries now (${(entries / n).toFixed(1)} per job, ${(bytes / entries).toFixed(0)} bytes each); at its cap of ${cap}: ${((bytes / entries) * cap / 1e6).toFixed(1)} MB, whatever the number of jobs`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
    if (process.env.BENCH_MEMORY_SAMPLES === '1') await samples(redis);
  } finally {
    if (running) await Promise.allSettled([workers.close(5000), client.close()]);
    await redis.quit();
    await kling.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
