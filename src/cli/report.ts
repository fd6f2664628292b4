import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { InputError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { HistoryQuery } from '../ledger/history.js';
import { cliConnection, redisTargetFromEnv } from '../queue/connection.js';
import { reportCsv } from '../report/csv.js';
import { reportHtml } from '../report/html.js';
import { buildReport, type Report } from '../report/report.js';
import { parseOrThrow } from '../validation.js';
import { action, positiveInt } from './command.js';
import { withRedisOptions } from './options.js';
import { reportTable } from './report-table.js';

const FORMATS = ['table', 'json', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];

interface Options {
  team: string;
  project?: string;
  from?: string;
  to?: string;
  format: Format;
  top: number;
  out?: string;
  redis?: string;
  prefix?: string;
}

const RENDER: Record<Format, (r: Report) => string> = {
  table: reportTable,
  json: (r) => `${JSON.stringify(r, null, 2)}\n`,
  csv: reportCsv,
  html: reportHtml,
};

/** Today (UTC) and the first day of its month: the span a report covers unless told. */
function thisMonth(): { from: string; to: string } {
  const today = new Date().toISOString().slice(0, 10);
  return { from: `${today.slice(0, 8)}01`, to: today };
}

export function reportCommand(): Command {
  return withRedisOptions(new Command('report'))
    .description("a team's spend from the ledger's history: by project and model, savings by rule, estimate vs actual, rejections, the most expensive jobs")
    .requiredOption('--team <team>', 'team')
    .option('--project <project>', 'one project only')
    .option('--from <day>', 'first UTC day, YYYY-MM-DD (default: the first of this month)')
    .option('--to <day>', `last UTC day, YYYY-MM-DD, at most ${DEFAULTS.historyMaxDays} days after --from (default: today)`)
    .addOption(new Option('--format <format>', 'table, json, csv (one figure per line), or html (a self-contained page with charts)').choices(FORMATS).default('table'))
    .option('--top <n>', 'how many of the most expensive jobs to list', positiveInt, 10)
    .option('--out <file>', 'write the report to this file instead of standard output')
    .action(
      action(async (opts: Options) => {
        // Everything is checked before Redis is asked.
        const span = thisMonth();
        const query = parseOrThrow(HistoryQuery, { team: opts.team, project: opts.project, from: opts.from ?? span.from, to: opts.to ?? span.to }, 'report');
        if (opts.top > DEFAULTS.historyTopJobs) throw new InputError(`--top: at most ${DEFAULTS.historyTopJobs} (each month keeps its ${DEFAULTS.historyTopJobs} most expensive jobs)`, { where: '--top' });
        const redis = await cliConnection(redisTargetFromEnv(opts));
        let report: Report;
        try {
          const ledger = new Ledger({ redis, prefix: opts.prefix });
          const [rows, top] = await Promise.all([ledger.history(query), ledger.topJobs({ ...query, limit: opts.top })]);
          report = buildReport(query, rows, top);
        } finally {
          redis.disconnect();
        }
        const text = RENDER[opts.format](report);
        if (opts.out) writeFileSync(opts.out, text);
        else process.stdout.write(text);
      }),
    );
}
