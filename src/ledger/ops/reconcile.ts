import type { Money } from '../../money.js';
import type { Instant } from '../clock.js';
import { decodeMoneyFields, micros } from '../codec.js';
import type { ReconcileResult } from '../schema.js';
import { reservationCall, type Located, type OpContext, type ScriptCall } from './context.js';
import { decodeView, list, type ScopeWire } from './views.js';

/** reconcile.lua: ARGV[5] what the provider billed in all. */
export function reconcileCall(ctx: OpContext, id: string, at: Instant, located: Located, billed: Money): ScriptCall {
  return reservationCall(ctx, id, at, located, [micros.encode(billed, 'up')]);
}

export type ReconcileWire = Omit<ReconcileResult, 'scopes'> & { scopes?: ScopeWire[] | Record<string, never> };

export function decodeReconcile(wire: ReconcileWire): ReconcileResult {
  const out = decodeMoneyFields(wire, ['delta', 'charged']) as ReconcileResult;
  if (wire.scopes !== undefined) out.scopes = list(wire.scopes).map(decodeView);
  return out;
}
