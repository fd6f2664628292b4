import { z } from 'zod';
import { ModelId, Resolution } from '../catalog.js';
import { AlertFraction, LimitText } from '../ledger/schema.js';
import { Period } from '../ledger/windows.js';
import { Name } from '../names.js';
import { MoneyText } from '../pricing/rate-card-schema.js';

const Fraction = z.number().gt(0, 'must be above 0').lte(1, 'must be at most 1');

/** A budget as the ledger takes it: the policy is checked by the ledger's own rules when it is parsed, so nothing a worker would refuse passes quote. */
export const BudgetSpec = z.strictObject({
  limit: LimitText,
  period: Period,
  alerts: z.array(AlertFraction).optional(),
});
export type BudgetSpec = z.infer<typeof BudgetSpec>;

export const LadderStep = z.enum(['drop-deferrable-audio', 'downscale-720p', 'cheaper-model']);
export type LadderStep = z.infer<typeof LadderStep>;

export const AudioDeferral = z.discriminatedUnion('when', [
  z.strictObject({ when: z.literal('always') }),
  z.strictObject({ when: z.literal('never') }),
  /** Defer only while the budget is more than `above` used (e.g. 0.8 = above 80%). */
  z.strictObject({ when: z.literal('above'), above: Fraction }),
]);
export type AudioDeferral = z.infer<typeof AudioDeferral>;

export const Fallback = z.discriminatedUnion('direction', [
  z.strictObject({ direction: z.literal('none') }),
  z.strictObject({ direction: z.literal('cheaper') }),
  /**
   * Any model up to `maxPremium` (a fraction: "0.25" = 25%) above the candidate's price. `reserve`:
   * `upfront` reserves the dearest reachable model at admission; `top-up` reserves the candidate's
   * own price and tops the reservation up at fallback time, only if the budget still holds.
   */
  z.strictObject({
    direction: z.literal('any'),
    maxPremium: z.string().regex(/^(0|[1-9]\d*)(\.\d{1,6})?$/, 'a fraction as a decimal string, e.g. "0.25" for 25%'),
    reserve: z.enum(['upfront', 'top-up']).default('upfront'),
  }),
]);
export type Fallback = z.infer<typeof Fallback>;

export const Rules = z.strictObject({
  /** Draft jobs render at this resolution ("720p prototyping, 1080p production"). */
  staging: z.strictObject({ draft: Resolution }).optional(),
  audioDeferral: AudioDeferral.default({ when: 'never' }),
  fallback: Fallback.default({ direction: 'none' }),
  maxJobCost: MoneyText.optional(),
  allowModels: z.array(ModelId).min(1).optional(),
  allowResolutions: z.array(Resolution).min(1).optional(),
  /** Above this utilization only downgraded candidates are admitted. */
  fullQualityCeiling: Fraction.default(1),
  ladder: z.array(LadderStep).default([]),
});
export type Rules = z.infer<typeof Rules>;

/**
 * The team's part of the provider account's concurrency: `share` is its weight when slots are
 * contended (an idle team's share goes to the busy ones); `maxConcurrent` caps its tasks at the
 * provider whatever is free.
 */
export const Scheduling = z.strictObject({
  share: z.number().positive('must be above 0').max(1000, 'must be at most 1000').default(1),
  maxConcurrent: z.int().min(1, 'must be at least 1').max(100_000, 'must be at most 100000').optional(),
});
export type Scheduling = z.infer<typeof Scheduling>;

export const Policy = z
  .strictObject({
    $schema: z.string().optional(),
    team: Name,
    rateCard: z.string().min(1).optional(),
    budgets: z
      .strictObject({
        team: BudgetSpec.optional(),
        projects: z.record(Name, BudgetSpec).default({}),
      })
      .default({ projects: {} }),
    rules: Rules.default(Rules.parse({})),
    scheduling: Scheduling.optional(),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.ladder.forEach((step, i) => {
      if (seen.has(step)) ctx.addIssue({ code: 'custom', path: ['rules', 'ladder', i], message: `${step} is listed twice` });
      seen.add(step);
    });
  });
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;

/**
 * The budget a team's policy gives `project`, or undefined. Projects are a plain object keyed by
 * names users choose, so only the policy's own keys count: `constructor` (or any name of
 * Object.prototype) must not find the prototype's member and admit a project with no budget.
 */
export function projectBudgetOf(policy: Policy, project: string): z.infer<typeof BudgetSpec> | undefined {
  return Object.hasOwn(policy.budgets.projects, project) ? policy.budgets.projects[project] : undefined;
}
