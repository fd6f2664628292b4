import type { ExtendResult } from '../schema.js';
import type { Instant } from '../clock.js';
import { commonArgs, type OpContext, type ScriptCall } from './context.js';

/** extend.lua touches no balance nor history: the reservation's team is enough; ARGV[5] is the lease, then the terms if any. */
export function extendCall(ctx: OpContext, team: string, id: string, at: Instant, leaseMs: number, terms?: readonly [string, string]): ScriptCall {
  const k = ctx.keys;
  return { keys: [k.reservation(team, id), k.leases(team), k.audit(team)], args: [...commonArgs(ctx, id, at), leaseMs, ...(terms ?? [])] };
}

export function decodeExtend(wire: Omit<ExtendResult, 'leaseUntil'> & { leaseUntil?: string }): ExtendResult {
  return wire.leaseUntil === undefined ? (wire as ExtendResult) : { ...wire, leaseUntil: Number(wire.leaseUntil) };
}
