import type { RedisConnection as Redis } from '../redis-connection.js';

/** A job whose provider task may have billed, while its outcome is unknown to vidgate. */
export interface UnsettledJob {
  id: string;
  externalId: string | null;
  reason: string;
  at: string;
}

/**
 * The jobs whose reservations are held for reconciliation: the provider accepted a task and then
 * could not be read to its end (a poll timeout after every attempt, a task it "forgot"). Their
 * money stays held (the reaper keeps it) until `vidgate reconcile` settles each from the
 * provider's own record. Job ids are fields of one hash, never keys of their own.
 */
export class UnsettledJobs {
  private readonly key: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.key = `${prefix}:unsettled`;
  }

  async add(id: string, externalId: string | undefined, reason: string): Promise<void> {
    await this.redis.hset(this.key, id, JSON.stringify({ externalId: externalId ?? null, reason, at: new Date().toISOString() }));
  }

  async has(id: string): Promise<boolean> {
    return (await this.redis.hexists(this.key, id)) === 1;
  }

  async list(): Promise<UnsettledJob[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.entries(all).map(([id, text]) => ({ id, ...(JSON.parse(text) as Omit<UnsettledJob, 'id'>) }));
  }

  async remove(id: string): Promise<void> {
    await this.redis.hdel(this.key, id);
  }
}
