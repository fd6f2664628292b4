import { Command, Option } from 'commander';
import { isMotionControl, MAX_REFERENCE_SECONDS, ModelId, Mode, Orientation, Resolution } from '../catalog.js';
import { InputError } from '../errors.js';
import type { PriceRequest } from '../job.js';
import { formatMoney, type Money } from '../money.js';
import { compare, comparisonJson, estimate, estimateJson, type Estimate } from '../pricing/estimate.js';
import { DEFAULT_RATE_CARD, loadRateCard } from '../pricing/rate-cards.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import type { Price } from '../pricing/price.js';
import { action, csv, MAX_FLAG_INT, oneOf, positiveInt, positiveNumber, printJson } from './command.js';
import { table } from './table.js';

interface EstimateOptions {
  model?: ModelId;
  mode?: Mode;
  resolution: Resolution;
  audio: boolean;
  duration?: number;
  orientation?: Orientation;
  referenceSeconds?: number;
  /** The flags before orientations: accepted only to say what replaced them. */
  reference?: string;
  referenceDuration?: string;
  count: number;
  rateCard: string;
  compare?: string[];
  json: boolean;
}

const LIMITS = `image: reference video up to ${MAX_REFERENCE_SECONDS.image} s, video: up to ${MAX_REFERENCE_SECONDS.video} s`;

function describeRate(p: Price): string {
  if (p.basis === 'fixed') return `fixed ${formatMoney(p.fixedPrice!)} for ${p.billedSeconds} s`;
  const audio = p.audio ? ` (silent ${formatMoney(p.baseRate, 3)} + audio ${formatMoney(p.audioDelta, 3)})` : '';
  return `${formatMoney(p.rate, 3)} /s${audio}`;
}

/** "10 s" for a clip; for Motion Control the reference video that sets the length. */
function describeLength(p: Price): string {
  const length = p.reference ? `reference video ${p.durationSeconds} s, orientation ${p.reference.orientation}` : `${p.durationSeconds} s`;
  return `${length} (billed ${p.billedSeconds} s)`;
}

function delta(d: Money): string {
  return d.isZero() ? '0.00' : `${d.isPositive() ? '+' : ''}${formatMoney(d)}`;
}

function modelsOf(opts: EstimateOptions): ModelId[] {
  const models = [...new Set([...(opts.model ? [opts.model] : []), ...(opts.compare ?? [])])];
  for (const m of models) {
    if (!ModelId.safeParse(m).success) throw new InputError(`--compare: unknown model "${m}"; allowed: ${ModelId.options.join(', ')}`);
  }
  if (models.length === 0) throw new InputError('name a model with --model (or several with --compare)');
  return models as ModelId[];
}

/** Motion Control's length is its reference video's: the flags say so, or the estimate is refused. */
function motionControlLength(opts: EstimateOptions): Pick<PriceRequest, 'durationSeconds' | 'reference'> {
  if (opts.duration !== undefined) {
    throw new InputError(
      "--duration: Motion Control has no duration: its output runs, and is billed, as long as the reference video; give --orientation image|video and --reference-seconds S instead",
    );
  }
  if (!opts.orientation) throw new InputError(`Motion Control needs --orientation image|video (${LIMITS})`);
  if (opts.referenceSeconds === undefined) {
    throw new InputError("Motion Control needs --reference-seconds S, the reference video's length: it is what is billed, and vidgate never prices a guess");
  }
  return { durationSeconds: opts.referenceSeconds, reference: { orientation: opts.orientation, videoSeconds: opts.referenceSeconds } };
}

function requestOf(opts: EstimateOptions, models: ModelId[]): PriceRequest {
  if (opts.reference !== undefined || opts.referenceDuration !== undefined) {
    const flag = opts.reference !== undefined ? '--reference' : '--reference-duration';
    throw new InputError(`${flag} is gone: Motion Control takes --orientation image|video and --reference-seconds S (${LIMITS})`);
  }
  const base = { model: models[0]!, mode: opts.mode, resolution: opts.resolution, audio: opts.audio };
  const mc = models.filter((m) => isMotionControl(m, opts.mode));
  if (mc.length > 0 && mc.length < models.length) {
    throw new InputError('--compare: Motion Control is priced on its reference video, the other models on --duration: compare them separately');
  }
  if (mc.length > 0) return { ...base, ...motionControlLength(opts) };
  if (opts.orientation !== undefined || opts.referenceSeconds !== undefined) {
    throw new InputError(`--orientation and --reference-seconds are for Motion Control only; ${models.join(', ')} ${models.length > 1 ? 'take' : 'takes'} --duration`);
  }
  if (opts.duration === undefined) throw new InputError(`--duration S is required: the output seconds of ${models.join(', ')}`);
  return { ...base, durationSeconds: opts.duration };
}

function printOne(e: Estimate): void {
  const p = e.price;
  const lines = [
    `${p.model} ${p.mode}, ${p.resolution}, ${p.audio ? 'with audio' : 'silent'}, ${describeLength(p)}`,
    `rate card ${p.rateCard}, ${p.currency}`,
    `  rate      ${describeRate(p)}`,
    `  per clip  ${formatMoney(p.cost)}`,
    `  clips     ${e.count}`,
    `  total     ${formatMoney(e.total)} ${p.currency}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printComparison(req: PriceRequest, models: ModelId[], card: RateCard, opts: EstimateOptions): void {
  const rows = compare(req, models, card, opts.count);
  if (opts.json) {
    return printJson({ rateCard: card.id, currency: card.currency, count: opts.count, comparisons: rows.map(comparisonJson) });
  }
  process.stdout.write(
    `${opts.resolution}, ${opts.audio ? 'with audio' : 'silent'}, ${describeLength(rows[0]!.price)}, ${opts.count} clip(s); rate card ${card.id}, ${card.currency}\n`,
  );
  const cells = rows.map((r) => [r.price.model, r.price.mode, describeRate(r.price), formatMoney(r.price.cost), formatMoney(r.total), delta(r.deltaTotal)]);
  process.stdout.write(`${table(['model', 'mode', 'rate', 'per clip', 'total', `vs ${rows[0]!.price.model}`], cells, new Set([3, 4, 5]))}\n`);
}

export function estimateCommand(): Command {
  return new Command('estimate')
    .description('price a generation job exactly from a rate card')
    .addOption(new Option('--model <model>', 'model to price').argParser(oneOf(ModelId.options)))
    .addOption(new Option('--mode <mode>', "generation mode (default: the model's only mode on the card)").argParser(oneOf(Mode.options)))
    .addOption(new Option('--resolution <res>', 'output resolution').argParser(oneOf(Resolution.options)).makeOptionMandatory())
    .option('--audio', 'with native audio', false)
    .option('--duration <seconds>', 'output duration in seconds (billed rounded, x.5 up); not for Motion Control', positiveNumber)
    .addOption(new Option('--orientation <image|video>', `Motion Control's character orientation (${LIMITS})`).argParser(oneOf(Orientation.options)))
    .option('--reference-seconds <seconds>', "Motion Control: the reference video's length, which sets the output and the bill", positiveNumber)
    .addOption(new Option('--reference <kind>').hideHelp())
    .addOption(new Option('--reference-duration <seconds>').hideHelp())
    .option('--count <n>', `number of clips (1 to ${MAX_FLAG_INT})`, positiveInt, 1)
    .option('--rate-card <id|file>', 'built-in rate card id or a JSON file', DEFAULT_RATE_CARD)
    .option('--compare <models>', 'price the same job on several models, comma-separated', csv)
    .option('--json', 'print one JSON object', false)
    .addHelpText(
      'after',
      '\nMotion Control has no --duration: it runs, and is billed, as long as its reference video:\n' +
        '  vidgate estimate --model kling-motion-control --resolution 1080p --orientation video --reference-seconds 30',
    )
    .action(
      action((opts: EstimateOptions) => {
        const card = loadRateCard(opts.rateCard);
        const models = modelsOf(opts);
        const req = requestOf(opts, models);
        if (opts.compare) return printComparison(req, models, card, opts);
        const e = estimate(req, card, opts.count);
        if (opts.json) return printJson(estimateJson(e));
        printOne(e);
      }),
    );
}
