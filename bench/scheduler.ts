// bench/scheduler: the fair scheduler's cost per dispatch against today's per-model slot acquisition,
// in the same run on the same Redis, and a late team's start latency under a flood, in slot
// turnovers. Run: npm run bench -- scheduler   (REDIS_URL, default redis://127.0.0.1:6379)
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../src/queue/connection.js';
import { AccountScheduler } from '../src/queue/scheduler/account.js';
import { ModelSlots } from '../src/queue/slots.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';
import { median, percentile, report, sequential, type Run } from './stats.js';

const LIMIT = 20;

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/** Times `n` slot turnovers (one holder gives its slot back, another takes it), with CPU per turnover. */
async function turnovers(label: string, n: number, redis: Redis, turn: (i: number) => Promise<unknown>): Promise<Run> {
  const [cpu0, redis0] = [process.cpuUsage(), await redisCpu(redis)];
  const run = await sequential(label, n, turn);
  const cpu = process.cpuUsage(cpu0);
  return { ...run, cpuPerJob: { node: (cpu.user + cpu.system) / n, redis: ((await redisCpu(redis)) - redis0) / n } };
}

/** Today: the account full, each turnover releases the oldest holder and acquires for a new job. */
async function modelSlots(redis: Redis, prefix: string, n: number): Promise<Run> {
  const slots = new ModelSlots(redis, prefix, () => LIMIT);
  for (let i = 0; i < LIMIT; i++) await slots.acquire('kling-3.0', `h${i}`);
  return turnovers('today: ModelSlots release + acquire', n, redis, async (i) => {
    await slots.release('kling-3.0', `h${i}`);
    if (!(await slots.acquire('kling-3.0', `h${i + LIMIT}`))) throw new Error('no slot');
  });
}

/** The scheduler with `teams` teams waiting: each turnover releases the oldest holder and dispatches the next. */
async function scheduler(redis: Redis, prefix: string, n: number, teams: number): Promise<Run> {
  const s = new AccountScheduler(redis, prefix);
  const pending = [];
  for (let i = 0; i < n + LIMIT; i++) pending.push(s.enqueue({ id: `j${i}`, team: `t${i % teams}`, stage: 'production', share: 1 }));
  await Promise.all(pending);
  const held = await s.dispatch(LIMIT);
  return turnovers(`scheduler: release + dispatch, ${teams} teams waiting`, n, redis, async () => {
    await s.release(held.shift()!);
    const got = await s.dispatch(LIMIT, 1);
    if (got.length !== 1) throw new Error('no dispatch');
    held.push(got[0]!);
  });
}

/**
 * A flood of one team fills the account and its line; another team submits one job at a time at
 * random moments. Its start latency is counted in slot releases (an account turnover is LIMIT of them).
 */
async function lateTeam(redis: Redis, prefix: string, flood: number, shots: number): Promise<number[]> {
  const s = new AccountScheduler(redis, prefix);
  const pending = [];
  for (let i = 0; i < flood; i++) pending.push(s.enqueue({ id: `a${i}`, team: 'flood', stage: 'production', share: 1 }));
  await Promise.all(pending);
  const held = await s.dispatch(LIMIT);
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const latencies: number[] = [];
  for (let b = 0; b < shots; b++) {
    for (let k = Math.floor(random() * LIMIT); k > 0; k--) {
      await s.release(held.splice(Math.floor(random() * held.length), 1)[0]!);
      held.push(...(await s.dispatch(LIMIT)));
    }
    await s.enqueue({ id: `b${b}`, team: 'shot', stage: 'production', share: 1 });
    let releases = 0;
    for (;;) {
      const got = await s.dispatch(LIMIT);
      held.push(...got);
      if (got.includes(`b${b}`)) break;
      await s.release(held.splice(Math.floor(random() * held.length), 1)[0]!);
      releases++;
    }
    latencies.push(releases);
  }
  return latencies;
}

export async function benchScheduler(n = Number(process.env.BENCH_N ?? 5000), rounds = Number(process.env.BENCH_ROUNDS ?? 3)): Promise<void> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL; // one server: the ratios are against it
  const prefix = `vgbench-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  try {
    process.stdout.write(`bench/scheduler on ${url.replace(/\/\/[^@]*@/, '//***@')}, ${n} turnovers each, ${rounds} alternating rounds, account of ${LIMIT} slots\n`);
    await modelSlots(redis, `${prefix}:warm`, 500);
    await scheduler(redis, `${prefix}:warm`, 500, 2);
    const ratios: Record<string, number[]> = { wall2: [], wall50: [], cpu2: [], cpu50: [] };
    for (let r = 0; r < rounds; r++) {
      const base = await modelSlots(redis, `${prefix}:m${r}`, n);
      const two = await scheduler(redis, `${prefix}:s2-${r}`, n, 2);
      const fifty = await scheduler(redis, `${prefix}:s50-${r}`, n, 50);
      const cpu = (x: Run) => x.cpuPerJob!.node + x.cpuPerJob!.redis;
      ratios.wall2!.push(two.seconds / base.seconds);
      ratios.wall50!.push(fifty.seconds / base.seconds);
      ratios.cpu2!.push(cpu(two) / cpu(base));
      ratios.cpu50!.push(cpu(fifty) / cpu(base));
      process.stdout.write(`round ${r + 1}\n  ${[report(base), report(two, base), report(fifty, base)].join('\n  ')}\n`);
    }
    const m = (k: string) => median(ratios[k]!).toFixed(2);
    process.stdout.write(`median time per dispatch against today's acquisition: ${m('wall2')}x (2 teams), ${m('wall50')}x (50 teams); CPU (node + Redis): ${m('cpu2')}x, ${m('cpu50')}x\n`);
    const late = await lateTeam(redis, `${prefix}:late`, 20_000, 300);
    const turn = (x: number) => (x / LIMIT).toFixed(2);
    process.stdout.write(
      `late team under a 20000-job flood, 300 jobs one at a time: start after p50 ${percentile(late, 50)} / p99 ${percentile(late, 99)} / max ${Math.max(...late)} slot releases = ${turn(percentile(late, 50))} / ${turn(percentile(late, 99))} / ${turn(Math.max(...late))} account turnovers (target p99 <= 2); first in, first out it would wait for the flood: 1000 turnovers\n`,
    );
  } finally {
    await deleteKeysWithPrefix(url, prefix);
    await redis.quit();
  }
}
