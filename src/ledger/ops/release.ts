import type { Instant } from '../clock.js';
import { reservationCall, type Located, type OpContext, type ScriptCall } from './context.js';

/** release.lua: ARGV[5] retention of the finished record, ARGV[6] why (for the audit). */
export function releaseCall(ctx: OpContext, id: string, at: Instant, located: Located, reason: string): ScriptCall {
  return reservationCall(ctx, id, at, located, [ctx.retentionMs, reason]);
}
