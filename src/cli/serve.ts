import { Command, Option } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { Ledger } from '../ledger/ledger.js';
import { createLogger } from '../log.js';
import { createClient } from '../queue/client.js';
import { cliConnection, describeTarget, redisTargetFromEnv, workerConnection } from '../queue/connection.js';
import { buildService } from '../service/app.js';
import { PolicyVersions } from '../queue/policy-versions.js';
import { KeyStore } from '../service/keys.js';
import { parseTrustProxy } from '../service/trust-proxy.js';
import { action, portOption, positiveInt } from './command.js';
import { withRedisOptions, type RedisFlags } from './options.js';

interface ServeFlags extends RedisFlags {
  port: number;
  host: string;
  rateLimit: number;
  waitMs: number;
  trustProxy?: string;
}

export function serveCommand(): Command {
  return withRedisOptions(
    new Command('serve')
      .description('serve the HTTP API (workers run separately: vidgate worker)')
      .addOption(new Option('--port <port>', 'TCP port (0: any free one)').argParser(portOption(true)).default(DEFAULTS.servicePort))
      .option('--host <host>', 'address to listen on', DEFAULTS.serviceHost)
      .option('--rate-limit <n>', 'requests per key per minute', positiveInt, DEFAULTS.serviceRateLimit)
      .option('--wait-ms <ms>', 'longest ?wait=decision wait, ms', positiveInt, DEFAULTS.serviceDecisionWaitMs)
      .addOption(new Option('--trust-proxy <addresses>', "proxies in front (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For/-Proto are believed: behind a TLS proxy the dashboard's cookie is then Secure").env('VIDGATE_TRUST_PROXY'))
      .addHelpText('after', '\nEvery /v1 route needs "Authorization: Bearer <key>" (vidgate keys create); VIDGATE_ADMIN_KEY sets an admin key.\nGET /openapi.json is the OpenAPI 3.1 document, /docs its browser view.\nThe dashboard is at / (sign in with a key); GET /metrics takes VIDGATE_METRICS_TOKEN or an admin key; /admin/queues (bull-board) needs an admin dashboard session.'),
  ).action(
    action(async (f: ServeFlags) => {
      const trustProxy = f.trustProxy === undefined ? undefined : parseTrustProxy(f.trustProxy);
      const url = redisTargetFromEnv(f);
      const probe = await cliConnection(url); // fail fast, saying what to start
      probe.disconnect();
      const redis = workerConnection(url);
      const ledger = new Ledger({ redis, prefix: f.prefix, actor: 'service' });
      const policies = new PolicyVersions({ redis, prefix: f.prefix, ledger });
      const client = createClient({ redis, prefix: f.prefix });
      const log = createLogger('vidgate-serve');
      const app = await buildService({
        redis,
        prefix: f.prefix,
        client,
        ledger,
        keys: new KeyStore(redis, f.prefix),
        policies,
        adminKey: process.env.VIDGATE_ADMIN_KEY || undefined,
        metricsToken: process.env.VIDGATE_METRICS_TOKEN || undefined,
        rateLimit: { max: f.rateLimit, windowMs: 60_000 },
        decisionWaitMs: f.waitMs,
        ...(trustProxy ? { trustProxy } : {}),
        ready: async () => {
          await redis.ping();
          await ledger.getBudget({ team: 'readyz' });
        },
        log,
      });
      const address = await app.listen({ port: f.port, host: f.host });
      process.stdout.write(`vidgate serve: listening on ${address} (Redis ${describeTarget(url)}, teams ${(await policies.teams()).join(', ') || '(none)'})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void app.close().then(() => client.close()).then(() => redis.quit()).then(() => resolve());
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    }),
  );
}
