import { createServer } from 'node:net';
import { Command, Option } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { InputError } from '../errors.js';
import { createLogger } from '../log.js';
import { DEFAULT_KLING_BASE_URL } from '../providers/kling/adapter.js';
import { cliConnection, describeTarget, safeUrl } from '../queue/connection.js';
import { startWorkers, type WorkerConfig } from '../queue/runtime.js';
import { Name } from '../names.js';
import { parseOrThrow } from '../validation.js';
import { allowPrivateFromEnv } from '../webhooks/api.js';
import { klingOptionsFromEnv } from './kling-env.js';
import { redisTargetFrom } from '../redis-connection.js';
import { withRedisOptions } from './options.js';
import { action, portOption, positiveInt } from './command.js';

export { klingCredentialsFromEnv } from './kling-env.js';

export interface WorkerFlags {
  policies?: string;
  concurrency?: number;
  routerOnly?: boolean;
  generatorOnly?: boolean;
  redis?: string;
  redisCluster?: string;
  prefix: string;
  klingBaseUrl?: string;
  modelConcurrency?: number;
  account?: string;
  accountConcurrency?: number;
  callbackPort?: number;
  callbackUrl?: string;
  pollMs?: number;
  leaseMs?: number;
  lockMs?: number;
  slotLeaseMs?: number;
  webhooksAllowPrivate?: boolean;
}

export function workerConfig(f: WorkerFlags, env = process.env): WorkerConfig {
  if (f.routerOnly && f.generatorOnly) throw new InputError('--router-only and --generator-only exclude each other');
  const generator = !f.routerOnly;
  const callbackUrl = f.callbackUrl ?? env.VIDGATE_CALLBACK_URL;
  if (Boolean(callbackUrl) !== Boolean(f.callbackPort)) throw new InputError('--callback-port and --callback-url (or VIDGATE_CALLBACK_URL) go together');
  return {
    redisUrl: redisTargetFrom(f, env),
    prefix: f.prefix,
    ...(f.policies !== undefined ? { policiesDir: f.policies } : {}),
    router: !f.generatorOnly,
    generator,
    concurrency: f.concurrency ? { router: f.concurrency, generator: f.concurrency } : undefined,
    kling: klingOptionsFromEnv(f.klingBaseUrl, env, generator),
    modelConcurrency: f.modelConcurrency,
    ...(f.account !== undefined ? { account: parseOrThrow(Name, f.account, '--account') } : {}),
    ...(f.accountConcurrency ? { accountConcurrency: f.accountConcurrency } : {}),
    ...(f.callbackPort && callbackUrl ? { callback: { port: f.callbackPort, publicUrl: callbackUrl } } : {}),
    ...(f.pollMs ? { poll: { intervalMs: f.pollMs, maxIntervalMs: f.pollMs * 4 }, slotRetryMs: f.pollMs } : {}),
    ...(f.leaseMs ? { leaseMs: f.leaseMs, reaperIntervalMs: Math.max(100, Math.floor(f.leaseMs / 4)) } : {}),
    ...(f.slotLeaseMs ? { slotLeaseMs: f.slotLeaseMs, dispatchIdleMs: Math.max(50, Math.floor(f.slotLeaseMs / 4)) } : {}),
    webhooks: { allowPrivate: f.webhooksAllowPrivate === true || allowPrivateFromEnv(env) },
    ...(f.lockMs ? { lockDurationMs: f.lockMs, stalledIntervalMs: Math.max(100, Math.floor(f.lockMs / 2)) } : {}),
  };
}

/** Runs workers until SIGTERM or SIGINT (graceful: active jobs finish or are handed back); SIGHUP applies --policies again and re-reads Redis. */
export async function runWorkers(cfg: WorkerConfig): Promise<void> {
  const probe = await cliConnection(cfg.redisUrl); // fail fast, saying what to start
  probe.disconnect();
  // A taken port must fail the start before the router writes any budget.
  if (cfg.callback && cfg.generator !== false) await checkPortFree(cfg.callback.port);
  const log = createLogger('vidgate-worker');
  const running = await startWorkers({ ...cfg, log });
  const roles = [cfg.router !== false && 'router', cfg.generator !== false && 'generator'].filter(Boolean).join(' and ');
  const teams = cfg.router === false ? '' : `, teams ${running.policies.teams().join(', ') || '(none)'}`;
  process.stdout.write(`vidgate worker ready: ${roles} on ${typeof cfg.redisUrl === 'string' ? safeUrl(cfg.redisUrl) : describeTarget(cfg.redisUrl)}${teams}
`);
  process.on('SIGHUP', () => void running.reloadPolicies());
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping: finishing active jobs');
      void running.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // Closed: every job finished or was handed back, every connection asked to quit. A connection
  // that never answers (a Cluster node that died mid-failover, reconnecting for ever) must not keep
  // a stopped worker alive; the log is written synchronously, so nothing said is lost.
  log.info('stopped');
  process.exit();
}

/** Listens on `port` and lets it go again, or says why it cannot be had. */
async function checkPortFree(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new InputError(`--callback-port ${port}: cannot listen there (${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ': another process has it' : ''}); pick a free port`)),
    );
    server.listen(port, () => server.close(() => resolve()));
  });
}

export function workerCommand(): Command {
  return withRedisOptions(new Command('worker'))
    .description('run the router and generator workers, and the webhook dispatcher and deliveries (Kling credentials from KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY)')
    .option('--policies <dir>', 'apply the policy files of this directory (as `vidgate policy apply`), then run, applying a changed file as a new version; without it the router runs on the policies in Redis')
    .option('--concurrency <n>', 'jobs each worker runs at once', positiveInt)
    .option('--router-only', 'run only the router (decisions)')
    .option('--generator-only', 'run only the generator (provider and settlement)')
    .option('--kling-base-url <url>', `Kling API (default: $KLING_BASE_URL or ${DEFAULT_KLING_BASE_URL})`)
    .option('--account <name>', `the provider account whose concurrent tasks all teams share, fairly by their policies' scheduling.share (default ${DEFAULTS.account})`)
    .option('--account-concurrency <n>', `concurrent provider tasks of that account, across all workers and teams (default ${DEFAULTS.accountConcurrency}, Kling's standard pack); give every worker the same`, positiveInt)
    .option('--model-concurrency <n>', `concurrent provider tasks per model, inside the account's (default ${DEFAULTS.modelConcurrency})`, positiveInt)
    .option('--callback-port <n>', 'receive Kling callbacks on this port (1-65535)', portOption())
    .option('--callback-url <url>', 'the public URL of that endpoint (or VIDGATE_CALLBACK_URL)')
    .addOption(new Option('--poll-ms <n>').argParser(positiveInt).hideHelp())
    .option('--lease-ms <n>', `how long a reservation is held without word from its worker (default ${DEFAULTS.leaseMs}, ${DEFAULTS.leaseMs / 60_000} min)`, positiveInt)
    .addOption(new Option('--lock-ms <n>').argParser(positiveInt).hideHelp())
    .addOption(new Option('--slot-lease-ms <n>').argParser(positiveInt).hideHelp())
    .option('--webhooks-allow-private', 'let webhooks reach loopback, private, link-local and metadata addresses (development only; or VIDGATE_WEBHOOKS_ALLOW_PRIVATE=1)')
    .action(action((flags: WorkerFlags) => runWorkers(workerConfig(flags))));
}
