import type { Money } from '../../money.js';
import type { TopUpResult } from '../schema.js';
import type { Instant } from '../clock.js';
import { decodeMoneyFields, micros } from '../codec.js';
import { reservationCall, type Located, type OpContext, type ScriptCall } from './context.js';
import { decodeView, list, type ScopeWire } from './views.js';

/** top-up.lua: ARGV[5] the new amount. */
export function topUpCall(ctx: OpContext, id: string, at: Instant, located: Located, amount: Money): ScriptCall {
  return reservationCall(ctx, id, at, located, [micros.encode(amount, 'up')]);
}

export type TopUpWire = Omit<TopUpResult, 'scopes'> & { scopes?: ScopeWire[] | Record<string, never> };

export function decodeTopUp(wire: TopUpWire): TopUpResult {
  const out = decodeMoneyFields(wire, ['amount']) as TopUpResult;
  if (wire.scopes !== undefined) out.scopes = list(wire.scopes).map(decodeView);
  return out;
}
