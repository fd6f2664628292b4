import { Command, Option } from 'commander';
import { InputError } from '../errors.js';
import { cliConnection, redisTargetFromEnv } from '../queue/connection.js';
import { KeyStore, type KeyInfo } from '../service/keys.js';
import { action, oneOf, printJson } from './command.js';
import { withRedisOptions, type RedisFlags } from './options.js';
import { table } from './table.js';

async function withKeys<T>(f: RedisFlags, body: (keys: KeyStore) => Promise<T>): Promise<T> {
  const redis = await cliConnection(redisTargetFromEnv(f));
  try {
    return await body(new KeyStore(redis, f.prefix));
  } finally {
    redis.disconnect();
  }
}

const describe = (k: KeyInfo) => [k.id, k.team ?? '(all)', k.role, k.name || '-', k.createdAt];

export function keysCommand(): Command {
  const keys = new Command('keys').description('API keys of the service (vidgate serve): stored as hashes only');
  keys.addCommand(
    withRedisOptions(
      new Command('create')
        .description('create a key and print it once (it is never shown again)')
        .option('--team <team>', 'the team the key acts for')
        .addOption(new Option('--role <role>', 'submit: enqueue, quote, read jobs and budgets; manage: also change the policy').argParser(oneOf(['submit', 'manage'] as const)))
        .option('--admin', 'an admin key: every team, creates teams (no --team, no --role)', false)
        .option('--name <name>', 'a label for people', '')
        .option('--json', 'print { key, id, team, role, name, createdAt }', false),
    ).action(
      action(async (f: RedisFlags & { team?: string; role?: 'submit' | 'manage'; admin: boolean; name: string; json: boolean }) => {
        if (f.admin && f.role) throw new InputError('--admin and --role exclude each other', { where: '--role' });
        if (!f.admin && !f.role) throw new InputError('give --role submit|manage (or --admin)', { where: '--role', allowed: 'submit, manage' });
        const made = await withKeys(f, (k) => k.create({ team: f.team, role: f.admin ? 'admin' : f.role!, name: f.name }));
        if (f.json) return printJson({ key: made.key, ...made.info });
        process.stdout.write(`${made.key}\n`);
        process.stderr.write(`key ${made.info.id} (${made.info.role}${made.info.team ? ` of team ${made.info.team}` : ''}): shown once, keep it now\n`);
      }),
    ),
  );
  keys.addCommand(
    withRedisOptions(new Command('list').description('the keys (ids, teams, roles; never the keys)').option('--json', 'one JSON array', false)).action(
      action(async (f: RedisFlags & { json: boolean }) => {
        const all = await withKeys(f, (k) => k.list());
        if (f.json) return printJson(all);
        process.stdout.write(`${table(['id', 'team', 'role', 'name', 'created'], all.map(describe))}\n`);
      }),
    ),
  );
  keys.addCommand(
    withRedisOptions(new Command('revoke').description('revoke a key: it stops working at once').argument('<id>', 'the key id, as keys list shows')).action(
      action(async (id: string, f: RedisFlags) => {
        if (!(await withKeys(f, (k) => k.revoke(id)))) throw new InputError(`no key ${id}`, { where: 'ID', allowed: 'an id from vidgate keys list' });
        process.stdout.write(`revoked ${id}\n`);
      }),
    ),
  );
  return keys;
}
