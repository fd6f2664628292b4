// bench/ledger: reservations per second and latency, against a trivial one-key EVALSHA on the same
// Redis in the same run, and Redis's own CPU per operation (INFO cpu deltas: the figure that stays
// meaningful on a loaded machine). Run: npm run bench -- ledger   (REDIS_URL, default redis://127.0.0.1:6379)
//
// Where a reservation's Redis work goes (docs/ledger.md, "Cost"). Measured in instructions
// (valgrind --tool=callgrind on redis-server, so independent of the machine's load), one
// reservation of the router's shape (team and project budgets, one candidate, two savings), 300
// of them with 50 in flight, on a fresh redis-server 7.0:
//   trivial EVALSHA (1 key)                     ~17 k instructions
//   reserve, before (fresh / replay)           ~632 k / ~234 k  (with its locator SET, ~11 k)
//   reserve, now    (fresh / replay)           ~533 k / ~216 k
// Inside a reservation (before): its 34 KEYS and ARGV ~43 k (about 1.3 k each, parsed and put in
// Lua tables), the includes' closures ~24 k; the reservation record's HSET (16 fields, a new
// listpack grown field by field) ~41 k; the lease ZADD ~20 k; the audit XADD (11 fields) ~19 k;
// the history's HINCRBYs ~12 k each (a linear scan of the day's listpack per field, 40-170
// fields); the rest is Lua's own work, most of it making numbers into text (tostring is a
// sprintf "%.14g", ~4 k each, tonumber a strtod, ~2 k) and the garbage that leaves. Cut: window
// check by the UTC day (no calendar: ~20 k), amounts kept as the text they came as and a changed
// one formatted once with "%d" (~2 k), one HGET for a new id instead of an 11-field HMGET, the
// history packed into 2-3 fields per project and model (HMGET + HSET once per operation, and a
// day hash a third as long to scan).
// For the router as a whole (same method): the bare pass-through ~711 k per job; the router
// ~1776 k before, ~1683 k now. BullMQ's part of the router alone (intake and generate jobs with
// KEEP_FINISHED, attempts and backoff, the decision record as returnvalue, generate parked by a
// delay) is ~934 k, the scheduler's enqueue ~201 k: with a free reservation the router would be
// ~1.6 x the pass-through.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLedger } from '../src/ledger/index.js';
import { DEFAULT_REDIS_URL } from '../src/queue/connection.js';
import { scriptCommand } from '../src/redis-script.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';
import { reservationWrites } from './reservation-writes.js';
import { pipelined, report, sequential, type Run } from './stats.js';

/** Redis's own CPU time so far, in microseconds (INFO cpu). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/** A run, with this process's and Redis's CPU per operation (Redis's whole server: run it on a quiet one). */
async function withRedisCpu(redis: Redis, measure: () => Promise<Run>): Promise<Run> {
  const [node, before] = [process.cpuUsage(), await redisCpu(redis)];
  const run = await measure();
  const used = process.cpuUsage(node);
  return { ...run, cpuPerJob: { node: (used.user + used.system) / run.ops, redis: ((await redisCpu(redis)) - before) / run.ops } };
}

export async function benchLedger(n = Number(process.env.BENCH_N ?? 20_000)): Promise<void> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL; // one server: the ratios are against it
  const prefix = `vgbench-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const ledger = createLedger({ redis, prefix, actor: 'bench' });
  const baselineKey = `${prefix}:baseline`;
  const trivialIncr = scriptCommand(redis, 'trivialIncr', "return redis.call('INCR', KEYS[1])");
  const trivial = () => trivialIncr([baselineKey], []);

  try {
    await ledger.setBudget({ team: 'bench', limit: '1000000000', period: 'monthly' });
    await ledger.setBudget({ team: 'bench', project: 'p', limit: '1000000000', period: 'monthly' });
    // For scale: the writes a reservation needs, as plain commands (see reservation-writes.ts).
    const plainWrites = (i: number) => reservationWrites(redis, prefix, `p${i}`);
    const reserve = (tag: string) => (i: number) =>
      ledger.reserve({
        reservationId: `${tag}-${i}`,
        jobId: `shot-${i}`,
        team: 'bench',
        project: 'p',
        // As the router asks: each candidate with its spend-history tag (the hot path's extra work).
        candidates: [
          { cost: '2.50', ceiling: 0.9, history: { model: 'kling-o3', estimate: '2.40', savings: [{ rule: 'staging', amount: '1.10' }] } },
          { cost: '1.25', history: { model: 'kling-3.0', estimate: '1.25', downgraded: true, savings: [{ rule: 'staging', amount: '1.10' }, { rule: 'cheaper-model', amount: '1.15' }] } },
        ],
      });

    // What the router sends in bench/pipeline: its ladder's first candidate fits, with two savings.
    const routerShape = (tag: string) => (i: number) =>
      ledger.reserve({
        reservationId: `${tag}-${i}`,
        jobId: `shot-${i}`,
        team: 'bench',
        project: 'p',
        candidates: [{ cost: '0.75', ceiling: 0.9, history: { model: 'kling-3.0', estimate: '0.75', savings: [{ rule: 'staging', amount: '0.37' }, { rule: 'audio-deferral', amount: '0.38' }] } }],
      });

    // Warm both paths (script load, JIT) before measuring.
    await sequential('warm-up', 500, () => trivial());
    await sequential('warm-up', 500, reserve('warm'));
    await sequential('warm-up', 500, plainWrites);

    process.stdout.write(`bench/ledger on ${url.replace(/\/\/[^@]*@/, '//***@')}, ${n} operations each\n`);
    const baseSeq = await sequential('baseline: trivial EVALSHA, sequential', n, () => trivial());
    const seq = await sequential('ledger.reserve, sequential', n, reserve('seq'));
    const basePipe = await withRedisCpu(redis, () => pipelined('baseline: trivial EVALSHA, pipelined x64', n, 64, () => trivial()));
    const pipe = await withRedisCpu(redis, () => pipelined('ledger.reserve, pipelined x64', n, 64, reserve('pipe')));
    const pipeRouter = await withRedisCpu(redis, () => pipelined("ledger.reserve, the pipeline bench's shape, x64", n, 64, routerShape('router')));
    const plainSeq = await sequential('its writes alone, plain MULTI, sequential', n, plainWrites);
    const plainPipe = await withRedisCpu(redis, () => pipelined('its writes alone, plain MULTI, pipelined x64', n, 64, plainWrites));
    const lines = [
      report(baseSeq),
      report(seq, baseSeq),
      report(plainSeq, baseSeq),
      report(basePipe),
      report(pipe, basePipe),
      report(pipeRouter, basePipe),
      report(plainPipe, basePipe),
      'reserve against its writes alone (no checks, not atomic, no idempotency):',
      report(seq, plainSeq),
      report(pipe, plainPipe),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await deleteKeysWithPrefix(url, prefix);
    await ledger.close();
    await redis.quit();
  }
}
