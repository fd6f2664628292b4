import { createHash } from 'node:crypto';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { BoundedCache } from '../bounded-cache.js';
import { InputError } from '../errors.js';
import { builtInRateCards, loadRateCard } from '../pricing/rate-cards.js';
import { RateCard } from '../pricing/rate-card-schema.js';
import { parseOrThrow } from '../validation.js';
import { PolicyKeys } from './policy-keys.js';

const STORED = 'sha256:';

/** The ref of a card stored with a policy version: `sha256:` and the hex digest of its JSON. */
export function storedCardRef(card: RateCard): { ref: string; json: string } {
  const json = JSON.stringify(card);
  return { ref: `${STORED}${createHash('sha256').update(json).digest('hex')}`, json };
}

export const isBuiltInCard = (id: string) => builtInRateCards().some((c) => c.id === id);

/**
 * The card an admission names: a built-in id, a card stored with its team's policy version (by
 * digest, so a job admitted under version 1 settles with version 1's card whatever came after),
 * or, for jobs admitted before policies lived in Redis, a card file's absolute path.
 */
export class PolicyCards {
  private readonly keys: PolicyKeys;
  private readonly cache = new BoundedCache<string, RateCard>(1000);

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new PolicyKeys(prefix);
  }

  async load(team: string, ref: string): Promise<RateCard> {
    if (!ref.startsWith(STORED)) return loadRateCard(ref);
    const sha = ref.slice(STORED.length);
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new InputError(`rate card ref ${ref} is not a stored card's (sha256: and 64 hex digits)`);
    const key = this.keys.card(team, sha);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const json = await this.redis.get(key);
    if (json === null) throw new InputError(`team ${team}'s stored rate card ${ref} is not in Redis (was it deleted?)`);
    const card = parseOrThrow(RateCard, JSON.parse(json), `team ${team}'s stored rate card ${ref}`);
    this.cache.set(key, card);
    return card;
  }
}
