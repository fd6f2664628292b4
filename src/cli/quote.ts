import { Command, Option } from 'commander';
import { InputError } from '../errors.js';
import { Job } from '../job.js';
import { formatMoney, money, type Money } from '../money.js';
import { decide, decisionJson, describeVariant, type Decision } from '../policy/decision.js';
import { ladder } from '../policy/ladder.js';
import { loadPolicyFile } from '../policy/load.js';
import { projectBudgetOf } from '../policy/schema.js';
import { parseYamlAs, readTextFile } from '../yaml-file.js';
import { action, moneyOption, printJson } from './command.js';
import { table } from './table.js';

export function loadJobFile(path: string): Job {
  const { file, text } = readTextFile(path, 'job file');
  return parseYamlAs(Job, text, `job file ${file}`).data;
}

function render(d: Decision): string {
  const l = d.ladder;
  const req = l.request;
  const requested = l.requestPrice.cost;
  const out = [
    `job ${req.id ?? '(no id)'} for ${req.team}/${req.project}: ${describeVariant({ ...req, mode: l.requestPrice.mode })}, ${req.stage}`,
    `rate card ${l.rateCard} (${l.currency}); requested cost ${formatMoney(requested)}`,
  ];
  if (l.rules.length) out.push('rules fired:', ...l.rules.map((r) => `  - ${r.rule}: ${r.detail}`));
  const rows = l.candidates.map((c, i) => [
    String(i),
    describeVariant(c.job),
    formatMoney(c.price.cost),
    formatMoney(c.reserve),
    String(c.ceiling),
    formatMoney(requested.minus(c.price.cost)),
    c.steps.join(', ') || '-',
  ]);
  if (rows.length) out.push('candidates:', table(['#', 'variant', 'cost', 'reserve', 'ceiling', 'saving', 'steps'], rows, new Set([2, 3, 4, 5])));
  if (l.dropped.length) out.push('never admitted:', ...l.dropped.map((c) => `  - ${describeVariant(c.job)}: ${c.reason}`));
  if (d.chosen === null) out.push(`decision: REJECT`, ...d.reasons.map((r) => `  - ${r}`));
  else {
    const c = l.candidates[d.chosen]!;
    out.push(
      `decision: ${d.outcome.toUpperCase()} candidate ${d.chosen}, ${describeVariant(c.job)} at ${formatMoney(c.price.cost)}` +
        ` (reserve ${formatMoney(c.reserve)}, saving ${formatMoney(requested.minus(c.price.cost))})`,
    );
  }
  return `${out.join('\n')}\n`;
}

export function quoteCommand(): Command {
  return new Command('quote')
    .description('show what the router would decide for a job under a team policy')
    .requiredOption('--policy <file>', 'team policy (YAML)')
    .requiredOption('--job <file>', 'the job (JSON or YAML)')
    .option('--budget <limit>', 'simulate a scope with this limit (unlimited if omitted)', moneyOption)
    .option('--used <amount>', 'already spent + reserved in that scope (default 0)', moneyOption)
    .addOption(new Option('--json', 'print one JSON object').default(false))
    .action(
      action((opts: { policy: string; job: string; budget?: Money; used?: Money; json: boolean }) => {
        if (opts.used && !opts.budget) throw new InputError('--used needs --budget (the limit it is used against)');
        const { policy, card } = loadPolicyFile(opts.policy);
        const job = loadJobFile(opts.job);
        if (job.team !== policy.team) {
          throw new InputError(`job is for team ${job.team} but policy ${opts.policy} is team ${policy.team}'s`);
        }
        if (!projectBudgetOf(policy, job.project)) {
          const has = Object.keys(policy.budgets.projects).join(', ') || 'none';
          throw new InputError(`project ${job.project} has no budget in policy ${opts.policy} (its projects: ${has}): the router rejects such a job (no-project-budget)`);
        }
        const scope = opts.budget && { limit: opts.budget, used: opts.used ?? money('0') };
        const utilization = scope && !scope.limit.isZero() ? scope.used.dividedBy(scope.limit) : undefined;
        const decision = decide(ladder(job, policy, card, { utilization }), scope);
        if (opts.json) printJson(decisionJson(decision));
        else process.stdout.write(render(decision));
      }),
    );
}
