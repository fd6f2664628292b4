// npm run chaos: several seeded chaos runs (CHAOS_SEED=N replays one), each audited; exits 1 on a
// failed audit, printing its seed. `npm run chaos -- aof-crash`: what a Redis SIGKILL loses under
// each appendfsync setting. See README "Chaos" and "Durability".
import { randomInt } from 'node:crypto';
import { reportAofCrash } from './aof-crash.js';
import { runChaos, type ChaosReport } from './run.js';

if (process.argv[2] === 'aof-crash') {
  await reportAofCrash((line) => process.stdout.write(`${line}\n`));
  process.exit(0);
}
if (process.argv[2] !== undefined) {
  process.stderr.write(`npm run chaos takes no argument but aof-crash, got "${process.argv[2]}"\n`);
  process.exit(2);
}

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
const say = (line: string) => process.stdout.write(`${line}\n`);

const reports: ChaosReport[] = [];
for (const seed of seeds) {
  const report = await runChaos({
    seed,
    jobs,
    faults: whole('CHAOS_FAULTS', 8, 100),
    faultRate: 0.35,
    window: 40,
    redis: redisUrl ? { kind: 'url', url: redisUrl } : { kind: 'private' },
    klingLatencyMs: 400,
    klingTimeoutMs: 3000,
    say,
  }).catch((err: Error) => {
    say(`chaos seed ${seed}: the run itself failed: ${err.message}`);
    return null;
  });
  if (!report) {
    say(`FAILED: seed ${seed}; replay with CHAOS_SEED=${seed} npm run chaos`);
    process.exitCode = 1;
    continue;
  }
  reports.push(report);
  say(`  states: ${JSON.stringify(report.states)}; faults struck: ${report.faultsStruck.join(', ')}`);
  for (const s of report.audit.scopes) say(`  ${s.scope}: limit ${s.limit}, spent ${s.spent}, billed ${s.billed}, reserved ${s.reserved}`);
  if (report.ok) say(`chaos seed ${seed}: audit passed (${report.audit.tasks} provider tasks)`);
  else {
    for (const f of report.findings) say(`  FINDING: ${f}`);
    say(`FAILED: seed ${seed}; replay with CHAOS_SEED=${seed} npm run chaos (logs, Kling state and AOF kept in ${report.workDir})`);
    process.exitCode = 1;
  }
}
say(`${reports.filter((r) => r.ok).length} of ${seeds.length} chaos runs passed their audit`);
