import type { ResolveResult } from '../schema.js';
import { decodeMoneyFields } from '../codec.js';
import { decodeAlert, decodeView, list, type AlertWire, type ScopeWire } from './views.js';

/** The JSON that commit, release and expire-due answer with (see their headers); amounts in micro-units. */
export interface ResolveWire {
  status: string;
  reservationId: string;
  leaseUntil?: string;
  scopes?: ScopeWire[] | Record<string, never>;
  alerts?: AlertWire[] | Record<string, never>;
  replayed?: boolean;
  [field: string]: unknown;
}

const RESOLVE_MONEY = ['reserved', 'charged', 'actual', 'overrun', 'refunded'] as const;

/** What resolving settled, in the API's terms; the 'stale-keys' status passes through for the caller. */
export function decodeResolve(wire: ResolveWire): ResolveResult | { status: 'stale-keys' } {
  const out: Record<string, unknown> = decodeMoneyFields(wire, RESOLVE_MONEY);
  if (wire.leaseUntil !== undefined) out.leaseUntil = Number(wire.leaseUntil);
  if (wire.scopes !== undefined) out.scopes = list(wire.scopes).map(decodeView);
  if (wire.alerts !== undefined) out.alerts = list(wire.alerts).map(decodeAlert);
  out.replayed = wire.replayed === true;
  return out as ResolveResult;
}
