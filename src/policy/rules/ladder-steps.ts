import type { Job } from '../../job.js';
import type { Pricer } from '../pricer.js';
import type { LadderStep, Rules } from '../schema.js';
import { equivalents } from './fallback.js';

/**
 * Each step turns a job into a cheaper variant, or returns null where it does not apply. Steps are
 * cumulative: each starts from the previous step's variant.
 */
export const LADDER_STEPS: Record<LadderStep, (job: Job, rules: Rules, pricer: Pricer) => Job | null> = {
  // Only deferrable audio: required audio is never dropped.
  'drop-deferrable-audio': (job) => (job.audio === 'deferrable' ? { ...job, audio: 'none' } : null),
  'downscale-720p': (job) => (job.resolution === '1080p' || job.resolution === '4k' ? { ...job, resolution: '720p' } : null),
  'cheaper-model': (job, rules, pricer) => {
    const own = pricer.tryPrice(job);
    if (!own) return null;
    const cheapest = equivalents(job, rules, pricer).sort((a, b) => a.cost.comparedTo(b.cost) || a.model.localeCompare(b.model))[0];
    return cheapest && cheapest.cost.lt(own.cost) ? { ...job, model: cheapest.model } : null;
  },
};
