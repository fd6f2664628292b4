import { Command } from 'commander';
import { z } from 'zod';
import { Name, ReservationId } from '../names.js';
import { parseOrThrow } from '../validation.js';
import { describeVariant } from '../policy/decision.js';
import { createClient } from '../queue/client.js';
import { cliConnection, redisTargetFromEnv } from '../queue/connection.js';
import { withRedisOptions } from './options.js';
import { action, printJson } from './command.js';

export function jobsCommand(): Command {
  const jobs = new Command('jobs').description('look at jobs');
  withRedisOptions(jobs.command('show'))
    .description("a job's decision (with its explanation) and result")
    .requiredOption('--team <team>', "the job's team (ids are per team)")
    .argument('<id>', "the job's id, as enqueued")
    .option('--json', 'print one JSON object', false)
    .action(
      action(async (id: string, opts: { team: string; json: boolean; redis?: string; redisCluster?: string; prefix: string }) => {
        parseOrThrow(z.object({ '--team': Name, id: ReservationId }), { '--team': opts.team, id }, 'jobs show');
        const redis = await cliConnection(redisTargetFromEnv(opts));
        const client = createClient({ redis, prefix: opts.prefix });
        try {
          const shown = await client.show(opts.team, id);
          if (!shown) {
            process.stderr.write(`vidgate: team ${opts.team} has no job ${id} (never enqueued, or finished more than a week ago)\n`);
            process.exitCode = 1;
            return;
          }
          if (opts.json) return printJson(shown);
          const d = shown.decision;
          const r = shown.result;
          const out = [`job ${id} of team ${opts.team}: intake ${shown.intake}${shown.generate ? `, generate ${shown.generate}` : ''}`];
          if (d) {
            out.push(`decision: ${d.outcome}${d.chosen ? ` ${describeVariant(d.chosen)} at ${d.cost} (requested ${d.requestedCost}, reserve ${d.reserve})` : ''}`);
            for (const rule of d.rules ?? []) out.push(`  rule ${rule.rule}: ${rule.detail}`);
            for (const reason of d.reasons) out.push(`  reason: ${reason}`);
            for (const s of d.scopes) out.push(`  ${s.scope} ${s.name} (${s.window}): ${s.available} of ${s.limit} available`);
          }
          if (r) {
            out.push(`result: ${r.state} on ${r.model}${r.fellBackFrom.length ? ` (fell back from ${r.fellBackFrom.join(', ')})` : ''}`);
            if (r.state === 'completed') out.push(`  video ${r.videoUrl}`, `  estimated ${r.estimatedCost}, actual ${r.actualCost}, variance ${r.variance}, charged ${r.charged}`);
            else out.push(`  reason: ${r.reason}`);
          }
          process.stdout.write(`${out.join('\n')}\n`);
        } finally {
          await client.close();
          redis.disconnect();
        }
      }),
    );
  return jobs;
}
