// The router of bench/api in its own process, as a deployment runs it beside `vidgate serve`:
// started with REDIS_URL, BENCH_PREFIX and BENCH_POLICIES; prints "ready" once it takes jobs, and
// on SIGTERM closes, then prints its own CPU time (µs, user + system) so the bench can count it.
import { pino } from 'pino';
import { startWorkers } from '../src/queue/runtime.js';

const workers = await startWorkers({
  redisUrl: process.env.REDIS_URL!,
  prefix: process.env.BENCH_PREFIX!,
  policiesDir: process.env.BENCH_POLICIES!,
  generator: false,
  kling: { credentials: { apiKey: 'unused' } },
  watchPolicies: false,
  log: pino({ level: 'silent' }),
});
const startCpu = process.cpuUsage();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void workers.close(1000).then(() => {
    const cpu = process.cpuUsage(startCpu);
    process.stdout.write(`cpu ${cpu.user + cpu.system}\n`);
    process.exit(0);
  });
});
