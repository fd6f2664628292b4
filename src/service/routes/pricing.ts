import { z } from 'zod';
import { ModelId, Mode, Resolution } from '../../catalog.js';
import { Job, Reference } from '../../job.js';
import { formatMoney, money } from '../../money.js';
import { decisionJson, decisionOf, type Decision } from '../../policy/decision.js';
import { Explanation } from '../../policy/explanation.js';
import { ladder } from '../../policy/ladder.js';
import { projectBudgetOf } from '../../policy/schema.js';
import type { Ladder } from '../../policy/types.js';
import { estimate, estimateJson } from '../../pricing/estimate.js';
import { builtInRateCards, DEFAULT_RATE_CARD } from '../../pricing/rate-cards.js';
import { fits } from '../../ledger/headroom.js';
import type { BudgetView } from '../../ledger/schema.js';
import { MAX_FLAG_INT } from '../../cli/command.js';
import type { RouteContext, TypedApp } from '../app.js';
import { requireTeam } from '../auth.js';
import { ErrorBody, ServiceError } from '../errors.js';

const cardIds = builtInRateCards().map((c) => c.id) as [string, ...string[]];

const EstimateBody = z.strictObject({
  model: ModelId,
  mode: Mode.optional(),
  resolution: Resolution,
  audio: z.boolean().default(false),
  durationSeconds: z.number().positive().finite().optional().describe('output seconds; not for Motion Control'),
  reference: Reference.optional().describe("Motion Control: the reference video, whose length is the output's and what is billed"),
  count: z.number().int().min(1).max(MAX_FLAG_INT).default(1),
  // Only built-in cards: a path would read the server's files.
  rateCard: z.enum(cardIds).default(DEFAULT_RATE_CARD),
});

const EstimateAnswer = z.looseObject({ rateCard: z.string(), model: z.string(), costPerClip: z.string(), count: z.number(), total: z.string(), currency: z.string() }).meta({ id: 'Estimate' });

const QuoteAnswer = Explanation.extend({ team: z.string(), project: z.string(), policyVersion: z.string() }).meta({ id: 'Quote' });

/** The router's choice against several live scopes at once: the first candidate that fits every one. */
function decideAgainst(l: Ladder, scopes: BudgetView[]): Decision {
  if (l.candidates.length === 0) return decisionOf(l, null);
  const used = (v: BudgetView) => money(v.spent).plus(v.reserved);
  const index = l.candidates.findIndex((c) => scopes.every((v) => fits(money(v.limit), used(v), c.reserve, c.ceiling)));
  if (index >= 0) return decisionOf(l, index);
  return decisionOf(l, null, [
    `no candidate fits: cheapest candidate reserves ${formatMoney(l.candidates.at(-1)!.reserve)}`,
    ...scopes.map((v) => `${v.project === undefined ? `team ${v.team}` : `project ${v.project}`} (${v.window}): ${v.available} of ${v.limit} available`),
  ]);
}

/** The decision the router would make now for `job` (its team already allowed), reserving nothing: the API's and the dashboard's quote. */
export async function quoteJob(ctx: RouteContext, job: Job) {
  const stored = await ctx.policies.current(job.team);
  if (!stored) throw new ServiceError(404, 'no-policy', `team ${job.team} has no policy: the router rejects its jobs (no-policy)`, { field: 'body.team' });
  const { policy, card, version } = stored.active;
  if (!projectBudgetOf(policy, job.project)) {
    throw new ServiceError(422, 'no-project-budget', `project ${job.project} has no budget in team ${job.team}'s policy: the router rejects such a job`, { field: 'body.project', allowed: Object.keys(policy.budgets.projects).join(', ') });
  }
  const views = (await ctx.ledger.getBudgets(job.team, [job.project])).filter((v): v is BudgetView => v !== null);
  let utilization;
  for (const v of views) {
    if (money(v.limit).isZero()) continue;
    const u = money(v.spent).plus(v.reserved).dividedBy(v.limit);
    if (!utilization || u.gt(utilization)) utilization = u;
  }
  const decision = decideAgainst(ladder(job, policy, card, { utilization }), views);
  return { ...decisionJson(decision), team: job.team, project: job.project, policyVersion: version };
}

export function pricingRoutes(app: TypedApp, ctx: RouteContext): void {
  app.post(
    '/v1/estimate',
    { schema: { summary: "price a job from a rate card (the CLI's estimate)", body: EstimateBody, response: { 200: EstimateAnswer, 400: ErrorBody, 401: ErrorBody, 422: ErrorBody, 429: ErrorBody } } },
    async (req) => {
      const b = req.body;
      const card = builtInRateCards().find((c) => c.id === b.rateCard)!;
      const length = b.reference ? { durationSeconds: b.durationSeconds ?? b.reference.videoSeconds, reference: b.reference } : { durationSeconds: b.durationSeconds };
      if (length.durationSeconds === undefined) throw new ServiceError(400, 'invalid-request', 'durationSeconds is required (output seconds); Motion Control takes reference instead', { field: 'body.durationSeconds' });
      return estimateJson(estimate({ model: b.model, mode: b.mode, resolution: b.resolution, audio: b.audio, durationSeconds: length.durationSeconds, ...(length.reference ? { reference: length.reference } : {}) }, card, b.count));
    },
  );

  app.post(
    '/v1/quote',
    { schema: { summary: 'the decision the router would make now, against the live budgets; reserves nothing', body: Job, response: { 200: QuoteAnswer, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, 429: ErrorBody } } },
    async (req) => {
      requireTeam(req, req.body.team, 'submit', 'forbidden');
      return quoteJob(ctx, req.body);
    },
  );
}
