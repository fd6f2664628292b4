import type { Job } from '../job.js';
import type { Money } from '../money.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import { pricerFor } from './pricer.js';
import { applyAudioDeferral } from './rules/audio-deferral.js';
import { capViolation } from './rules/caps.js';
import { fallbackSet } from './rules/fallback.js';
import { LADDER_STEPS } from './rules/ladder-steps.js';
import { applyStaging } from './rules/staging.js';
import type { Policy } from './schema.js';
import type { DroppedCandidate, Ladder, LadderCandidate, RuleFired } from './types.js';

export interface LadderContext {
  /** The most-used scope's (spent + reserved) / limit, for `audioDeferral: above`. */
  utilization?: Money;
}

/**
 * Turns one job into the ordered, priced candidates the ledger may admit, most faithful first.
 * Pure: no I/O. A job the card cannot price throws a PricingError naming what is wrong.
 */
export function ladder(request: Job, policy: Policy, card: RateCard, ctx: LadderContext = {}): Ladder {
  const rules = policy.rules;
  const pricer = pricerFor(card);
  const requestPrice = pricer.price(request);
  const fired: RuleFired[] = [];
  // Every variant names its mode, so fallbacks and cheaper models stay within it.
  let job: Job = { ...request, mode: requestPrice.mode };
  const baseSteps: string[] = [];
  for (const apply of [(j: Job) => applyStaging(j, rules), (j: Job) => applyAudioDeferral(j, rules, ctx.utilization)]) {
    const r = apply(job);
    job = r.job;
    if (r.fired) {
      fired.push(r.fired);
      baseSteps.push(r.fired.rule);
    }
  }

  const variants: { job: Job; steps: string[] }[] = [{ job, steps: baseSteps }];
  let current = job;
  let steps = baseSteps;
  let lastCost = pricer.price(job).cost;
  for (const step of rules.ladder) {
    const next = LADDER_STEPS[step](current, rules, pricer);
    if (!next) continue;
    current = next;
    steps = [...steps, step];
    const p = pricer.tryPrice(next);
    if (!p || p.cost.gte(lastCost)) continue;
    variants.push({ job: next, steps });
    lastCost = p.cost;
  }

  const candidates: LadderCandidate[] = [];
  const dropped: DroppedCandidate[] = [];
  variants.forEach((v, i) => {
    const p = pricer.price(v.job);
    const { fallbacks, reserve } = fallbackSet(v.job, p.cost, rules, pricer);
    const downgraded = i > 0;
    const c: LadderCandidate = { job: v.job, price: p, reserve, ceiling: downgraded ? 1 : rules.fullQualityCeiling, downgraded, steps: v.steps, fallbacks };
    const reason = capViolation(c, rules);
    if (reason) dropped.push({ ...c, reason });
    else candidates.push(c);
  });
  for (const step of rules.ladder) {
    if (candidates.some((c) => c.steps.includes(step)) || dropped.some((c) => c.steps.includes(step))) {
      fired.push({ rule: step, detail: `ladder step ${step} offers a cheaper variant` });
    }
  }
  return { rateCard: card.id, currency: card.currency, request, requestPrice, candidates, dropped, rules: fired };
}
