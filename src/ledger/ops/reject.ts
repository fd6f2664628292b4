import type { z } from 'zod';
import type { Instant, Retry } from '../clock.js';
import type { RejectInput } from '../history.js';
import { windowsAt } from '../windows.js';
import { commonArgs, type OpContext, type ScriptCall } from './context.js';

type Rejection = z.output<typeof RejectInput>;

/** reject.lua's KEYS and ARGV (see its header): the history key of the guessed day. */
export function rejectCall(ctx: OpContext, r: Rejection, at: Instant): ScriptCall {
  const k = ctx.keys;
  const day = windowsAt(at.guess).daily;
  return {
    keys: [k.reservation(r.team, r.reservationId), k.audit(r.team), k.history(r.team, day)],
    args: [...commonArgs(ctx, r.reservationId, at), r.team, r.project ?? '-', r.model ?? '-', r.code, ctx.retentionMs, ctx.historyRetentionMs, day],
  };
}

export interface RejectResult {
  /** `rejected`, or the status of a record the id already had (then nothing was written). */
  status: string;
  reservationId: string;
  reason?: string;
  replayed: boolean;
}

export type RejectWire = RejectResult | { status: 'retry'; now: string };

export function decodeReject(wire: RejectWire): RejectResult | Retry {
  if (wire.status === 'retry') return { status: 'retry', now: Number((wire as { now: string }).now) };
  return wire as RejectResult;
}
