import type { Job as BullJob, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { DEFAULTS } from '../defaults.js';
import { PricingError } from '../errors.js';
import { Job } from '../job.js';
import { EncodedCandidate } from '../ledger/encoded-candidate.js';
import type { Ledger } from '../ledger/ledger.js';
import type { ScopeBalance } from '../ledger/schema.js';
import { money, type Money } from '../money.js';
import { decisionOf } from '../policy/decision.js';
import { ladder } from '../policy/ladder.js';
import { projectBudgetOf } from '../policy/schema.js';
import { candidateSavings } from '../policy/savings.js';
import type { Ladder, LadderCandidate } from '../policy/types.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import { RouterRejection } from '../ledger/history.js';
import { ModelId } from '../catalog.js';
import { Name } from '../names.js';
import { describeIssues } from '../validation.js';
import { internalJobId, KEEP_COMPLETED, KEEP_FAILED } from './names.js';
import type { ActivePolicy } from './policy-store.js';
import { decisionRecord, headroom, storeDecision, writeMoney, type Admission, type DecisionCode, type DecisionContext, type GenerateData, type StoredDecision } from './records.js';
import { replayedChoice, type Choice } from './replay.js';
import type { AccountScheduler } from './scheduler/account.js';
import type { CancelGate } from './cancel-gate.js';

export interface RouterDeps {
  ledger: Ledger;
  generate: Queue<GenerateData>;
  /** The provider account's fair scheduler: admitted jobs wait in their team's line there. */
  scheduler: AccountScheduler;
  /** A job's cancel-or-sent claim, and whether it is held for reconciliation: a replay whose generate job is gone learns from them that it went on. */
  gate: CancelGate;
  held: (id: string) => Promise<boolean>;
  /** How long an admitted job sleeps in generate's delayed set unless the dispatcher wakes it at its turn. */
  parkMs?: number;
  policyFor: (team: string) => ActivePolicy | undefined;
  /** The card an admission names (built-in, or stored with its policy version): a replay re-prices what was forwarded. */
  cardFor: (team: string, ref: string) => Promise<RateCard>;
  leaseMs: number;
  /** Retries of a generate job (provider rate limits, outages): BullMQ attempts and backoff. */
  generateAttempts?: { attempts: number; backoffMs: number };
  log: Logger;
}

/** The most-used scope's (spent + reserved) / limit, read (in one call) only when a rule needs it. */
async function utilizationOf(ledger: Ledger, team: string, project: string): Promise<Money | undefined> {
  const views = await ledger.getBudgets(team, [project]);
  let max: Money | undefined;
  for (const v of views) {
    if (!v || money(v.limit).isZero()) continue;
    const u = money(v.spent).plus(v.reserved).dividedBy(v.limit);
    if (!max || u.gt(max)) max = u;
  }
  return max;
}

/**
 * A candidate as the ledger reserves it, with what the spend history keeps of it if it is admitted
 * (model, price, downgrade, savings by rule): validated and encoded once per prepared candidate,
 * which every job of its shape shares.
 */
function ledgerCandidate(l: Ladder, c: LadderCandidate, card: RateCard): EncodedCandidate {
  const encode = () =>
    EncodedCandidate.of({ cost: c.reserve, ceiling: c.ceiling, history: { model: c.job.model, estimate: c.price.cost, downgraded: c.downgraded, savings: c.prepared?.savings ?? candidateSavings(l.request, c, card) } });
  return c.prepared ? (c.prepared.reservation ??= encode()) : encode();
}

/** The admission the generator gets for the chosen variant. */
function admissionOf(id: string, choice: Choice, loaded: ActivePolicy): Admission {
  const chosen = choice.ladder.candidates[choice.index]!;
  return {
    id,
    variant: chosen.job,
    rateCard: loaded.cardRef,
    policyVersion: loaded.version,
    estimatedCost: writeMoney(chosen.price.cost),
    reserved: choice.reserved,
    fallbacks: chosen.fallbacks.map((f) => ({ model: f.model, cost: writeMoney(f.cost) })),
    fallbackDirection: loaded.policy.rules.fallback.direction,
  };
}

/**
 * The router's step for one intake job: validate, build the policy ladder, reserve it in the
 * ledger (reservation id = the internal job id) and forward the chosen variant to `generate` under the same id,
 * or finish with a rejection that says why. A retry returns the same decision: the reservation
 * replays, and what was already forwarded is not sent again (see replay.ts for a policy reloaded
 * between the two, and for a job enqueued again after it ended).
 */
export function createRouter(deps: RouterDeps) {
  return async (bull: BullJob): Promise<StoredDecision> => {
    const id = bull.id!; // the internal id: reservation and generate job id
    const raw = (bull.data ?? {}) as Record<string, unknown>;
    const ctx: DecisionContext = {
      id: typeof raw.id === 'string' ? raw.id : id,
      team: typeof raw.team === 'string' ? raw.team : null,
      project: typeof raw.project === 'string' ? raw.project : null,
      policyVersion: null,
    };
    const reject = (code: DecisionCode, reasons: string[], l: Ladder | null = null, scopes: ScopeBalance[] = []): StoredDecision => {
      deps.log.info({ job: id, code, reasons }, 'rejected');
      return storeDecision(decisionRecord(ctx, code, l && decisionOf(l, null), { reasons, scopes }));
    };
    /**
     * A rejection before the ledger, counted once in the team's spend history (the ledger keeps a
     * record per id: a retried step counts nothing more). Only a team with a policy has a history,
     * and only a project with a budget in it is named there; a job whose id is not its team's
     * internal id names no team at all.
     */
    const refuse = async (code: RouterRejection, reasons: string[], l: Ladder | null = null): Promise<StoredDecision> => {
      const team = Name.safeParse(raw.team);
      const callerId = typeof raw.id === 'string' ? raw.id : undefined;
      const policy = team.success ? deps.policyFor(team.data)?.policy : undefined;
      if (team.success && policy && callerId !== undefined && internalJobId(team.data, callerId) === id) {
        const project = Name.safeParse(raw.project);
        const model = ModelId.safeParse(raw.model);
        await deps.ledger.reject({
          reservationId: id,
          team: team.data,
          project: project.success && projectBudgetOf(policy, project.data) ? project.data : null,
          model: model.success ? model.data : null,
          code,
        });
      }
      return reject(code, reasons, l);
    };

    const parsed = Job.safeParse(raw);
    if (!parsed.success) return refuse('invalid-job', describeIssues(parsed.error).map((m) => `invalid job: ${m}`));
    const job = parsed.data;
    // Only the client's enqueue makes intake jobs; one added otherwise must not take another
    // team's (or no team's) reservation id.
    if (job.id === undefined || internalJobId(job.team, job.id) !== id) return reject('invalid-job', [`invalid job: its id is not the internal id of team ${job.team}'s job ${job.id ?? '(none)'}: enqueue with the vidgate client`]);
    const loaded = deps.policyFor(job.team);
    if (!loaded) return reject('no-policy', [`team ${job.team} has no policy`]);
    ctx.policyVersion = loaded.version;
    const { policy, card } = loaded;
    if (!projectBudgetOf(policy, job.project)) return refuse('no-project-budget', [`project ${job.project} has no budget in team ${job.team}'s policy`]);

    const utilization = policy.rules.audioDeferral.when === 'above' ? await utilizationOf(deps.ledger, job.team, job.project) : undefined;
    let l: Ladder;
    try {
      l = ladder(job, policy, card, { utilization });
    } catch (err) {
      if (err instanceof PricingError) return refuse('unpriceable', [err.message]);
      throw err;
    }
    if (l.candidates.length === 0) return refuse('no-candidate', [], l);

    const r = await deps.ledger.reserve({
      reservationId: id,
      team: job.team,
      project: job.project,
      candidates: l.candidates.map((c) => ledgerCandidate(l, c, card)),
      leaseMs: deps.leaseMs,
      jobId: job.id,
    });
    if (r.status === 'rejected' && RouterRejection.safeParse(r.reason).success) {
      // An earlier attempt rejected it before the ledger (then the policy was reloaded): the same decision.
      return reject(r.reason as DecisionCode, [`rejected by an earlier attempt (${r.reason})`], l, r.scopes);
    }
    if (r.status === 'rejected') {
      const why = r.reason === 'no-budget' ? `project ${job.project} has no budget in the ledger` : 'no candidate fits the budget';
      return reject(r.reason === 'no-budget' ? 'no-ledger-budget' : 'insufficient-budget', [why, ...headroom(r.scopes)], l, r.scopes);
    }
    let choice: Choice = { ladder: l, index: r.candidate, reserved: r.amount, forwarded: false, reasons: [] };
    if (r.replayed) {
      const replayed = await replayedChoice(deps, job.team, id, l, r);
      if ('rejected' in replayed) return reject(replayed.code, replayed.rejected, l, r.scopes);
      choice = replayed;
    }
    if (!choice.forwarded) {
      // It sleeps (delayed) until the dispatcher gives it a slot of the account and wakes it: a
      // first-in, first-out queue in front of the slots would let one team's flood starve the rest.
      await deps.generate.add('generate', admissionOf(id, choice, loaded), {
        jobId: id,
        delay: deps.parkMs ?? DEFAULTS.parkMs,
        // Kept as the decision is: reconciliation prices its tasks by the terms its reservation keeps.
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
        attempts: deps.generateAttempts?.attempts ?? DEFAULTS.generateAttempts,
        backoff: { type: 'exponential', delay: deps.generateAttempts?.backoffMs ?? DEFAULTS.generateBackoffMs },
      });
    }
    // Also on a retried step, which may have stopped between the two (a job the account knows is left as it is).
    const variant = choice.ladder.candidates[choice.index]!.job;
    const scheduling = loaded.policy.scheduling;
    await deps.scheduler.enqueue({ id, team: job.team, stage: variant.stage, priority: variant.priority, share: scheduling?.share ?? DEFAULTS.teamShare, maxConcurrent: scheduling?.maxConcurrent });
    const decision = decisionOf(choice.ladder, choice.index);
    const code: DecisionCode = choice.code ?? (decision.outcome === 'downgrade' ? 'downgraded' : 'admitted');
    const record = decisionRecord(ctx, code, decision, { reasons: choice.reasons, scopes: r.scopes });
    deps.log.info({ job: id, outcome: record.outcome, cost: record.cost, replayed: r.replayed }, 'admitted');
    return storeDecision(record);
  };
}
