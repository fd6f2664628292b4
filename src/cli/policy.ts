import { hostname } from 'node:os';
import { Command } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { InputError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { cliConnection, redisTargetFromEnv } from '../queue/connection.js';
import { describeChange, policyDocuments } from '../queue/policy-files.js';
import { PolicyVersions } from '../queue/policy-versions.js';
import { action, positiveInt, printJson } from './command.js';
import { withRedisOptions, type RedisFlags } from './options.js';

/** Who a CLI apply is recorded as: the login and the host. */
const cliActor = () => `${process.env.USER ?? process.env.USERNAME ?? 'unknown'}@${hostname()}`;

async function withVersions<T>(flags: RedisFlags, body: (v: PolicyVersions) => Promise<T>): Promise<T> {
  const redis = await cliConnection(redisTargetFromEnv(flags));
  const ledger = new Ledger({ redis, prefix: flags.prefix, actor: `policy:${cliActor()}` });
  try {
    return await body(new PolicyVersions({ redis, prefix: flags.prefix, ledger }));
  } finally {
    redis.disconnect();
  }
}

export function policyCommand(): Command {
  const policy = new Command('policy').description('team policies in Redis, versioned: apply files, show a version, list the history');

  withRedisOptions(policy.command('apply'))
    .description('validate every policy file, then apply them all as new versions (a team whose policy did not change keeps its version); one bad file applies nothing')
    .requiredOption('-f, --file <path...>', 'policy files or directories (a directory: its *.yaml, *.yml and *.json files)')
    .option('--dry-run', 'validate and print what would change; write nothing', false)
    .option('--json', 'print one JSON array: per team, from, to (null: unchanged), changed, summary', false)
    .action(
      action(async (f: RedisFlags & { file: string[]; dryRun: boolean; json: boolean }) => {
        // Read and parsed before Redis is touched: a bad file fails without a connection.
        const docs = policyDocuments(f.file);
        const changes = await withVersions(f, (v) => v.apply(docs, { actor: cliActor(), dryRun: f.dryRun }));
        if (f.json) return printJson(changes);
        process.stdout.write(`${changes.map((c) => describeChange(c, f.dryRun)).join('\n')}\n`);
      }),
    );

  withRedisOptions(policy.command('show'))
    .description("print a team's policy as it was applied (the current version, or --version N)")
    .argument('<team>', 'team')
    .option('--version <n>', 'this version instead of the current one', positiveInt)
    .option('--json', 'print one JSON object: the version, who applied it, when, from where, its source', false)
    .action(
      action(async (team: string, f: RedisFlags & { version?: number; json: boolean }) => {
        const stored = await withVersions(f, (v) => (f.version === undefined ? v.current(team) : v.version(team, f.version)));
        if (!stored) {
          const what = f.version === undefined ? 'no policy' : `no version ${f.version} (never applied, or older than the ${DEFAULTS.policyHistory} kept)`;
          throw new InputError(`team ${team} has ${what}`);
        }
        const { active, ...rest } = stored;
        if (f.json) return printJson({ ...rest, policyVersion: active.version, rateCard: active.card.id });
        process.stderr.write(`# team ${stored.team}, version ${stored.version} (${active.version}), by ${stored.by} at ${stored.at}, from ${stored.origin}\n`);
        process.stdout.write(stored.source.endsWith('\n') ? stored.source : `${stored.source}\n`);
      }),
    );

  withRedisOptions(policy.command('history'))
    .description("a team's policy versions, newest first")
    .argument('<team>', 'team')
    .option('--limit <n>', `at most this many (default ${DEFAULTS.policyHistoryShown}; ${DEFAULTS.policyHistory} are kept)`, positiveInt)
    .option('--json', 'print one JSON array: team, version, digest, by, at, origin, format', false)
    .action(
      action(async (team: string, f: RedisFlags & { limit?: number; json: boolean }) => {
        const rows = await withVersions(f, (v) => v.history(team, { limit: f.limit ?? DEFAULTS.policyHistoryShown }));
        if (f.json) return printJson(rows);
        if (rows.length === 0) throw new InputError(`team ${team} has no policy`);
        for (const r of rows) process.stdout.write(`${r.version}\t${r.at}\t${r.by}\t${r.digest}\t${r.origin}\n`);
      }),
    );
  return policy;
}
