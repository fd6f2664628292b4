import { BoundedCache } from '../bounded-cache.js';
import { PricingError } from '../errors.js';
import type { Job } from '../job.js';
import type { Money } from '../money.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import { pricerFor } from './pricer.js';
import { applyAudioDeferral } from './rules/audio-deferral.js';
import { capViolation } from './rules/caps.js';
import { fallbackSet } from './rules/fallback.js';
import { LADDER_STEPS } from './rules/ladder-steps.js';
import { applyStaging } from './rules/staging.js';
import { candidateSavings } from './savings.js';
import type { Policy, Rules } from './schema.js';
import type { DroppedCandidate, Ladder, LadderCandidate, RuleFired } from './types.js';

export interface LadderContext {
  /** The most-used scope's (spent + reserved) / limit, for `audioDeferral: above`. */
  utilization?: Money;
}

/** The fields a rule or ladder step may change: a variant is the request with these set. */
type Shape = Pick<Job, 'mode' | 'model' | 'resolution' | 'audio'>;

/** A candidate of the plan: everything but the job, which is the request with `shape` set. */
interface Planned {
  shape: Shape;
  candidate: Omit<LadderCandidate, 'job'>;
}

/** The ladder of every job of one shape under one version of a policy and its card. */
interface Plan {
  requestPrice: Ladder['requestPrice'];
  candidates: Planned[];
  dropped: (Planned & { reason: string })[];
  rules: RuleFired[];
}

// A ladder depends on the job only through its shape (model, mode, resolution, audio, length,
// reference, stage), and a pipeline sends the same few shapes over and over: each policy version's
// rules and card (held as one object each for as long as the version is in force) plan each shape
// once, and every job of that shape only sets its own fields on the planned variants.
const plans = new WeakMap<Rules, WeakMap<RateCard, BoundedCache<string, Plan | PricingError>>>();

function planCache(rules: Rules, card: RateCard): BoundedCache<string, Plan | PricingError> {
  let byCard = plans.get(rules);
  if (!byCard) plans.set(rules, (byCard = new WeakMap()));
  let cache = byCard.get(card);
  if (!cache) byCard.set(card, (cache = new BoundedCache(10_000)));
  return cache;
}

const shapeKey = (j: Job) => `${j.model}|${j.mode}|${j.resolution}|${j.audio}|${j.durationSeconds}|${j.stage}|${j.reference?.orientation}|${j.reference?.videoSeconds}`;

/**
 * Turns one job into the ordered, priced candidates the ledger may admit, most faithful first.
 * Pure: no I/O. A job the card cannot price throws a PricingError naming what is wrong.
 */
export function ladder(request: Job, policy: Policy, card: RateCard, ctx: LadderContext = {}): Ladder {
  // Deferral above a utilization says the utilization in its reason: such a ladder is its own.
  if (ctx.utilization !== undefined) return materialize(request, card, plan(request, policy.rules, card, ctx));
  const cache = planCache(policy.rules, card);
  const key = shapeKey(request);
  let p = cache.get(key);
  if (!p) {
    try {
      p = plan(request, policy.rules, card, ctx);
    } catch (err) {
      if (!(err instanceof PricingError)) throw err;
      p = err;
    }
    cache.set(key, p);
  }
  if (p instanceof PricingError) throw p;
  return materialize(request, card, p);
}

/** The ladder of one job from its shape's plan: the variants are the request with their shape set. */
function materialize(request: Job, card: RateCard, p: Plan): Ladder {
  // Every variant has the request's keys and `mode`: adding a key to a spread copy is V8's slow
  // path, so it is added once, and each variant only overwrites keys of that copy.
  const base: Job = { ...request, mode: p.requestPrice.mode };
  const candidate = ({ shape, candidate: c }: Planned): LadderCandidate => ({
    job: { ...base, mode: shape.mode, model: shape.model, resolution: shape.resolution, audio: shape.audio },
    ...c,
  });
  return {
    rateCard: card.id,
    currency: card.currency,
    request,
    requestPrice: p.requestPrice,
    candidates: p.candidates.map(candidate),
    dropped: p.dropped.map((d): DroppedCandidate => ({ ...candidate(d), reason: d.reason })),
    rules: [...p.rules],
  };
}

function plan(request: Job, rules: Rules, card: RateCard, ctx: LadderContext): Plan {
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

  const candidates: Plan['candidates'] = [];
  const dropped: Plan['dropped'] = [];
  variants.forEach((v, i) => {
    const p = pricer.price(v.job);
    const { fallbacks, reserve } = fallbackSet(v.job, p.cost, rules, pricer);
    const downgraded = i > 0;
    const c: LadderCandidate = { job: v.job, price: p, reserve, ceiling: downgraded ? 1 : rules.fullQualityCeiling, downgraded, steps: v.steps, fallbacks };
    const { job: _, ...rest } = c;
    const planned: Planned = { shape: { mode: v.job.mode, model: v.job.model, resolution: v.job.resolution, audio: v.job.audio }, candidate: { ...rest, prepared: { savings: candidateSavings(request, c, card) } } };
    const reason = capViolation(c, rules);
    if (reason) dropped.push({ ...planned, reason });
    else candidates.push(planned);
  });
  const all = [...candidates, ...dropped];
  for (const step of rules.ladder) {
    if (all.some((c) => c.candidate.steps.includes(step))) {
      fired.push({ rule: step, detail: `ladder step ${step} offers a cheaper variant` });
    }
  }
  return { requestPrice, candidates, dropped, rules: fired };
}
