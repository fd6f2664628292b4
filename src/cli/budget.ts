import { Command, Option } from 'commander';
import { Ledger } from '../ledger/ledger.js';
import { BudgetInput } from '../ledger/schema.js';
import { Period } from '../ledger/windows.js';
import { cliConnection, redisTargetFromEnv } from '../queue/connection.js';
import { parseOrThrow } from '../validation.js';
import { money } from '../money.js';
import { action, csv, printJson } from './command.js';
import { withRedisOptions } from './options.js';

/** Opens the ledger for one command and closes its connection afterwards. */
async function withLedger<T>(flags: { redis?: string; redisCluster?: string }, prefix: string | undefined, body: (ledger: Ledger) => Promise<T>): Promise<T> {
  const redis = await cliConnection(redisTargetFromEnv(flags));
  const ledger = new Ledger({ redis, prefix, actor: `cli:${process.env.USER ?? 'unknown'}` });
  try {
    return await body(ledger);
  } finally {
    redis.disconnect();
  }
}

interface SetOptions {
  team: string;
  project?: string;
  limit: string;
  period: string;
  alerts?: string[];
  redis?: string;
  redisCluster?: string;
  prefix?: string;
}

export function budgetCommand(): Command {
  const budget = new Command('budget').description('set and show team and project budgets in Redis');
  withRedisOptions(budget.command('set'))
    .description('set a budget (never touches what is spent or reserved)')
    .requiredOption('--team <team>', 'team')
    .option('--project <project>', 'project (omit for the team-wide budget)')
    .requiredOption('--limit <amount>', 'limit per period, e.g. 500 or 1250.50')
    .addOption(new Option('--period <period>', 'budget window (UTC calendar)').choices(Period.options).makeOptionMandatory())
    .option('--alerts <fractions>', 'alert thresholds as fractions of the limit, e.g. 0.5,0.8', csv)
    .action(
      action(async (opts: SetOptions) => {
        // Validated in full before Redis is touched: bad input writes nothing.
        const input = parseOrThrow(
          BudgetInput,
          {
            team: opts.team,
            project: opts.project,
            limit: opts.limit,
            period: opts.period,
            alerts: opts.alerts?.map((a) => (/^\d*\.?\d+$/.test(a) ? Number(a) : a)),
          },
          'budget',
        );
        const { changed } = await withLedger(opts, opts.prefix, (l) =>
          l.setBudget({ ...input, limit: input.limit.toString() }),
        );
        const who = input.project ? `team ${input.team}, project ${input.project}` : `team ${input.team}`;
        process.stdout.write(`${changed ? 'set' : 'unchanged'}: ${who}, ${input.limit.toString()} ${input.period}\n`);
      }),
    );
  withRedisOptions(budget.command('show'))
    .description("show a budget and its current window's spend")
    .requiredOption('--team <team>', 'team')
    .option('--project <project>', 'project (omit for the team-wide budget)')
    .option('--json', 'print one JSON object', false)
    .action(
      action(async (opts: { team: string; project?: string; json: boolean; redis?: string; redisCluster?: string; prefix?: string }) => {
        const scope = { team: opts.team, ...(opts.project ? { project: opts.project } : {}) };
        const view = await withLedger(opts, opts.prefix, (l) => l.getBudget(scope));
        const who = opts.project ? `team ${opts.team}, project ${opts.project}` : `team ${opts.team}`;
        if (!view) {
          process.stderr.write(`vidgate: no budget is set for ${who}\n`);
          process.exitCode = 1;
          return;
        }
        if (opts.json) return printJson(view);
        const limit = money(view.limit);
        const used = limit.isZero() ? '100' : money(view.spent).plus(view.reserved).dividedBy(limit).times(100).toFixed(1);
        process.stdout.write(
          [
            `${who}: ${view.period} budget, window ${view.window}`,
            `  limit      ${view.limit}`,
            `  spent      ${view.spent}`,
            `  reserved   ${view.reserved}`,
            `  available  ${view.available}  (${used}% used)`,
            `  alerts     ${view.alerts.length ? view.alerts.map((a) => `${a * 100}%`).join(', ') : 'none'}`,
          ].join('\n') + '\n',
        );
      }),
    );
  return budget;
}
