import { BoundedCache } from '../bounded-cache.js';
import { PricingError } from '../errors.js';
import { priceRequestOf, type Job } from '../job.js';
import { price, type Price } from '../pricing/price.js';
import type { RateCard } from '../pricing/rate-card-schema.js';

/** Prices job variants against one card, each distinct variant once. */
export interface Pricer {
  readonly card: RateCard;
  price(job: Job): Price;
  /** null where the card does not price the variant. */
  tryPrice(job: Job): Price | null;
}

// Prices depend only on the card and the variant, and a pipeline prices the same few shapes over
// and over: one bounded memo per card serves every ladder.
const memos = new WeakMap<RateCard, BoundedCache<string, Price | PricingError>>();

export function pricerFor(card: RateCard): Pricer {
  let memo = memos.get(card);
  if (!memo) memos.set(card, (memo = new BoundedCache(10_000)));
  const cache = memo;
  const lookup = (job: Job): Price | PricingError => {
    const r = job.reference;
    const key = `${job.model}|${job.mode}|${job.resolution}|${job.audio !== 'none'}|${job.durationSeconds}|${r?.orientation}|${r?.videoSeconds}`;
    let hit = cache.get(key);
    if (!hit) {
      try {
        hit = price(priceRequestOf(job), card);
      } catch (err) {
        if (!(err instanceof PricingError)) throw err;
        hit = err;
      }
      cache.set(key, hit);
    }
    return hit;
  };
  return {
    card,
    price(job) {
      const hit = lookup(job);
      if (hit instanceof PricingError) throw hit;
      return hit;
    },
    tryPrice(job) {
      const hit = lookup(job);
      return hit instanceof PricingError ? null : hit;
    },
  };
}
