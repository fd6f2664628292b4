import { Queue } from 'bullmq';
import { Command, InvalidArgumentError } from 'commander';
import { PolicyCards } from '../queue/policy-cards.js';
import { Ledger } from '../ledger/ledger.js';
import { createLogger } from '../log.js';
import { KlingAdapter } from '../providers/kling/adapter.js';
import { cliConnection, queuePrefix, redisTargetFromEnv } from '../queue/connection.js';
import { QUEUE_GENERATE, QUEUE_OPTIONS } from '../queue/names.js';
import type { GenerateData } from '../queue/records.js';
import { UnsettledJobs } from '../queue/unsettled.js';
import { reconcile, type ReconcileReport } from '../reconcile/reconciler.js';
import type { Finding } from '../reconcile/compare.js';
import { recordReconciliation } from '../reconcile/metrics.js';
import { action, printJson } from './command.js';
import { klingOptionsFromEnv } from './kling-env.js';
import { withRedisOptions, type RedisFlags } from './options.js';

interface Flags extends RedisFlags {
  since?: number;
  json: boolean;
  apply: boolean;
  klingBaseUrl?: string;
}

/** A UTC date, or a time with its zone: a time without one would be read in the host's zone. */
function date(value: string): number {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) || Number.isNaN(t)) {
    throw new InvalidArgumentError('expected a date such as 2026-11-01 (UTC) or a time with its zone such as 2026-11-01T12:00:00Z.');
  }
  return t;
}

const SAYS: Record<Finding['kind'], string> = {
  'billed-outside-ledger': 'billed by the provider, not charged in the ledger',
  'amount-differs': 'committed amount differs from the provider bill',
  'held-task-ended': 'held for reconciliation; its task has ended',
  'held-unknown-to-provider': 'held for reconciliation; the provider lists no task for it',
  'held-already-settled': 'held for reconciliation, though the ledger already settled it as billed',
  'running-without-reservation': 'still running at the provider; its reservation is gone',
  unpriced: 'billed, but neither a unit price nor the job data is left to price it',
};

function describe(f: Finding): string {
  const money = 'billed' in f ? ` (billed ${f.billed}${'charged' in f ? `, charged ${f.charged}` : ''})` : '';
  return `  ${f.jobId}: ${SAYS[f.kind]}${money}`;
}

function print(report: ReconcileReport, applied: boolean): void {
  const lines = [`read ${report.tasksRead} provider tasks of ${report.jobs} vidgate jobs: ${report.findings.length} differences`];
  for (const f of report.findings) lines.push(describe(f));
  for (const s of report.settled) if (s.action !== 'none') lines.push(`  ${s.jobId}: ${s.action} ${s.amount}`);
  if (report.findings.length && !applied) lines.push('run again with --apply to settle them');
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function reconcileCommand(): Command {
  return withRedisOptions(new Command('reconcile'))
    .description("compare the provider's own records of vidgate's tasks with the ledger, and settle the differences with --apply")
    .option('--since <date>', 'only tasks created at or after this date (UTC)', date)
    .option('--apply', 'settle what is found: charge bills outside the ledger, correct commits, settle held jobs', false)
    .option('--json', 'print one JSON object: findings and what was settled', false)
    .option('--kling-base-url <url>', 'Kling API (default: $KLING_BASE_URL)')
    .action(
      action(async (f: Flags) => {
        const provider = new KlingAdapter(klingOptionsFromEnv(f.klingBaseUrl));
        const redis = await cliConnection(redisTargetFromEnv(f));
        const generate = new Queue<GenerateData>(QUEUE_GENERATE, { ...QUEUE_OPTIONS, connection: redis, prefix: queuePrefix(f.prefix, redis) });
        const ledger = new Ledger({ redis, prefix: f.prefix, actor: 'reconcile' });
        const cards = new PolicyCards(redis, f.prefix);
        try {
          const report = await reconcile({
            provider,
            ledger,
            unsettled: new UnsettledJobs(redis, f.prefix),
            generate,
            cardFor: (team, ref) => cards.load(team, ref),
            ...(f.since !== undefined ? { since: f.since } : {}),
            apply: f.apply,
            log: createLogger('vidgate-reconcile'),
            onProgress: (n) => {
              if (n % 500 === 0) process.stderr.write(`vidgate: read ${n} provider tasks\n`);
            },
          });
          if (f.json) printJson(report);
          else print(report, f.apply);
          // For GET /metrics: what this run found and settled. The ledger holds the money itself,
          // so a failure here is said and does not fail the run.
          await recordReconciliation(redis, queuePrefix(f.prefix, redis), report, f.apply).catch((err: Error) => process.stderr.write(`vidgate: reconciliation metrics not written: ${err.message}\n`));
        } finally {
          await generate.close();
          redis.disconnect();
        }
      }),
    );
}
