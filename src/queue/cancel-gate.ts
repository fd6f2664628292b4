import type { RedisConnection as Redis } from '../redis-connection.js';
import { DEFAULTS } from '../defaults.js';
import { readPricingTerms, writePricingTerms, type PricingTerms } from './records/admission.js';

export type GateClaim = 'sent' | 'cancelled';

/** A claim as stored: the claim's word, and for `sent` the terms after one space (older claims have none). */
function parseClaim(stored: string | null): { claim: GateClaim; terms: string | null } | null {
  if (stored === null) return null;
  const space = stored.indexOf(' ');
  const word = space < 0 ? stored : stored.slice(0, space);
  if (word !== 'sent' && word !== 'cancelled') return null;
  return { claim: word, terms: space < 0 ? null : stored.slice(space + 1) };
}

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

  /**
   * Claims the job for `claim`; answers the claim in force (ours, or the one that came first).
   * `sent` keeps the job's pricing terms with it: the claim outlives the generate job that holds
   * its admission, and reconciliation prices the job's tasks by them.
   */
  async claim(team: string, internalId: string, claim: GateClaim, terms?: PricingTerms): Promise<GateClaim> {
    const key = this.key(team, internalId);
    const value = claim === 'sent' && terms ? `sent ${writePricingTerms(terms)}` : claim;
    // The claim outlives every record of the job (failed jobs, the longest kept, stay a week; the
    // reservation, which reconciliation settles, eight days).
    const set = await this.redis.set(key, value, 'PX', DEFAULTS.cancelGateRetentionMs, 'NX');
    if (set === 'OK') return claim;
    // Gone between the two calls only if it expired: nothing holds the job any more, so ours stands.
    return parseClaim(await this.redis.get(key))?.claim ?? claim;
  }

  /**
   * Writes a `sent` claim with `terms` again, for another full retention: only for a job known
   * to have gone to the provider (a hold is made only after a create was sent).
   */
  async remember(team: string, internalId: string, terms: PricingTerms): Promise<void> {
    await this.redis.set(this.key(team, internalId), `sent ${writePricingTerms(terms)}`, 'PX', DEFAULTS.cancelGateRetentionMs);
  }

  async read(team: string, internalId: string): Promise<GateClaim | null> {
    return parseClaim(await this.redis.get(this.key(team, internalId)))?.claim ?? null;
  }

  /** The terms a `sent` claim kept, if it kept any that still read as terms. */
  async terms(team: string, internalId: string): Promise<PricingTerms | null> {
    return readPricingTerms(parseClaim(await this.redis.get(this.key(team, internalId)))?.terms);
  }
}
