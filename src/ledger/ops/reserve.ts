import type { ReserveResult } from '../schema.js';
import type { EncodedReservation } from '../encoded-candidate.js';
import type { Instant, Retry } from '../clock.js';
import { micros } from '../codec.js';
import { windowsAt } from '../windows.js';
import { commonArgs, type Located, type OpContext, type ScriptCall } from './context.js';
import { decodeAlertText, decodeViewText } from './views.js';

const DAY_MS = 86_400_000;

/**
 * reserve.lua's KEYS and ARGV (see its header). The balance keys of every period are passed, for
 * the windows of `at.guess`; the script checks those windows against its own clock.
 */
export function reserveCall(ctx: OpContext, r: EncodedReservation, at: Instant): ScriptCall {
  const w = windowsAt(at.guess);
  const k = ctx.keys;
  const args: (string | number)[] = [
    ...commonArgs(ctx, r.reservationId, at),
    r.team,
    r.project,
    r.leaseMs ?? ctx.defaultLeaseMs,
    ctx.retentionMs,
    // The day the windows are of: the script checks it against its clock instead of each window.
    Math.floor(at.guess / DAY_MS),
    w.daily,
    w.weekly,
    w.monthly,
    r.candidates.length,
  ];
  for (const c of r.candidates) args.push(c.cost, c.ceiling);
  args.push(ctx.historyRetentionMs, r.jobId ?? '');
  for (const c of r.candidates) args.push(c.tag);
  const keys = [
    k.reservation(r.team, r.reservationId),
    k.leases(r.team),
    k.audit(r.team),
    k.budget(r.team, r.project),
    ...k.balances(r.team, r.project, w),
    k.budget(r.team),
    ...k.balances(r.team, undefined, w),
    k.history(r.team, w.daily),
  ];
  return { keys, args };
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
