// One router process of bench/scale (forked by it): vidgate's router workers for each of the
// prefixes it is given, on the Redis it is given, until the parent says stop; then it reports its
// own CPU time, so the parent can count the client side's cost per job too.
import { pino } from 'pino';
import { startWorkers, type RunningWorkers } from '../src/queue/runtime.js';
import type { RedisTarget } from '../src/redis-connection.js';

export interface ScaleRouterConfig {
  target: RedisTarget;
  prefixes: string[];
  /** Router concurrency of each prefix (in the order of `prefixes`). */
  concurrency: number[];
  /** Only the first process applies the policy files; the others read the policies from Redis. */
  policiesDir?: string;
}

export type ScaleRouterMessage = { ready: true } | { cpuMicros: number };
export type ScaleRouterCommand = 'mark' | 'stop';

const config = JSON.parse(process.env.VIDGATE_SCALE_ROUTER ?? 'null') as ScaleRouterConfig | null;
if (!config || !process.send) throw new Error('bench/scale-router runs as a child of bench/scale');
const send = (m: ScaleRouterMessage) => process.send!(m);

const running: RunningWorkers[] = [];
for (const [i, prefix] of config.prefixes.entries()) {
  running.push(
    await startWorkers({
      redisUrl: config.target,
      prefix,
      ...(config.policiesDir ? { policiesDir: config.policiesDir } : {}),
      generator: false,
      concurrency: { router: config.concurrency[i]! },
      kling: { credentials: { apiKey: 'unused' } },
      watchPolicies: false,
      log: pino({ level: 'silent' }),
    }),
  );
}
// The parent marks the start of the storm, then asks for the CPU spent since.
let cpu0 = process.cpuUsage();
process.on('message', (m: ScaleRouterCommand) => {
  if (m === 'mark') {
    cpu0 = process.cpuUsage();
    return;
  }
  const cpu = process.cpuUsage(cpu0);
  send({ cpuMicros: cpu.user + cpu.system });
  void Promise.all(running.map((w) => w.close())).finally(() => process.exit(0));
});
send({ ready: true });
