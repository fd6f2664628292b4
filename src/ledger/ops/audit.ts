import type { RedisConnection as Redis } from '../../redis-connection.js';
import type { LedgerKeys } from '../keys.js';
import type { AuditEntry } from '../schema.js';
import { decodeMoneyFields } from '../codec.js';

const BALANCES = ['project.spent', 'project.reserved', 'team.spent', 'team.reserved'];
const RESOLVED = ['amount', 'charged', 'actual', ...BALANCES];

/**
 * The fields of each audit entry that hold micro-units, by the `op` that wrote it (see the
 * scripts' `audit(...)` calls): amounts, limits, and the balances after the operation.
 */
const AUDIT_MONEY: Record<string, readonly string[]> = {
  reserve: ['amount', ...BALANCES],
  reject: BALANCES,
  'top-up': ['amount', ...BALANCES],
  committed: RESOLVED,
  released: RESOLVED,
  expired: RESOLVED,
  alert: ['limit', 'spent', 'reserved'],
  'set-budget': ['limit', 'previousLimit'],
  reconcile: ['amount', 'charged', ...BALANCES],
  extend: [],
};

/** One stream entry (id, flat field list) as the API shows it. */
export function decodeAuditEntry(team: string, [id, flat]: [string, string[]]): AuditEntry {
  const raw: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) raw[flat[i]!] = flat[i + 1]!;
  const fields = decodeMoneyFields(raw, AUDIT_MONEY[raw.op ?? ''] ?? []);
  fields.team ??= team;
  return { id, op: fields.op ?? '', at: Number(fields.at ?? 0), fields };
}

/** A team's audit entries, oldest first: the newest `count`, or those after an entry id. */
export async function readAudit(redis: Redis, keys: LedgerKeys, team: string, opts: { count?: number; after?: string }): Promise<AuditEntry[]> {
  const key = keys.audit(team);
  const rows = opts.after
    ? await redis.xrange(key, `(${opts.after}`, '+', 'COUNT', opts.count ?? 1000)
    : (await redis.xrevrange(key, '+', '-', 'COUNT', opts.count ?? 1000)).reverse();
  return rows.map((row) => decodeAuditEntry(team, row));
}
