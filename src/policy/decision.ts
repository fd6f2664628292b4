import { formatMoney, type Money } from '../money.js';
import { available, fits } from '../ledger/headroom.js';
import type { Job, Reference } from '../job.js';
import type { CandidateExplanation, Explanation } from './explanation.js';
import type { Ladder, LadderCandidate } from './types.js';

export type Outcome = 'admit' | 'downgrade' | 'reject';

/** The explained decision on one job, as the quote command and the router report it. */
export interface Decision {
  outcome: Outcome;
  chosen: number | null;
  ladder: Ladder;
  reasons: string[];
}

/** A simulated scope for quotes: a limit and what is already used (spent + reserved). */
export interface ScopeState {
  limit: Money;
  used: Money;
}

/** Why the ladder itself has nothing to offer (every candidate broke a cap or an allow-list). */
export function ladderReasons(l: Ladder): string[] {
  return l.candidates.length === 0 ? l.dropped.map((d) => `${describeVariant(d.job)}: ${d.reason}`) : [];
}

export function decisionOf(l: Ladder, chosen: number | null, reasons: string[] = []): Decision {
  // "admit" is the request as given (after staging and deferral); any ladder variant is a downgrade.
  const outcome: Outcome = chosen === null ? 'reject' : l.candidates[chosen]!.downgraded ? 'downgrade' : 'admit';
  return { outcome, chosen, ladder: l, reasons: chosen === null ? [...ladderReasons(l), ...reasons] : reasons };
}

/** What the router would decide against one scope (unlimited when none is given). */
export function decide(l: Ladder, scope?: ScopeState): Decision {
  if (l.candidates.length === 0) return decisionOf(l, null);
  if (!scope) return decisionOf(l, 0);
  const index = l.candidates.findIndex((c) => fits(scope.limit, scope.used, c.reserve, c.ceiling));
  if (index >= 0) return decisionOf(l, index);
  return decisionOf(l, null, [
    `no candidate fits: ${formatMoney(available(scope.limit, scope.used))} of ${formatMoney(scope.limit)} available, cheapest candidate reserves ${formatMoney(l.candidates.at(-1)!.reserve)}`,
  ]);
}

type Described = Pick<Job, 'model' | 'mode' | 'resolution' | 'audio' | 'durationSeconds'> & { reference?: Reference | null };

/**
 * A variant in words, as every command prints it: "kling-3.0 text-to-video 720p silent 5s", and for
 * Motion Control the orientation its reference video is bounded by: "… 30s, orientation video".
 */
export function describeVariant(job: Described): string {
  const audio = job.audio === 'none' ? 'silent' : job.audio === 'required' ? 'with audio' : 'with deferrable audio';
  const reference = job.reference ? `, orientation ${job.reference.orientation}` : '';
  return `${job.model} ${job.mode ?? ''} ${job.resolution} ${audio} ${job.durationSeconds}s${reference}`.replace(/\s+/g, ' ');
}

/** A candidate's explanation; a prepared candidate keeps it for the next job of its shape (read only). */
function candidateJson(c: LadderCandidate, requested: Money): CandidateExplanation {
  const kept = c.prepared?.explanation;
  if (kept && kept.requested === requested) return kept.json;
  const json = explainCandidate(c, requested);
  if (c.prepared) c.prepared.explanation = { requested, json };
  return json;
}

function explainCandidate(c: LadderCandidate, requested: Money): CandidateExplanation {
  return {
    model: c.job.model,
    mode: c.job.mode,
    resolution: c.job.resolution,
    audio: c.job.audio,
    durationSeconds: c.job.durationSeconds,
    billedSeconds: c.price.billedSeconds,
    reference: c.job.reference ?? null,
    cost: formatMoney(c.price.cost),
    reserve: formatMoney(c.reserve),
    saving: formatMoney(requested.minus(c.price.cost)),
    ceiling: c.ceiling,
    downgraded: c.downgraded,
    steps: c.steps,
    fallbacks: c.fallbacks.map((f) => ({ model: f.model, cost: formatMoney(f.cost) })),
  };
}

/** The JSON shape of a decision (`vidgate quote --json`, the router's explanation): amounts as decimal strings. */
export function decisionJson(d: Decision): Explanation {
  const l = d.ladder;
  const requested = l.requestPrice.cost;
  // The chosen candidate's explanation has its cost, reserve and saving written already.
  const chosen = d.chosen === null ? null : candidateJson(l.candidates[d.chosen]!, requested);
  return {
    outcome: d.outcome,
    rateCard: l.rateCard,
    currency: l.currency,
    chosen: chosen ? { index: d.chosen!, ...chosen } : null,
    requestedCost: formatMoney(requested),
    cost: chosen?.cost ?? null,
    reserve: chosen?.reserve ?? null,
    saving: chosen?.saving ?? null,
    candidates: l.candidates.map((c) => candidateJson(c, requested)),
    dropped: l.dropped.map((c) => ({ ...candidateJson(c, requested), reason: c.reason })),
    rules: l.rules,
    reasons: d.reasons,
  };
}
export type DecisionJson = Explanation;
