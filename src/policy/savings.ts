import { PricingError } from '../errors.js';
import type { Job } from '../job.js';
import { money, type Money } from '../money.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import { pricerFor } from './pricer.js';
import type { CandidateSavings, LadderCandidate } from './types.js';

/** Which field of the job each rule or ladder step changes. */
const FIELD_OF_STEP: Record<string, 'resolution' | 'audio' | 'model'> = {
  staging: 'resolution',
  'audio-deferral': 'audio',
  'drop-deferrable-audio': 'audio',
  'downscale-720p': 'resolution',
  'cheaper-model': 'model',
};

/**
 * What each rule saved on one job: walking from the request to the chosen variant one step at a
 * time (each step changes one field), the price drop of every step. The parts add up to the
 * job's whole saving.
 */
export function savingsByStep(request: Job, chosen: Job, steps: string[], card: RateCard): Map<string, Money> {
  const out = new Map<string, Money>();
  const pricer = pricerFor(card);
  let current: Job = { ...request, mode: chosen.mode };
  let before = pricer.price(current).cost;
  for (const step of steps) {
    const field = FIELD_OF_STEP[step];
    if (!field) continue;
    current = { ...current, [field]: chosen[field] };
    const after = pricer.price(current).cost;
    out.set(step, (out.get(step) ?? money('0')).plus(before.minus(after)));
    before = after;
  }
  return out;
}

/** The parts of a candidate's saving that saved something, as the spend history keeps them. */
export function candidateSavings(request: Job, c: Pick<LadderCandidate, 'job' | 'steps'>, card: RateCard): CandidateSavings {
  try {
    return [...savingsByStep(request, c.job, c.steps, card)].filter(([, amount]) => !amount.isZero()).map(([rule, amount]) => ({ rule, amount }));
  } catch (err) {
    // A step between request and variant the card does not price: the saving has no parts.
    if (!(err instanceof PricingError)) throw err;
    return [];
  }
}
