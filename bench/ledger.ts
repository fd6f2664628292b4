// bench/ledger: reservations per second and latency, against a trivial one-key EVALSHA on the same
// Redis in the same run. Run: npm run bench -- ledger   (REDIS_URL, default redis://127.0.0.1:6379)
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLedger } from '../src/ledger/index.js';
import { DEFAULT_REDIS_URL } from '../src/queue/connection.js';
import { scriptCommand } from '../src/redis-script.js';
import { deleteKeysWithPrefix } from '../scripts/delete-keys.js';
import { reservationWrites } from './reservation-writes.js';
import { pipelined, report, sequential } from './stats.js';

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

    // Warm both paths (script load, JIT) before measuring.
    await sequential('warm-up', 500, () => trivial());
    await sequential('warm-up', 500, reserve('warm'));
    await sequential('warm-up', 500, plainWrites);

    process.stdout.write(`bench/ledger on ${url.replace(/\/\/[^@]*@/, '//***@')}, ${n} operations each\n`);
    const baseSeq = await sequential('baseline: trivial EVALSHA, sequential', n, () => trivial());
    const seq = await sequential('ledger.reserve, sequential', n, reserve('seq'));
    const basePipe = await pipelined('baseline: trivial EVALSHA, pipelined x64', n, 64, () => trivial());
    const pipe = await pipelined('ledger.reserve, pipelined x64', n, 64, reserve('pipe'));
    const plainSeq = await sequential('its writes alone, plain MULTI, sequential', n, plainWrites);
    const plainPipe = await pipelined('its writes alone, plain MULTI, pipelined x64', n, 64, plainWrites);
    const lines = [
      report(baseSeq),
      report(seq, baseSeq),
      report(plainSeq, baseSeq),
      report(basePipe),
      report(pipe, basePipe),
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
