import type { RedisConnection as Redis } from '../redis-connection.js';
import { DEFAULTS } from '../defaults.js';

/**
 * Each team's recent job ids, newest first, for GET /v1/jobs: a sorted set under the team's hash
 * tag whose scores are a per-team sequence (unique, so a cursor never skips a job added in the
 * same millisecond), bounded to DEFAULTS.serviceJobIndexMax. Caller ids are members, never keys.
 */
export class JobIndex {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(team: string) {
    const base = `${this.prefix}:{${team}}`;
    return { index: `${base}:jobs`, seq: `${base}:jobs-seq` };
  }

  async add(team: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const k = this.keys(team);
    const last = await this.redis.incrby(k.seq, ids.length);
    const args: (string | number)[] = [];
    ids.forEach((id, i) => args.push(last - ids.length + 1 + i, id));
    // NX: a job enqueued again keeps its place.
    await this.redis.multi().zadd(k.index, 'NX', ...args).zremrangebyrank(k.index, 0, -DEFAULTS.serviceJobIndexMax - 1).exec();
  }

  /** Up to `count` ids older than `before` (a sequence number from a previous page), newest first. */
  async page(team: string, count: number, before?: number): Promise<{ id: string; seq: number }[]> {
    const max = before === undefined ? '+inf' : `(${before}`;
    const flat = await this.redis.zrevrangebyscore(this.keys(team).index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, count);
    const out: { id: string; seq: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: flat[i]!, seq: Number(flat[i + 1]) });
    return out;
  }
}
