import type { Instant } from '../clock.js';
import { reservationCall, type Located, type OpContext, type ScriptCall } from './context.js';

/** expire-due.lua: ARGV[5] retention of the finished record; ARGV[6] is empty, where commit and release put their own value. */
export function expireCall(ctx: OpContext, id: string, at: Instant, located: Located): ScriptCall {
  return reservationCall(ctx, id, at, located, [ctx.retentionMs, '']);
}
