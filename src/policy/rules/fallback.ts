import type { ModelId } from '../../catalog.js';
import type { Job } from '../../job.js';
import { money, type Money } from '../../money.js';
import type { Pricer } from '../pricer.js';
import type { Rules } from '../schema.js';

export function allowedModel(model: ModelId, rules: Rules): boolean {
  return !rules.allowModels || rules.allowModels.includes(model);
}

/**
 * Every other allowed model that the card prices for the same output: same mode (the ladder makes
 * it explicit on every variant), resolution, audio and duration. A Motion Control job's reference
 * video goes with it, so only a product priced on that reference and orientation can take it.
 */
export function equivalents(job: Job, rules: Rules, pricer: Pricer): { model: ModelId; cost: Money }[] {
  const out: { model: ModelId; cost: Money }[] = [];
  for (const product of pricer.card.products) {
    if (product.mode !== job.mode || product.model === job.model || !allowedModel(product.model, rules)) continue;
    const p = pricer.tryPrice({ ...job, model: product.model });
    if (p) out.push({ model: product.model, cost: p.cost });
  }
  return out;
}

/**
 * The models a job may move to if its model is unavailable, nearest in price first, and what must
 * be reserved so that no fallback can overspend: the dearest of them for `any` reserved upfront;
 * the job's own price for `cheaper`, `none` and `any` with top-up (the generator tops up then).
 */
export function fallbackSet(job: Job, cost: Money, rules: Rules, pricer: Pricer): { fallbacks: { model: ModelId; cost: Money }[]; reserve: Money } {
  const f = rules.fallback;
  if (f.direction === 'none') return { fallbacks: [], reserve: cost };
  const ceiling = f.direction === 'cheaper' ? cost : cost.times(money('1').plus(f.maxPremium));
  const fallbacks = equivalents(job, rules, pricer)
    .filter((e) => e.cost.lte(ceiling))
    .sort((a, b) => a.cost.minus(cost).abs().comparedTo(b.cost.minus(cost).abs()) || a.model.localeCompare(b.model));
  const upfront = f.direction === 'any' && f.reserve === 'upfront';
  const reserve = upfront ? fallbacks.reduce((max, e) => (e.cost.gt(max) ? e.cost : max), cost) : cost;
  return { fallbacks, reserve };
}
