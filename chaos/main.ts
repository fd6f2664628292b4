// npm run chaos: several seeded chaos runs (CHAOS_SEED=N replays one), each audited; exits 1 on a
// failed audit, printing its seed. `npm run chaos -- --cluster` (or CHAOS_TARGET=cluster): the same
// on a private 3+3 Redis Cluster, where the Redis fault is a master's failover. `npm run chaos --
// aof-crash`: what a Redis SIGKILL loses under each appendfsync setting. See README "Chaos" and
// "Durability".
import { randomInt } from 'node:crypto';
import { reportAofCrash } from './aof-crash.js';
import { runChaos, type ChaosReport } from './run.js';

const args = process.argv.slice(2);
if (args[0] === 'aof-crash' && args.length === 1) {
  await reportAofCrash((line) => process.stdout.write(`${line}\n`));
  process.exit(0);
}
const unknown = args.filter((a) => a !== '--cluster');
if (unknown.length) {
  process.stderr.write(`npm run chaos takes aof-crash or --cluster, got "${unknown.join(' ')}"\n`);
  process.exit(2);
}
const target = process.env.CHAOS_TARGET;
if (target !== undefined && target !== 'server' && target !== 'cluster') {
  process.stderr.write(`CHAOS_TARGET must be server or cluster, got "${target}"\n`);
  process.exit(2);
}
const onCluster = args.includes('--cluster') || target === 'cluster';

function whole(name: string, fallback: number, max: number): number {
  const text = process.env[name];
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) {
    process.stderr.write(`${name} must be a whole number from 1 to ${max}, got "${text}"\n`);
    process.exit(2);
  }
  return Number(text);
}

const replay = process.env.CHAOS_SEED !== undefined;
const seeds = replay ? [whole('CHAOS_SEED', 1, 1_000_000_000)] : Array.from({ length: whole('CHAOS_RUNS', 3, 100) }, () => randomInt(1, 1_000_000_000));
const jobs = whole('CHAOS_JOBS', 300, 100_000);
const redisUrl = process.env.CHAOS_REDIS_URL;
if (redisUrl && onCluster) {
  process.stderr.write('CHAOS_REDIS_URL and --cluster exclude each other: the cluster run starts a cluster of its own\n');
  process.exit(2);
}
const replayCommand = (seed: number) => `CHAOS_SEED=${seed} npm run chaos${onCluster ? ' -- --cluster' : ''}`;
const say = (line: string) => process.stdout.write(`${line}\n`);

const reports: ChaosReport[] = [];
for (const seed of seeds) {
  const report = await runChaos({
    seed,
    jobs,
    faults: whole('CHAOS_FAULTS', 8, 100),
    faultRate: 0.35,
    window: 40,
    redis: redisUrl ? { kind: 'url', url: redisUrl } : onCluster ? { kind: 'cluster' } : { kind: 'private' },
    klingLatencyMs: 400,
    klingTimeoutMs: 3000,
    say,
  }).catch((err: Error) => {
    say(`chaos seed ${seed}: the run itself failed: ${err.message}`);
    return null;
  });
  if (!report) {
    say(`FAILED: seed ${seed}; replay with ${replayCommand(seed)}`);
    process.exitCode = 1;
    continue;
  }
  reports.push(report);
  say(`  states: ${JSON.stringify(report.states)}; faults struck: ${report.faultsStruck.join(', ')}`);
  for (const s of report.audit.scopes) say(`  ${s.scope}: limit ${s.limit}, spent ${s.spent}, billed ${s.billed}, reserved ${s.reserved}`);
  if (report.ok) say(`chaos seed ${seed}: audit passed (${report.audit.tasks} provider tasks)`);
  else {
    for (const f of report.findings) say(`  FINDING: ${f}`);
    say(`FAILED: seed ${seed}; replay with ${replayCommand(seed)} (logs, Kling state and AOF kept in ${report.workDir})`);
    process.exitCode = 1;
  }
}
say(`${reports.filter((r) => r.ok).length} of ${seeds.length} chaos runs passed their audit`);
