import { Job, type JobInput } from '../../src/job.js';
import { Policy, type PolicyInput } from '../../src/policy/schema.js';
import { RateCard } from '../../src/pricing/rate-card-schema.js';
import { loadRateCard } from '../../src/pricing/rate-cards.js';

export const card = loadRateCard('hf-forum-2026-04');

/**
 * A test card that prices both modes of O1 and O3 (no built-in card does): the figures are made
 * up to put O3 image-to-video below every text-to-video model, so that a rule crossing modes shows.
 */
export const omniCard = RateCard.parse({
  id: 'test-omni',
  source: 'test fixture: invented figures, not a price list',
  effectiveDate: '2026-11-01',
  currency: 'USD',
  billing: { unit: 'second', rounding: 'nearest-half-up' },
  products: [
    ...card.products.filter((p) => p.model !== 'kling-o1'),
    { model: 'kling-o3', mode: 'image-to-video', duration: { min: 3, max: 15 }, pricing: { kind: 'per-second', rates: { '720p': { silent: '0.070', audio: '0.090' }, '1080p': { silent: '0.095', audio: '0.120' } } } },
    ...(['text-to-video', 'image-to-video'] as const).map((mode) => ({
      model: 'kling-o1',
      mode,
      duration: {},
      pricing: { kind: 'fixed', resolutions: ['720p', '1080p'], prices: [{ seconds: 5, price: '0.556' }, { seconds: 10, price: '1.111' }] },
    })),
  ],
});

export function policy(rules: PolicyInput['rules'] = {}, extra: Partial<PolicyInput> = {}): Policy {
  return Policy.parse({ team: 'studio-a', budgets: { projects: { trailer: { limit: '500', period: 'monthly' } } }, rules, ...extra });
}

/** A 10 s kling-3.0 job unless told otherwise; a Motion Control job takes its length from its reference. */
export function job(over: Partial<JobInput> = {}): Job {
  const length = over.model === 'kling-motion-control' ? {} : { durationSeconds: 10 };
  return Job.parse({ team: 'studio-a', project: 'trailer', model: 'kling-3.0', resolution: '1080p', audio: 'none', ...length, ...over });
}
