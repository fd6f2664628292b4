import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../errors.js';
import { Job, type JobInput } from '../job.js';
import { formatMoney, money, sumMoney } from '../money.js';
import { describeVariant } from '../policy/decision.js';
import { createClient, type FinalResult, type JobHandle } from '../queue/client.js';
import { cliConnection, redisTargetFromEnv } from '../queue/connection.js';
import type { DecisionRecord } from '../queue/records.js';
import { describeIssues } from '../validation.js';
import { readTextFile } from '../yaml-file.js';
import { withRedisOptions } from './options.js';
import { action, printJson } from './command.js';
import { table } from './table.js';

/** Every job of a JSONL file, validated in full first: one bad line enqueues nothing. */
export function readJobsFile(path: string): JobInput[] {
  const { file, text } = readTextFile(path, 'jobs file');
  const jobs: JobInput[] = [];
  const errors: string[] = [];
  const ids = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      errors.push(`line ${i + 1}: not JSON (${(err as Error).message})`);
      return;
    }
    const parsed = Job.safeParse(value);
    if (!parsed.success) {
      errors.push(...describeIssues(parsed.error).map((m) => `line ${i + 1}, ${m}`));
      return;
    }
    // Ids are per team: the same id under two teams is two jobs.
    const { id, team } = parsed.data;
    const key = `${team}\0${id}`;
    if (id && ids.has(key)) errors.push(`line ${i + 1}: id ${id} is already used by team ${team} on line ${ids.get(key)}`);
    if (id) ids.set(key, i + 1);
    jobs.push(value as JobInput);
  });
  if (errors.length) {
    const shown = errors.slice(0, 20);
    const more = errors.length > shown.length ? `\n  … and ${errors.length - shown.length} more` : '';
    throw new InputError(`jobs file ${file} has ${errors.length} error(s); nothing was enqueued:\n  ${shown.join('\n  ')}${more}`);
  }
  if (jobs.length === 0) throw new InputError(`jobs file ${file} holds no jobs`);
  return jobs;
}

interface Line {
  id: string;
  team: string | null;
  project: string | null;
  outcome: DecisionRecord['outcome'];
  chosen: string | null;
  cost: string | null;
  state?: FinalResult['state'];
  actualCost?: string | null;
  reason?: string | null;
}

function lineOf(d: DecisionRecord, r?: FinalResult): Line {
  const line: Line = {
    id: d.id,
    team: d.team,
    project: d.project,
    outcome: d.outcome,
    chosen: d.chosen ? describeVariant(d.chosen) : null,
    cost: d.cost ?? null,
  };
  if (!r) return line;
  return { ...line, state: r.state, actualCost: r.state === 'rejected' ? null : r.actualCost, reason: r.reason };
}

export function enqueueCommand(): Command {
  return withRedisOptions(new Command('enqueue'))
    .description('enqueue the jobs of a JSONL file (one job per line) and report each decision')
    .argument('<file>', 'jobs, one JSON object per line')
    .option('--wait', 'also wait for every job to finish (completed, failed or rejected)', false)
    .option('--json', 'one JSON line per job: id, team, project, outcome, chosen, cost (and state, actualCost with --wait)', false)
    .action(
      action(async (file: string, opts: { wait: boolean; json: boolean; redis?: string; redisCluster?: string; prefix: string }) => {
        const jobs = readJobsFile(file);
        const target = redisTargetFromEnv(opts);
        const redis = await cliConnection(target);
        redis.disconnect();
        const client = createClient({ redis: target, prefix: opts.prefix, onConnection: (_, line) => process.stderr.write(`vidgate: ${line}\n`) });
        const progress = process.stderr.isTTY && !opts.json ? new cliProgress.SingleBar({ format: ' {bar} {value}/{total} {stage}', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
        const hint = setTimeout(() => process.stderr.write('vidgate: still waiting for decisions: is a worker running (vidgate worker)?\n'), 15_000);
        try {
          const handles: JobHandle[] = await client.enqueueMany(jobs);
          progress?.start(handles.length, 0, { stage: opts.wait ? 'finished' : 'decided' });
          const step = Math.max(1, Math.ceil(handles.length / 10));
          const lines: Line[] = [];
          await Promise.all(
            handles.map(async (h) => {
              const d = await h.decision();
              clearTimeout(hint);
              const line = lineOf(d, opts.wait ? await h.result() : undefined);
              lines.push(line);
              if (progress) progress.increment();
              else if (!process.stderr.isTTY && lines.length % step === 0 && lines.length < handles.length) {
                // Not a terminal (a log, a pipe): a plain line every tenth of the way.
                process.stderr.write(`vidgate: ${lines.length}/${handles.length} ${opts.wait ? 'finished' : 'decided'}\n`);
              }
              if (opts.json) printJson(line);
            }),
          );
          progress?.stop();
          if (!opts.json) process.stdout.write(summary(lines, opts.wait));
        } finally {
          clearTimeout(hint);
          progress?.stop();
          await client.close();
        }
      }),
    );
}

function summary(lines: Line[], waited: boolean): string {
  const count = (f: (l: Line) => boolean) => String(lines.filter(f).length);
  const rows = [
    ['admitted', count((l) => l.outcome === 'admit')],
    ['downgraded', count((l) => l.outcome === 'downgrade')],
    ['rejected', count((l) => l.outcome === 'reject')],
  ];
  if (waited) {
    rows.push(['completed', count((l) => l.state === 'completed')], ['failed', count((l) => l.state === 'failed')]);
    rows.push(['actual cost', formatMoney(sumMoney(lines.map((l) => money(l.actualCost ?? '0'))))]);
  } else {
    rows.push(['reserved cost', formatMoney(sumMoney(lines.map((l) => money(l.cost ?? '0'))))]);
  }
  return `${table(['jobs', String(lines.length)], rows, new Set([1]))}\n`;
}
