import type { ReserveResult } from '../schema.js';
import type { EncodedReservation } from '../encoded-candidate.js';
import type { Instant, Retry } from '../clock.js';
import { micros } from '../codec.js';
import { BoundedCache } from '../../bounded-cache.js';
import type { LedgerKeys } from '../keys.js';
import { windowsAt } from '../windows.js';
import { commonArgs, type Located, type OpContext, type ScriptCall } from './context.js';
import { decodeAlertText, decodeViewText } from './views.js';

const DAY_MS = 86_400_000;

/** What a reservation's call takes from its team, project and day alone (every window is whole days). */
interface DayScopes {
  /** The day as the script checks it (whole days since the epoch), and its window ids: day, week, month. */
  dayArgs: string[];
  /** Every key but the reservation's own, in reserve.lua's order from KEYS[2]. */
  keys: string[];
}

// The same for every reservation of a team's project in one day: built once, not per reservation.
const dayScopes = new WeakMap<LedgerKeys, BoundedCache<string, DayScopes>>();

function dayScopesOf(k: LedgerKeys, team: string, project: string, guess: number): DayScopes {
  let cache = dayScopes.get(k);
  if (!cache) dayScopes.set(k, (cache = new BoundedCache(10_000)));
  const day = Math.floor(guess / DAY_MS);
  // Names hold no "|" (Name): the key is unambiguous.
  const id = `${day}|${team}|${project}`;
  let s = cache.get(id);
  if (!s) {
    const w = windowsAt(guess);
    s = {
      dayArgs: [String(day), w.daily, w.weekly, w.monthly],
      keys: [k.leases(team), k.audit(team), k.budget(team, project), ...k.balances(team, project, w), k.budget(team), ...k.balances(team, undefined, w), k.history(team, w.daily)],
    };
    cache.set(id, s);
  }
  return s;
}

/**
 * reserve.lua's KEYS and ARGV (see its header). The balance keys of every period are passed, for
 * the windows of `at.guess`; the script checks those windows against its own clock.
 */
export function reserveCall(ctx: OpContext, r: EncodedReservation, at: Instant): ScriptCall {
  const s = dayScopesOf(ctx.keys, r.team, r.project, at.guess);
  const args: (string | number)[] = [
    ...commonArgs(ctx, r.reservationId, at),
    r.team,
    r.project,
    r.leaseMs ?? ctx.defaultLeaseMs,
    ctx.retentionMs,
    // The day the windows are of (the script checks it against its clock instead of each window), and its windows.
    ...s.dayArgs,
    r.candidates.length,
  ];
  for (const c of r.candidates) args.push(c.cost, c.ceiling);
  args.push(ctx.historyRetentionMs, r.jobId ?? '');
  for (const c of r.candidates) args.push(c.tag);
  return { keys: [ctx.keys.reservation(r.team, r.reservationId), ...s.keys], args };
}

/** reserve.lua's flat reply (see its header). */
export type ReserveReply = [string, number, number, string, string, string, string, string, string];

export function decodeReserve(reservationId: string, reply: ReserveReply): ReserveResult | Retry {
  const [status, replayed, candidate, amount, leaseUntil, reason, views, alerts, day] = reply;
  if (status === 'retry') return { status, now: Number(leaseUntil) };
  const scopes = decodeViewText(views);
  if (status === 'rejected') {
    return { status, reservationId, reason: reason as RejectedReason, scopes, replayed: replayed === 1, day };
  }
  return {
    status: 'reserved',
    reservationId,
    candidate: Number(candidate),
    amount: micros.decode(amount),
    leaseUntil: Number(leaseUntil),
    scopes,
    alerts: decodeAlertText(alerts),
    replayed: replayed === 1,
    day,
  };
}
type RejectedReason = Extract<ReserveResult, { status: 'rejected' }>['reason'];

/** Where a reservation's money sits, from its result: the cache that spares commit a lookup. */
export function locatedBy(team: string, project: string, result: ReserveResult): Located {
  return { team, project, scopes: result.scopes.map((s) => ({ scope: s.scope, window: s.window })), day: result.day || null };
}
