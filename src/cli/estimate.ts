import { Command, Option } from 'commander';
import { ModelId, Mode, ReferenceKind, Resolution } from '../catalog.js';
import { InputError } from '../errors.js';
import type { PriceRequest } from '../job.js';
import { formatMoney, type Money } from '../money.js';
import { compare, comparisonJson, estimate, estimateJson } from '../pricing/estimate.js';
import { DEFAULT_RATE_CARD, loadRateCard } from '../pricing/rate-cards.js';
import type { Price } from '../pricing/price.js';
import { action, csv, oneOf, positiveInt, positiveNumber, printJson } from './command.js';
import { table } from './table.js';

interface EstimateOptions {
  model?: ModelId;
  mode?: Mode;
  resolution: Resolution;
  audio: boolean;
  duration: number;
  reference?: ReferenceKind;
  referenceDuration?: number;
  count: number;
  rateCard: string;
  compare?: string[];
  json: boolean;
}

function describeRate(p: Price): string {
  if (p.basis === 'fixed') return `fixed ${formatMoney(p.fixedPrice!)} for ${p.billedSeconds} s`;
  const audio = p.audio ? ` (silent ${formatMoney(p.baseRate, 3)} + audio ${formatMoney(p.audioDelta, 3)})` : '';
  return `${formatMoney(p.rate, 3)} /s${audio}`;
}

function delta(d: Money): string {
  return d.isZero() ? '0.00' : `${d.isPositive() ? '+' : ''}${formatMoney(d)}`;
}

export function estimateCommand(): Command {
  return new Command('estimate')
    .description('price a generation job exactly from a rate card')
    .addOption(new Option('--model <model>', 'model to price').argParser(oneOf(ModelId.options)))
    .addOption(new Option('--mode <mode>', "generation mode (default: the model's only mode)").argParser(oneOf(Mode.options)))
    .addOption(new Option('--resolution <res>', 'output resolution').argParser(oneOf(Resolution.options)).makeOptionMandatory())
    .option('--audio', 'with native audio', false)
    .requiredOption('--duration <seconds>', 'output duration in seconds (billed rounded, x.5 up)', positiveNumber)
    .addOption(new Option('--reference <kind>', 'Motion Control reference clip').argParser(oneOf(ReferenceKind.options)))
    .option('--reference-duration <seconds>', 'duration of the reference clip', positiveNumber)
    .option('--count <n>', 'number of clips', positiveInt, 1)
    .option('--rate-card <id|file>', 'built-in rate card id or a JSON file', DEFAULT_RATE_CARD)
    .option('--compare <models>', 'price the same job on several models, comma-separated', csv)
    .option('--json', 'print one JSON object', false)
    .action(
      action((opts: EstimateOptions) => {
        const card = loadRateCard(opts.rateCard);
        const models = [...new Set([...(opts.model ? [opts.model] : []), ...(opts.compare ?? [])])];
        for (const m of models) {
          if (!ModelId.safeParse(m).success) {
            throw new InputError(`--compare: unknown model "${m}"; allowed: ${ModelId.options.join(', ')}`);
          }
        }
        if (models.length === 0) throw new InputError('name a model with --model (or several with --compare)');
        const req: PriceRequest = {
          model: models[0] as ModelId,
          mode: opts.mode,
          resolution: opts.resolution,
          audio: opts.audio,
          durationSeconds: opts.duration,
          reference: opts.reference && { kind: opts.reference, durationSeconds: opts.referenceDuration },
        };

        if (!opts.compare) {
          const e = estimate(req, card, opts.count);
          if (opts.json) return printJson(estimateJson(e));
          const p = e.price;
          const lines = [
            `${p.model} ${p.mode}, ${p.resolution}, ${p.audio ? 'with audio' : 'silent'}, ${p.durationSeconds} s (billed ${p.billedSeconds} s)`,
            `rate card ${p.rateCard}, ${p.currency}`,
            `  rate      ${describeRate(p)}`,
            `  per clip  ${formatMoney(p.cost)}`,
            `  clips     ${e.count}`,
            `  total     ${formatMoney(e.total)} ${p.currency}`,
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
          return;
        }

        const rows = compare(req, models as ModelId[], card, opts.count);
        if (opts.json) {
          return printJson({ rateCard: card.id, currency: card.currency, count: opts.count, comparisons: rows.map(comparisonJson) });
        }
        process.stdout.write(
          `${opts.resolution}, ${opts.audio ? 'with audio' : 'silent'}, ${opts.duration} s, ${opts.count} clip(s); rate card ${card.id}, ${card.currency}\n`,
        );
        process.stdout.write(
          `${table(
            ['model', 'mode', 'rate', 'per clip', 'total', `vs ${rows[0]!.price.model}`],
            rows.map((r) => [
              r.price.model,
              r.price.mode,
              describeRate(r.price),
              formatMoney(r.price.cost),
              formatMoney(r.total),
              delta(r.deltaTotal),
            ]),
            new Set([3, 4, 5]),
          )}\n`,
        );
      }),
    );
}
