import type { Queue } from 'bullmq';
import type { Ledger } from '../ledger/ledger.js';
import { formatMoney, money, toMicros } from '../money.js';
import { describeVariant } from '../policy/decision.js';
import { pricerFor } from '../policy/pricer.js';
import type { Ladder, LadderCandidate } from '../policy/types.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import type { CancelGate } from './cancel-gate.js';
import type { DecisionCode, GenerateData } from './records.js';

/** The variant a router step goes on with: an index into `ladder`, and what is reserved for it. */
export interface Choice {
  ladder: Ladder;
  index: number;
  reserved: string;
  /** Already on the generate queue (by an earlier attempt). */
  forwarded: boolean;
  reasons: string[];
  /** Set when a policy reload changed what the replayed reservation stands for. */
  code?: DecisionCode;
}

export type ReplayedChoice = Choice | { rejected: string[]; code: DecisionCode };

const RELOADED = "the team's policy was reloaded after this job's reservation was made";

/**
 * How a job whose generate job is gone ended before, if it did: at the provider (its claim says
 * so for nine days, its hold for as long as it is held), cancelled, or otherwise with its
 * reservation settled. Null: it never went on (a step that stopped between reserve and forward).
 */
async function endedBefore(deps: { ledger: Ledger; gate: CancelGate; held: (id: string) => Promise<boolean> }, team: string, id: string): Promise<string | null> {
  if (await deps.held(id)) return 'went to the provider (its money is held for reconciliation)';
  const claim = await deps.gate.read(team, id);
  if (claim === 'sent') return 'went to the provider and has ended';
  if (claim === 'cancelled') return 'was cancelled';
  const status = (await deps.ledger.inspect(id))?.status;
  return status && status !== 'reserved' ? `ended before it reached the provider (its reservation was ${status})` : null;
}

/**
 * A retried router step (BullMQ delivers at least once), or the same job enqueued again while its
 * reservation is kept, finds its reservation made: the ledger replays the candidate index it
 * reserved. Under the same policy that index names the same variant. If the policy was reloaded
 * in between, it may name another, dearer or cheaper one. Then what was already forwarded
 * stands; if nothing was, the most faithful variant of the current ladder that the reservation
 * covers goes on, or the cheapest one if the reservation can be topped up to it; failing both,
 * the reservation goes back and the job is rejected.
 */
export async function replayedChoice(
  deps: { ledger: Ledger; generate: Queue<GenerateData>; gate: CancelGate; held: (id: string) => Promise<boolean>; cardFor: (team: string, ref: string) => Promise<RateCard> },
  team: string,
  id: string,
  l: Ladder,
  replay: { candidate: number; amount: string },
): Promise<ReplayedChoice> {
  const sent = (await deps.generate.getJob(id))?.data;
  if (!sent) {
    // The same job enqueued again after its generate job (kept a day after it ends) is gone: one
    // that went on and ended never goes on again.
    const ended = await endedBefore(deps, team, id);
    if (ended) return { code: 'already-ended', rejected: [`this job ${ended}; a job's decision and result are kept a day after it completes (a week after it fails). Enqueue it under a new id to run it again`] };
  }
  if (sent) {
    const index = l.candidates.findIndex((c) => describeVariant(c.job) === describeVariant(sent.variant));
    if (index >= 0) return { ladder: l, index, reserved: sent.reserved, forwarded: true, reasons: [] };
    // The forwarded variant is no longer in the ladder: it was decided under the policy before.
    const faithful = [...l.candidates, ...l.dropped].find((c) => !c.downgraded);
    const forwarded: LadderCandidate = {
      job: sent.variant,
      price: pricerFor(await deps.cardFor(sent.variant.team, sent.rateCard)).price(sent.variant),
      reserve: money(sent.reserved),
      ceiling: 1,
      downgraded: !faithful || describeVariant(faithful.job) !== describeVariant(sent.variant),
      steps: [],
      fallbacks: sent.fallbacks.map((f) => ({ model: f.model, cost: money(f.cost) })),
    };
    return {
      ladder: { ...l, candidates: [...l.candidates, forwarded] },
      index: l.candidates.length,
      reserved: sent.reserved,
      forwarded: true,
      code: 'reloaded-forwarded-stands',
      reasons: [`${RELOADED}; it had already been forwarded as ${describeVariant(sent.variant)}, which stands`],
    };
  }

  const reserved = toMicros(money(replay.amount), 'up');
  const same = l.candidates[replay.candidate];
  if (same && toMicros(same.reserve, 'up') === reserved) {
    return { ladder: l, index: replay.candidate, reserved: replay.amount, forwarded: false, reasons: [] };
  }
  const covered = l.candidates.findIndex((c) => BigInt(toMicros(c.reserve, 'up')) <= BigInt(reserved));
  if (covered >= 0) {
    return { ladder: l, index: covered, reserved: replay.amount, forwarded: false, code: 'reloaded-reservation-covers', reasons: [`${RELOADED}; the ${replay.amount} reserved covers this variant`] };
  }
  const cheapest = l.candidates.length - 1;
  const need = l.candidates[cheapest]!.reserve;
  const up = await deps.ledger.topUp({ reservationId: id, amount: need });
  if (up.toppedUp) {
    return { ladder: l, index: cheapest, reserved: up.amount!, forwarded: false, code: 'reloaded-topped-up', reasons: [`${RELOADED}; the reservation was raised from ${replay.amount} to ${formatMoney(need)} for this variant`] };
  }
  await deps.ledger.release({ reservationId: id, reason: 'policy reloaded; the budget cannot hold what it now allows' });
  return {
    code: 'reloaded-top-up-failed',
    rejected: [`${RELOADED}, and raising the ${replay.amount} reserved to the ${formatMoney(need)} the cheapest allowed variant needs failed (${up.reason ?? up.status}); the reservation was released`],
  };
}
