import { priceRequestOf, type Job } from '../../job.js';
import type { RateCard } from '../../pricing/rate-card-schema.js';
import { tryPrice } from '../../pricing/price.js';
import type { LadderStep, Rules } from '../schema.js';
import { equivalents } from './fallback.js';

/**
 * Each step turns a job into a cheaper variant, or returns null where it does not apply. Steps are
 * cumulative: each starts from the previous step's variant.
 */
export const LADDER_STEPS: Record<LadderStep, (job: Job, rules: Rules, card: RateCard) => Job | null> = {
  // Only deferrable audio: required audio is never dropped.
  'drop-deferrable-audio': (job) => (job.audio === 'deferrable' ? { ...job, audio: 'none' } : null),
  'downscale-720p': (job) => (job.resolution === '1080p' || job.resolution === '4k' ? { ...job, resolution: '720p' } : null),
  'cheaper-model': (job, rules, card) => {
    const own = tryPrice(priceRequestOf(job), card);
    if (!own) return null;
    const cheapest = equivalents(job, rules, card).sort((a, b) => a.cost.comparedTo(b.cost) || a.model.localeCompare(b.model))[0];
    return cheapest && cheapest.cost.lt(own.cost) ? { ...job, model: cheapest.model } : null;
  },
};
