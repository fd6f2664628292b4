import type { Job as BullJob, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { PricingError } from '../errors.js';
import { Job } from '../job.js';
import type { Ledger } from '../ledger/ledger.js';
import type { ScopeBalance } from '../ledger/schema.js';
import { money, type Money } from '../money.js';
import { decisionJson, decisionOf, ladderReasons } from '../policy/decision.js';
import { ladder } from '../policy/ladder.js';
import type { LoadedPolicy } from '../policy/load.js';
import { describeIssues } from '../validation.js';
import { KEEP_FINISHED } from './names.js';
import type { DecisionCode, DecisionRecord, GenerateData } from './records.js';
import { replayedChoice, type Choice } from './replay.js';

export interface RouterDeps {
  ledger: Ledger;
  generate: Queue<GenerateData>;
  policyFor: (team: string) => LoadedPolicy | undefined;
  leaseMs: number;
  /** Retries of a generate job (provider rate limits, outages): BullMQ attempts and backoff. */
  generateAttempts?: { attempts: number; backoffMs: number };
  log: Logger;
}

/** The most-used scope's (spent + reserved) / limit, read only when a rule needs it. */
async function utilizationOf(ledger: Ledger, team: string, project: string): Promise<Money | undefined> {
  const views = await Promise.all([ledger.getBudget({ team }), ledger.getBudget({ team, project })]);
  let max: Money | undefined;
  for (const v of views) {
    if (!v || money(v.limit).isZero()) continue;
    const u = money(v.spent).plus(v.reserved).dividedBy(v.limit);
    if (!max || u.gt(max)) max = u;
  }
  return max;
}

function headroom(scopes: ScopeBalance[]): string[] {
  return scopes.map((s) => `${s.scope} ${s.name} (${s.window}): ${s.available} of ${s.limit} available (spent ${s.spent}, reserved ${s.reserved})`);
}

/**
 * The router's step for one intake job: validate, build the policy ladder, reserve it in the
 * ledger (reservation id = job id) and forward the chosen variant to `generate` under the same id,
 * or finish with a rejection that says why. A retry returns the same decision: the reservation
 * replays, and what was already forwarded is not sent again (see replay.ts for a policy reloaded
 * between the two).
 */
export function createRouter(deps: RouterDeps) {
  return async (bull: BullJob): Promise<DecisionRecord> => {
    const id = bull.id!;
    const raw = (bull.data ?? {}) as Record<string, unknown>;
    const base = { id, team: typeof raw.team === 'string' ? raw.team : null, project: typeof raw.project === 'string' ? raw.project : null };
    const reject = (code: DecisionCode, reasons: string[], extra: Partial<DecisionRecord> = {}): DecisionRecord => {
      deps.log.info({ job: id, code, reasons }, 'rejected');
      return { ...base, ...extra, outcome: 'reject', code, reasons, scopes: extra.scopes ?? [], decidedAt: new Date().toISOString() };
    };

    const parsed = Job.safeParse({ ...raw, id });
    if (!parsed.success) return reject('invalid-job', describeIssues(parsed.error).map((m) => `invalid job: ${m}`));
    const job = parsed.data;
    const loaded = deps.policyFor(job.team);
    if (!loaded) return reject('no-policy', [`team ${job.team} has no policy`]);
    const { policy, card } = loaded;
    if (!policy.budgets.projects[job.project]) return reject('no-project-budget', [`project ${job.project} has no budget in team ${job.team}'s policy`]);

    const utilization = policy.rules.audioDeferral.when === 'above' ? await utilizationOf(deps.ledger, job.team, job.project) : undefined;
    let l: ReturnType<typeof ladder>;
    try {
      l = ladder(job, policy, card, { utilization });
    } catch (err) {
      if (err instanceof PricingError) return reject('unpriceable', [err.message]);
      throw err;
    }
    if (l.candidates.length === 0) return reject('no-candidate', ladderReasons(l), decisionJson(decisionOf(l, null)));

    const r = await deps.ledger.reserve({
      reservationId: id,
      team: job.team,
      project: job.project,
      candidates: l.candidates.map((c) => ({ cost: c.reserve, ceiling: c.ceiling })),
      leaseMs: deps.leaseMs,
    });
    if (r.status === 'rejected') {
      const why = r.reason === 'no-budget' ? `project ${job.project} has no budget in the ledger` : 'no candidate fits the budget';
      return reject(r.reason === 'no-budget' ? 'no-ledger-budget' : 'insufficient-budget', [why, ...headroom(r.scopes)], { ...decisionJson(decisionOf(l, null)), scopes: r.scopes });
    }
    let choice: Choice = { ladder: l, index: r.candidate, reserved: r.amount, forwarded: false, reasons: [] };
    if (r.replayed) {
      const replayed = await replayedChoice(deps, id, l, r);
      if ('rejected' in replayed) return reject(replayed.code, replayed.rejected, { ...decisionJson(decisionOf(l, null)), scopes: r.scopes });
      choice = replayed;
    }
    const chosen = choice.ladder.candidates[choice.index]!;
    const fallback = policy.rules.fallback;
    if (!choice.forwarded) {
      await deps.generate.add(
        'generate',
        {
          id,
          variant: chosen.job,
          rateCard: loaded.cardRef,
          estimatedCost: chosen.price.cost.toString(),
          reserved: choice.reserved,
          fallbacks: chosen.fallbacks.map((f) => ({ model: f.model, cost: f.cost.toString() })),
          fallbackDirection: fallback.direction,
        },
        {
          jobId: id,
          removeOnComplete: KEEP_FINISHED,
          removeOnFail: KEEP_FINISHED,
          attempts: deps.generateAttempts?.attempts ?? 5,
          backoff: { type: 'exponential', delay: deps.generateAttempts?.backoffMs ?? 2000 },
        },
      );
    }
    const record: DecisionRecord = { ...base, ...decisionJson(decisionOf(choice.ladder, choice.index, choice.reasons)), ...(choice.code ? { code: choice.code } : {}), scopes: r.scopes, decidedAt: new Date().toISOString() };
    deps.log.info({ job: id, outcome: record.outcome, cost: record.cost, replayed: r.replayed }, 'admitted');
    return record;
  };
}
