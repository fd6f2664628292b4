import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelId, Mode, Orientation, Resolution } from '../../../src/catalog.js';
import { Job } from '../../../src/job.js';
import { money } from '../../../src/money.js';
import { decide, decisionJson } from '../../../src/policy/decision.js';
import { Explanation } from '../../../src/policy/explanation.js';
import { ladder } from '../../../src/policy/ladder.js';
import { LadderStep, Policy } from '../../../src/policy/schema.js';
import { price, tryPrice } from '../../../src/pricing/price.js';
import { builtInRateCards } from '../../../src/pricing/rate-cards.js';
import { priceRequestOf } from '../../../src/job.js';
import { omniCard } from '../../helpers/policy.js';

const common = {
  resolution: fc.constantFrom<Resolution>('720p', '1080p'),
  audio: fc.constantFrom('none', 'required', 'deferrable'),
  stage: fc.constantFrom('draft', 'production'),
};
/** Every model in every mode Kling documents; Motion Control with a reference video, sometimes too long for its orientation. */
const jobs = fc
  .oneof(
    fc.record({
      ...common,
      model: fc.constantFrom<ModelId>('kling-3.0', 'kling-o3', 'kling-o1'),
      mode: fc.option(fc.constantFrom<Mode>('text-to-video', 'image-to-video'), { nil: undefined }),
      durationSeconds: fc.constantFrom(3, 5, 7.5, 10, 15, 20),
    }),
    fc.record({
      ...common,
      model: fc.constant<ModelId>('kling-motion-control'),
      reference: fc.record({ orientation: fc.constantFrom(...Orientation.options), videoSeconds: fc.constantFrom(0.4, 1, 4.5, 10, 12, 20, 30, 31) }),
    }),
  )
  .map((j) => Job.safeParse({ team: 't', project: 'p', ...j }))
  .filter((r) => r.success)
  .map((r) => r.data!);

const policies = fc
  .record({
    staging: fc.option(fc.constant({ draft: '720p' as const }), { nil: undefined }),
    audioDeferral: fc.constantFrom({ when: 'always' as const }, { when: 'never' as const }, { when: 'above' as const, above: 0.5 }),
    fallback: fc.constantFrom(
      { direction: 'none' as const },
      { direction: 'cheaper' as const },
      { direction: 'any' as const, maxPremium: '0.3' },
      { direction: 'any' as const, maxPremium: '0.3', reserve: 'top-up' as const },
    ),
    maxJobCost: fc.option(fc.constantFrom('0.50', '1.00', '2.00', '4.00'), { nil: undefined }),
    allowModels: fc.option(fc.subarray([...ModelId.options], { minLength: 1 }), { nil: undefined }),
    fullQualityCeiling: fc.constantFrom(0.8, 0.9, 1),
    ladder: fc.shuffledSubarray([...LadderStep.options]),
  })
  .map((rules) => Policy.parse({ team: 't', rules: JSON.parse(JSON.stringify(rules)) }));

const cards = fc.constantFrom(...builtInRateCards(), omniCard);
const utilization = fc.option(fc.integer({ min: 0, max: 100 }).map((n) => money(String(n)).dividedBy(100)), { nil: undefined });

/** Jobs the card can price at all; the rest are errors, tested elsewhere. */
const priced = fc.tuple(jobs, policies, cards, utilization).filter(([j, , c]) => tryPrice(priceRequestOf(j), c) !== null);

describe('ladder properties', () => {
  it('every candidate is cheaper than the one before, and none breaks a cap, an allow-list, a duration rule or required audio', () => {
    let checked = 0;
    let downgrades = 0;
    fc.assert(
      fc.property(priced, ([j, p, c, u]) => {
        const l = ladder(j, p, c, { utilization: u });
        checked += l.candidates.length;
        downgrades += Math.max(0, l.candidates.length - 1);
        for (let i = 0; i < l.candidates.length; i++) {
          const cand = l.candidates[i]!;
          if (i > 0) expect(cand.price.cost.lt(l.candidates[i - 1]!.price.cost)).toBe(true);
          if (p.rules.maxJobCost) expect(cand.reserve.lte(money(p.rules.maxJobCost))).toBe(true);
          if (p.rules.allowModels) expect(p.rules.allowModels).toContain(cand.job.model);
          expect(price(priceRequestOf(cand.job), c).cost.equals(cand.price.cost)).toBe(true); // a valid duration, re-priced
          if (j.audio === 'required') expect(cand.job.audio).toBe('required');
          // No rule changes a job's length, its mode or (Motion Control) its reference video.
          expect(cand.job.durationSeconds).toBe(j.durationSeconds);
          expect(cand.job.mode).toBe(l.requestPrice.mode);
          expect(cand.job.reference).toEqual(j.reference);
          for (const f of cand.fallbacks) expect(c.products.some((pr) => pr.model === f.model && pr.mode === cand.job.mode)).toBe(true);
          expect(cand.ceiling).toBe(cand.downgraded ? 1 : p.rules.fullQualityCeiling);
        }
      }),
      { numRuns: 500 },
    );
    // The loop checked candidates, and ladders of more than one (the "cheaper than before" part).
    expect(checked).toBeGreaterThan(100); // about 300 in 500 runs
    expect(downgrades).toBeGreaterThan(10); // about 55
  });

  it('the reserve is never below the candidate’s price, and covers every fallback', () => {
    let fallbacks = 0;
    fc.assert(
      fc.property(priced, ([j, p, c, u]) => {
        for (const cand of ladder(j, p, c, { utilization: u }).candidates) {
          expect(cand.reserve.gte(cand.price.cost)).toBe(true);
          const topUp = p.rules.fallback.direction === 'any' && p.rules.fallback.reserve === 'top-up';
          for (const f of cand.fallbacks) {
            fallbacks++;
            if (!topUp) expect(f.cost.lte(cand.reserve)).toBe(true);
            if (p.rules.fallback.direction === 'cheaper') expect(f.cost.lte(cand.price.cost)).toBe(true);
          }
          if (p.rules.fallback.direction === 'none') expect(cand.fallbacks).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
    expect(fallbacks).toBeGreaterThan(10); // the fallback checks ran (about 75 in 500 runs)
  });

  it('the decision is deterministic', () => {
    fc.assert(
      fc.property(priced, fc.integer({ min: 0, max: 1000 }), ([j, p, c, u], used) => {
        const scope = { limit: money('100'), used: money(String(used)).dividedBy(10) };
        const a = decisionJson(decide(ladder(j, p, c, { utilization: u }), scope));
        const b = decisionJson(decide(ladder(structuredClone(j), p, c, { utilization: u }), scope));
        expect(a).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it('every decision is what the Explanation schema says, no field more or less (a parse keeps all of it)', () => {
    fc.assert(
      fc.property(priced, fc.integer({ min: 0, max: 1000 }), ([j, p, c, u], used) => {
        const json = decisionJson(decide(ladder(j, p, c, { utilization: u }), { limit: money('100'), used: money(String(used)).dividedBy(10) }));
        expect(JSON.parse(JSON.stringify(Explanation.parse(json)))).toEqual(JSON.parse(JSON.stringify(json)));
      }),
      { numRuns: 300 },
    );
  });
});
