// bench/scheduler: what the fair scheduler costs per dispatch against today's per-model slot
// acquisition, in the same run, rounds alternating; what an enqueue costs Redis; and a late team's
// start latency under a flood, in slot turnovers.
//
// One dispatch is everything Redis and this process do to hand one waiting job a free slot and to
// take the slot back at the job's end, as the workers do it:
//   - the holder's release (release.lua): in a process running a dispatcher (every generator) the
//     freed slot goes straight on to the fairest waiting job, in the same script;
//   - the chosen job's check that it holds its slot (hold.lua, the generator's first step).
// Against it, one model slot turnover in today's code: release (ZREM) + acquire (acquire-slot.lua).
// Neither side counts the job's queue work (BullMQ waking it, moving it to active) nor the lease
// renewal on each poll of a running task (both paths renew once per poll). Also shown: the same
// turnover through a dispatcher (release wakes the dispatchers, dispatch.lua hands the slot out),
// the path of slots that free by a lapsed lease or when a team's first job arrives.
//
// CPU: this process's from process.cpuUsage, Redis's from INFO cpu (used_cpu_user + sys) before and
// after, on a redis-server the bench starts for itself so no other client's work is counted
// (BENCH_REDIS_URL runs against another server instead: then its other clients are counted too).
// Run: npm run bench -- scheduler   (BENCH_N turnovers per run, BENCH_ROUNDS rounds)
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../src/queue/connection.js';
import { AccountScheduler } from '../src/queue/scheduler/account.js';
import { ModelSlots } from '../src/queue/slots.js';
import { redisServerInstalled, startRedisServer } from '../scripts/redis-server.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';
import { median, percentile, report, sequential, type Run } from './stats.js';

const LIMIT = 20;
const TARGET = 1.5;

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/** Runs `n` sequential operations, with this process's and Redis's CPU per operation (µs). */
async function measured(label: string, n: number, redis: Redis, op: (i: number) => Promise<unknown>): Promise<Run> {
  const [cpu0, redis0] = [process.cpuUsage(), await redisCpu(redis)];
  const run = await sequential(label, n, op);
  const cpu = process.cpuUsage(cpu0);
  return { ...run, cpuPerJob: { node: (cpu.user + cpu.system) / n, redis: ((await redisCpu(redis)) - redis0) / n } };
}

/** Today: the model full, each turnover releases the oldest holder and acquires for a new job. */
async function modelSlots(redis: Redis, prefix: string, n: number): Promise<Run> {
  const slots = new ModelSlots(redis, prefix, () => LIMIT);
  for (let i = 0; i < LIMIT; i++) await slots.acquire('kling-3.0', `h${i}`);
  return measured('today: model slot release + acquire', n, redis, async (i) => {
    await slots.release('kling-3.0', `h${i}`);
    if (!(await slots.acquire('kling-3.0', `h${i + LIMIT}`))) throw new Error('no slot');
  });
}

/** `n` + LIMIT jobs over `teams` teams waiting, the account full. */
async function floodedAccount(redis: Redis, prefix: string, n: number, teams: number): Promise<{ s: AccountScheduler; held: string[] }> {
  const s = new AccountScheduler(redis, prefix);
  const pending = [];
  for (let i = 0; i < n + LIMIT; i++) pending.push(s.enqueue({ id: `j${i}`, team: `t${i % teams}`, stage: 'production', share: 1 }));
  await Promise.all(pending);
  return { s, held: await s.dispatch(LIMIT) };
}

/** The workers' path: the oldest holder releases, its slot goes straight on, the chosen job checks it holds it. */
async function handedOn(redis: Redis, prefix: string, n: number, teams: number): Promise<Run> {
  const { s, held } = await floodedAccount(redis, prefix, n, teams);
  let woken: string[] = [];
  s.attach(LIMIT, async (ids) => {
    woken = ids;
  });
  return measured(`scheduler: release (hands on) + hold, ${teams} teams`, n, redis, async () => {
    woken = [];
    await s.release(held.shift()!);
    if (woken.length !== 1 || !(await s.hold(woken[0]!))) throw new Error('no dispatch');
    held.push(woken[0]!);
  });
}

/** Through a dispatcher: release wakes the dispatchers, dispatch hands the slot out, the job checks it. */
async function viaDispatch(redis: Redis, prefix: string, n: number, teams: number): Promise<Run> {
  const { s, held } = await floodedAccount(redis, prefix, n, teams);
  return measured(`scheduler: release + dispatch + hold, ${teams} teams`, n, redis, async () => {
    await s.release(held.shift()!);
    const got = await s.dispatch(LIMIT, 1);
    if (got.length !== 1 || !(await s.hold(got[0]!))) throw new Error('no dispatch');
    held.push(got[0]!);
  });
}

/** What the router's enqueue costs: a team's jobs after its first (the flood case), and first jobs of new teams. */
async function enqueues(redis: Redis, prefix: string, n: number): Promise<{ more: Run; first: Run }> {
  const s = new AccountScheduler(redis, prefix);
  const more = await measured('enqueue: a team with jobs waiting', n, redis, (i) => s.enqueue({ id: `m${i}`, team: 'flood', stage: 'production', priority: 1 + (i % 9), share: 1 }));
  const first = await measured("enqueue: a team's first job", n, redis, (i) => s.enqueue({ id: `f${i}`, team: `t${i}`, stage: 'production', share: 1 }));
  return { more, first };
}

/**
 * A flood of one team fills the account and its line; another team submits one job at a time at
 * random moments. Its start latency is counted in slot releases (an account turnover is LIMIT of
 * them). Slots go on as the workers hand them on (release.lua).
 */
async function lateTeam(redis: Redis, prefix: string, flood: number, shots: number): Promise<number[]> {
  const s = new AccountScheduler(redis, prefix);
  const pending = [];
  for (let i = 0; i < flood; i++) pending.push(s.enqueue({ id: `a${i}`, team: 'flood', stage: 'production', share: 1 }));
  await Promise.all(pending);
  const held = await s.dispatch(LIMIT);
  s.attach(LIMIT, async (ids) => {
    held.push(...ids);
  });
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const releaseOne = () => s.release(held.splice(Math.floor(random() * held.length), 1)[0]!);
  const latencies: number[] = [];
  for (let b = 0; b < shots; b++) {
    for (let k = Math.floor(random() * LIMIT); k > 0; k--) await releaseOne();
    await s.enqueue({ id: `b${b}`, team: 'shot', stage: 'production', share: 1 });
    // The account is full: the job starts when a slot is handed on to it.
    let releases = 0;
    held.push(...(await s.dispatch(LIMIT)));
    while (!held.includes(`b${b}`)) {
      await releaseOne();
      releases++;
    }
    latencies.push(releases);
  }
  return latencies;
}

export async function benchScheduler(n = Number(process.env.BENCH_N ?? 3000), rounds = Number(process.env.BENCH_ROUNDS ?? 5)): Promise<void> {
  const own = process.env.BENCH_REDIS_URL || !redisServerInstalled() ? undefined : await startRedisServer();
  const url = own?.url ?? process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const prefix = `vgbench-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  try {
    process.stdout.write(
      `bench/scheduler on ${own ? 'a redis-server of its own' : `${url.replace(/\/\/[^@]*@/, '//***@')} (other clients' Redis CPU counts too)`}, ${n} turnovers per run, ${rounds} rounds alternating, account of ${LIMIT} slots\n` +
        '  one dispatch = release of the holder (its slot handed on) + the chosen job\'s hold check; today = model slot release + acquire\n',
    );
    await modelSlots(redis, `${prefix}:warm`, 500);
    await handedOn(redis, `${prefix}:warm-on`, 500, 2);
    await viaDispatch(redis, `${prefix}:warm-via`, 500, 2);
    const ratios: Record<'on2' | 'on50' | 'via2', number[]> = { on2: [], on50: [], via2: [] };
    const cpu = (x: Run) => x.cpuPerJob!.node + x.cpuPerJob!.redis;
    for (let r = 0; r < rounds; r++) {
      const base = await modelSlots(redis, `${prefix}:m${r}`, n);
      const on2 = await handedOn(redis, `${prefix}:o2-${r}`, n, 2);
      const on50 = await handedOn(redis, `${prefix}:o50-${r}`, n, 50);
      const via2 = await viaDispatch(redis, `${prefix}:v2-${r}`, n, 2);
      ratios.on2.push(cpu(on2) / cpu(base));
      ratios.on50.push(cpu(on50) / cpu(base));
      ratios.via2.push(cpu(via2) / cpu(base));
      process.stdout.write(`round ${r + 1}\n  ${[report(base), report(on2, base), report(on50, base), report(via2, base)].join('\n  ')}\n`);
      await deleteKeysWithPrefix(url, `${prefix}:`);
    }
    const m = (k: keyof typeof ratios) => median(ratios[k]);
    const verdict = (x: number) => (x <= TARGET ? 'met' : 'NOT met');
    process.stdout.write(
      `median CPU (node + Redis) per dispatch against today's model slot turnover: ${m('on2').toFixed(2)}x (2 teams), ${m('on50').toFixed(2)}x (50 teams) ` +
        `(target <= ${TARGET}x: ${verdict(Math.max(m('on2'), m('on50')))}); through a dispatcher: ${m('via2').toFixed(2)}x\n`,
    );
    const e = await enqueues(redis, `${prefix}:enq`, n);
    process.stdout.write(`  ${report(e.more)}\n  ${report(e.first)}\n`);
    const late = await lateTeam(redis, `${prefix}:late`, 20_000, 300);
    const turn = (x: number) => (x / LIMIT).toFixed(2);
    process.stdout.write(
      `late team under a 20000-job flood, 300 jobs one at a time: start after p50 ${percentile(late, 50)} / p99 ${percentile(late, 99)} / max ${Math.max(...late)} slot releases = ${turn(percentile(late, 50))} / ${turn(percentile(late, 99))} / ${turn(Math.max(...late))} account turnovers (target p99 <= 2: ${percentile(late, 99) / LIMIT <= 2 ? 'met' : 'NOT met'}); first in, first out it would wait for the flood: 1000 turnovers\n`,
    );
  } finally {
    await deleteKeysWithPrefix(url, prefix);
    await redis.quit();
    await own?.stop();
  }
}
