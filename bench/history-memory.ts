// bench/history-memory: bytes of spend history per team-project-day, measured with MEMORY USAGE
// over a realistic day (several models per project, every measure, savings by several rules,
// rejections), written by the ledger's own operations.
// Run: npm run bench -- history-memory   (REDIS_URL, default redis://127.0.0.1:6379)
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLedger, type Ledger } from '../src/ledger/index.js';
import { DEFAULT_REDIS_URL } from '../src/queue/connection.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';

// Every model of the catalog: a fifth would need one; the bench extrapolates it from the fourth.
const MODELS = ['kling-3.0', 'kling-o3', 'kling-o1', 'kling-motion-control'] as const;
const RULES = ['staging', 'audio-deferral', 'downscale-720p', 'cheaper-model'];

/** One project's day: for each model, jobs admitted and downgraded, committed, released, expired, reconciled, rejected. */
async function projectDay(ledger: Ledger, clock: { now: number }, project: string, tag: string, models: readonly string[]): Promise<void> {
  let n = 0;
  for (const model of models as typeof MODELS) {
    const ids: string[] = [];
    for (let j = 0; j < 8; j++) {
      const id = `${tag}-${project}-${n++}`;
      const savings = RULES.slice(0, 1 + (j % RULES.length)).map((rule, k) => ({ rule, amount: `0.${k + 1}5` }));
      await ledger.reserve({ reservationId: id, jobId: `shot-${project}-${n}`, team: 'studio', project, leaseMs: 60_000, candidates: [{ cost: `${3 + j}.40`, history: { model, estimate: `${3 + j}.20`, downgraded: j % 3 === 0, savings } }] });
      ids.push(id);
    }
    await ledger.reserve({ reservationId: `${tag}-${project}-${n++}`, team: 'studio', project, candidates: [{ cost: '999999', history: { model, estimate: '999999' } }] });
    for (const id of ids.slice(0, 6)) await ledger.commit({ reservationId: id, actual: '3.90' });
    await ledger.reconcile({ reservationId: ids[0]!, billed: '4.10' });
    await ledger.release({ reservationId: ids[6]!, reason: 'failed' });
    await ledger.reject({ reservationId: `${tag}-${project}-${n++}`, team: 'studio', project, model, code: 'unpriceable' });
  }
  clock.now += 120_000;
  await ledger.expireDue(); // the eighth job of each model
}

export async function benchHistoryMemory(): Promise<void> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const prefix = `vgbench-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const clock = { now: Date.UTC(2026, 10, 15, 9, 0, 0) };
  const ledger = createLedger({ redis, prefix, actor: 'bench', clock: () => clock.now });
  try {
    const projects = ['trailer', 'teaser', 'feature-film', 'social-cutdowns'];
    await ledger.setBudget({ team: 'studio', limit: '1000000', period: 'monthly' });
    for (const p of projects) await ledger.setBudget({ team: 'studio', project: p, limit: '100000', period: 'daily' });
    const lines: string[] = [`bench/history-memory on ${url.replace(/\/\/[^@]*@/, '//***@')}: one team, every measure, ${RULES.length} rules, 10 jobs per project and model`];
    const perProject = new Map<number, number>();
    for (const [day, models] of [[15, MODELS.slice(0, 1)], [16, MODELS.slice(0, 3)], [17, MODELS]] as const) {
      clock.now = Date.UTC(2026, 10, day, 9, 0, 0);
      lines.push(`${models.length} model(s) per project:`);
      for (let count = 1; count <= projects.length; count++) {
        await projectDay(ledger, clock, projects[count - 1]!, `d${day}`, models);
        const key = ledger.keys.history('studio', `2026-11-${day}`);
        const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
        const fields = await redis.hlen(key);
        const encoding = await redis.object('ENCODING', key);
        lines.push(`  ${count} project(s): day hash ${bytes} bytes, ${fields} fields (${encoding}): ${Math.round(bytes / count)} bytes per team-project-day`);
        if (count === projects.length) perProject.set(models.length, bytes / count);
      }
    }
    const perModel = (perProject.get(4)! - perProject.get(1)!) / 3;
    lines.push(`each model more: about ${Math.round(perModel)} bytes per team-project-day; 5 models (extrapolated): about ${Math.round(perProject.get(4)! + perModel)}`);
    const top = ledger.keys.historyTop('studio', '2026-11');
    lines.push(`the month's dearest jobs (at most 100, per team-month): ${Number(await redis.call('MEMORY', 'USAGE', top, 'SAMPLES', '0'))} bytes for ${await redis.zcard(top)} jobs`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await deleteKeysWithPrefix(url, prefix);
    await ledger.close();
    await redis.quit();
  }
}
