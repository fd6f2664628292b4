import type { Money } from '../../money.js';
import type { Instant } from '../clock.js';
import { micros } from '../codec.js';
import { reservationCall, type Located, type OpContext, type ScriptCall } from './context.js';

/** commit.lua: ARGV[5] retention of the finished record, ARGV[6] what the provider billed. */
export function commitCall(ctx: OpContext, id: string, at: Instant, located: Located, actual: Money): ScriptCall {
  return reservationCall(ctx, id, at, located, [ctx.retentionMs, micros.encode(actual, 'up')]);
}
