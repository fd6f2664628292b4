import type { Logger } from 'pino';
import type { Job } from '../../job.js';
import type { Ledger } from '../../ledger/ledger.js';
import { money, type Money } from '../../money.js';
import { billedSecondsOf, price, tryPrice } from '../../pricing/price.js';
import type { RateCard } from '../../pricing/rate-card-schema.js';
import type { TaskState } from '../../providers/provider.js';
import { completedOutcome, type GenerateData, type GenerationResult } from '../records.js';
import { pricingTermsOf, type PricingTerms } from '../records/admission.js';

/**
 * What a finished task cost: the provider's billing record when it gives one, else the output's
 * length as the card prices it (`terms`: the job's card and the request the task was made for).
 * A length the provider leaves out, or one the card cannot price, settles at what was asked: a
 * settlement that throws would never commit at all.
 */
export async function actualCost(
  job: { id: string; team: string },
  terms: PricingTerms,
  task: TaskState,
  log: Logger,
  cardFor: (team: string, ref: string) => Promise<RateCard>,
): Promise<{ actual: Money; billing: 'provider' | 'duration' }> {
  if (task.billing) return { actual: task.billing.amount, billing: 'provider' };
  // The card of the policy version that admitted the job, whatever version is in force now.
  const card = await cardFor(job.team, terms.card);
  const asked = { ...terms.request, model: task.model ?? terms.request.model };
  const seconds = task.outputs[0]?.durationSeconds ?? null;
  // Motion Control bills the reference video's real length (in billed seconds: a 30.04 s output of
  // a 30 s reference is 30), whatever the job said it was.
  const real = seconds === null ? null : asked.reference ? billedSecondsOf(seconds) : seconds;
  const measuredReq = asked.reference && real !== null ? { ...asked, reference: { ...asked.reference, videoSeconds: real } } : asked;
  const measured = real === null ? null : tryPrice({ ...measuredReq, durationSeconds: real }, card);
  if (!measured) log.warn({ job: job.id, outputSeconds: seconds }, 'no priceable output length from the provider; settling the length asked');
  return { actual: (measured ?? price(asked, card)).cost, billing: 'duration' };
}

/** Commits what the task cost, once (a replayed commit charges nothing more). */
export async function settle(
  deps: { ledger: Ledger; log: Logger; cardFor: (team: string, ref: string) => Promise<RateCard> },
  d: GenerateData,
  job: Job,
  task: TaskState,
  tried: GenerateData['tried'],
): Promise<GenerationResult> {
  const { ledger, log } = deps;
  const { actual, billing } = await actualCost({ id: d.id, team: d.variant.team }, pricingTermsOf({ rateCard: d.rateCard, variant: job }), task, log, deps.cardFor);
  const c = await ledger.commit({ reservationId: d.id, actual });
  if (c.status !== 'committed') {
    log.error({ job: d.id, status: c.status }, 'the reservation resolved before the commit: this spend is not in the ledger');
  }
  const committed = c.status === 'committed';
  const output = task.outputs[0];
  const outcome = completedOutcome(d, {
    model: task.model ?? job.model,
    videoUrl: output?.url ?? null,
    outputSeconds: output?.durationSeconds ?? null,
    actual,
    charged: committed ? money(c.charged) : money('0'),
    overrun: committed ? money(c.overrun ?? '0') : actual,
    billing,
    fellBackFrom: tried ?? [],
  });
  log.info({ job: d.id, model: outcome.model, actual: outcome.actualCost, variance: outcome.variance, replayed: c.replayed }, 'settled');
  return outcome;
}
