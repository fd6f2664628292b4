import type { RedisConnection as Redis } from '../redis-connection.js';
import { DEFAULTS } from '../defaults.js';

export type GateClaim = 'sent' | 'cancelled';

/**
 * One key per job that either the generator (just before it first sends the job to the provider)
 * or a cancel claims, whichever comes first; the other then sees who won. So a cancel and a
 * provider submit can never both go ahead: a job is either cancelled before the provider saw it
 * (its reservation released) or it is at the provider and settled as usual.
 * The key is under the team's hash tag and named by the internal job id, never by a caller's string.
 */
export class CancelGate {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(team: string, internalId: string): string {
    return `${this.prefix}:{${team}}:gate:${internalId}`;
  }

  /** Claims the job for `claim`; answers the claim in force (ours, or the one that came first). */
  async claim(team: string, internalId: string, claim: GateClaim): Promise<GateClaim> {
    const key = this.key(team, internalId);
    // The claim outlives every record of the job (failed jobs, the longest kept, stay a week).
    const set = await this.redis.set(key, claim, 'PX', DEFAULTS.cancelGateRetentionMs, 'NX');
    if (set === 'OK') return claim;
    const held = await this.redis.get(key);
    // Gone between the two calls only if it expired: nothing holds the job any more, so ours stands.
    return held === 'sent' || held === 'cancelled' ? held : claim;
  }

  async read(team: string, internalId: string): Promise<GateClaim | null> {
    const held = await this.redis.get(this.key(team, internalId));
    return held === 'sent' || held === 'cancelled' ? held : null;
  }
}
