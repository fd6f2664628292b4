import type { RedisConnection as Redis } from '../../redis-connection.js';
import { DEFAULTS } from '../../defaults.js';
import { AccountScheduler } from './account.js';
import { standingOf, type QueueStanding } from './estimate.js';

export type { QueueStanding } from './estimate.js';

/**
 * Where team's job (by its internal id) stands on the provider account: waiting (its position in
 * its team's line and a start estimate) or running; null when the account does not know it (not
 * admitted yet, rejected, or finished). For the service's job answer, the client and the CLI.
 */
export async function queueStanding(redis: Redis, prefix: string, team: string, internalId: string, account: string = DEFAULTS.account): Promise<QueueStanding | null> {
  const raw = await new AccountScheduler(redis, prefix, account).standing(team, internalId);
  return raw && standingOf(account, raw, Date.now());
}
