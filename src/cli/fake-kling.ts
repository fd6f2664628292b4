import { Command, Option } from 'commander';
import { ModelId } from '../catalog.js';
import { InputError } from '../errors.js';
import { DEFAULT_RATE_CARD, loadRateCard } from '../pricing/rate-cards.js';
import { FAILURE_CLASSES, startFakeKling, type FailureClass } from '../providers/fake-kling/server.js';
import { StateFileError } from '../providers/fake-kling/state-file.js';
import { action, csv, fraction, portOption, positiveInt } from './command.js';

interface Options {
  port: number;
  host: string;
  apiKey?: string;
  accessKey?: string;
  secretKey?: string;
  latencyMs: number;
  failureRate?: number;
  failures?: string[];
  unavailable?: string[];
  concurrencyLimit?: number;
  callbackSecret?: string;
  rateCard: string;
  seed?: number;
  state?: string;
}

export function fakeKlingCommand(): Command {
  return new Command('fake-kling')
    .description('run a local Kling-compatible server (for the demo and tests; no internet needed)')
    .option('--port <n>', 'port (0 picks a free one)', portOption(true), 8787)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--api-key <key>', 'require "Authorization: Bearer <key>"')
    .option('--access-key <ak>', 'accept JWTs issued by this access key…')
    .option('--secret-key <sk>', '…and signed HS256 with this secret key')
    .addOption(new Option('--latency-ms <n>', 'time from create to the final status').argParser((v) => (v === '0' ? 0 : positiveInt(v))).default(2000))
    .option('--failure-rate <f>', 'share of creates that fail with an injected failure', fraction)
    .option('--failures <classes>', `injected failure classes (${FAILURE_CLASSES.join(', ')})`, csv)
    .option('--unavailable <models>', 'models under maintenance (answer 5001)', csv)
    .option('--concurrency-limit <n>', 'unfinished tasks per model before 1303', positiveInt)
    .option('--callback-secret <whsec>', 'sign callbacks with this Standard Webhooks secret')
    .option('--rate-card <id|file>', 'prices the billing records', DEFAULT_RATE_CARD)
    .option('--seed <n>', 'seed for injected failures and output durations', positiveInt)
    .option('--state <file>', 'remember tasks in this file (append-only, replayed at start): a restarted server still knows and bills them')
    .action(
      action(async (o: Options) => {
        const unknownModel = (o.unavailable ?? []).find((m) => !ModelId.safeParse(m).success);
        if (unknownModel) throw new InputError(`--unavailable: unknown model "${unknownModel}"; allowed: ${ModelId.options.join(', ')}`);
        const unknownClass = (o.failures ?? []).find((f) => !(FAILURE_CLASSES as readonly string[]).includes(f));
        if (unknownClass) throw new InputError(`--failures: unknown class "${unknownClass}"; allowed: ${FAILURE_CLASSES.join(', ')}`);
        if (Boolean(o.accessKey) !== Boolean(o.secretKey)) throw new InputError('--access-key and --secret-key go together');
        if (o.callbackSecret && !o.callbackSecret.startsWith('whsec_')) throw new InputError('--callback-secret must start with whsec_');
        const server = await startFakeKling({
          host: o.host,
          port: o.port,
          apiKey: o.apiKey,
          accessKey: o.accessKey,
          secretKey: o.secretKey,
          latencyMs: o.latencyMs,
          failureRate: o.failureRate,
          failureClasses: o.failures as FailureClass[] | undefined,
          unavailable: o.unavailable as ModelId[] | undefined,
          concurrencyLimit: o.concurrencyLimit,
          callbackSecret: o.callbackSecret,
          rateCard: loadRateCard(o.rateCard),
          seed: o.seed,
          ...(o.state ? { stateFile: o.state } : {}),
        }).catch((err: unknown) => {
          throw err instanceof StateFileError ? new InputError(`--state: ${err.message}`) : err;
        });
        const remembered = o.state ? `; ${server.tasks().length} tasks remembered from ${o.state}` : '';
        process.stdout.write(`fake-kling listening on ${server.url} (billing from rate card ${o.rateCard}; 1 unit = 1 currency unit${remembered})\n`);
        await new Promise<void>((resolve) => {
          const stop = () => void server.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
