import { Command } from 'commander';
import { z } from 'zod';
import { Name, ReservationId } from '../names.js';
import { parseOrThrow } from '../validation.js';
import { describeVariant } from '../policy/decision.js';
import { createClient } from '../queue/client.js';
import { cliConnection, redisTargetFromEnv } from '../queue/connection.js';
import { withRedisOptions } from './options.js';
import { action, printJson } from './command.js';
import { DEFAULTS } from '../defaults.js';
import type { QueueStanding } from '../queue/scheduler/standing.js';

/** One line on where a job stands on the provider account. */
export function describeStanding(s: QueueStanding, team: string): string {
  const slots = `team ${team} holds ${s.teamRunning} of account ${s.account}'s ${s.accountHeld}${s.accountLimit === null ? '' : `/${s.accountLimit}`} busy slots (share ${s.share}${s.maxConcurrent === null ? '' : `, at most ${s.maxConcurrent}`})`;
  if (s.state === 'running') return `provider: holds a slot; ${slots}`;
  const ahead = s.position === 0 ? 'next in its team\'s line' : `${s.position} of its team's jobs ahead of it`;
  const when = s.estimatedStart ? `, estimated start ${s.estimatedStart} (recent tasks take ${(s.recentTaskMs! / 1000).toFixed(1)} s)` : ', no estimate yet (no task has ended recently)';
  return `provider: waiting for a slot, ${ahead}${when}; ${slots}`;
}

export function jobsCommand(): Command {
  const jobs = new Command('jobs').description('look at jobs');
  withRedisOptions(jobs.command('show'))
    .description("a job's decision (with its explanation) and result")
    .requiredOption('--team <team>', "the job's team (ids are per team)")
    .argument('<id>', "the job's id, as enqueued")
    .option('--account <name>', `the provider account the workers schedule on (as vidgate worker --account)`, DEFAULTS.account)
    .option('--json', 'print one JSON object', false)
    .action(
      action(async (id: string, opts: { team: string; account: string; json: boolean; redis?: string; redisCluster?: string; prefix: string }) => {
        parseOrThrow(z.object({ '--team': Name, '--account': Name, id: ReservationId }), { '--team': opts.team, '--account': opts.account, id }, 'jobs show');
        const redis = await cliConnection(redisTargetFromEnv(opts));
        const client = createClient({ redis, prefix: opts.prefix, account: opts.account });
        try {
          const shown = await client.show(opts.team, id);
          if (!shown) {
            process.stderr.write(`vidgate: team ${opts.team} has no job ${id} (never enqueued, or finished longer ago than it is kept: a day once completed, a week once failed)\n`);
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
          if (shown.standing) out.push(describeStanding(shown.standing, opts.team));
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
