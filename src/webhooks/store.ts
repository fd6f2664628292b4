import type { RedisConnection as Redis } from '../redis-connection.js';
import { DeliveryAttempt, StoredConfig } from './schema.js';
import type { WebhookKeys } from './keys.js';

/** The team's webhook configuration, or null when it has none. */
export async function readConfig(redis: Redis, keys: WebhookKeys, team: string): Promise<StoredConfig | null> {
  const text = await redis.get(keys.config(team));
  if (text === null) return null;
  const parsed = StoredConfig.safeParse(JSON.parse(text));
  // Written only by putWebhooks: anything else is damage, not input.
  if (!parsed.success || parsed.data.team !== team) throw new Error(`the webhook configuration of team ${team} in Redis is damaged`);
  return parsed.data;
}

export async function writeConfig(redis: Redis, keys: WebhookKeys, config: StoredConfig): Promise<void> {
  await redis.set(keys.config(config.team), JSON.stringify(config));
}

/** Keeps one attempt in the team's history: the newest `max` attempts are kept. */
export async function recordAttempt(redis: Redis, keys: WebhookKeys, team: string, attempt: DeliveryAttempt, max: number): Promise<string> {
  return (await redis.xadd(keys.deliveries(team), 'MAXLEN', String(max), '*', 'v', JSON.stringify(attempt)))!;
}

/** Attempts newest first, starting before a stream id (exclusive) or at the newest. */
export async function readAttempts(redis: Redis, keys: WebhookKeys, team: string, count: number, before?: string): Promise<(DeliveryAttempt & { id: string })[]> {
  const rows = await redis.xrevrange(keys.deliveries(team), before ? `(${before}` : '+', '-', 'COUNT', count);
  return rows.map(([id, flat]) => {
    const i = flat.indexOf('v');
    return { id, ...DeliveryAttempt.parse(JSON.parse(flat[i + 1] ?? 'null')) };
  });
}
