import { formatMoney } from '../../money.js';
import type { BudgetView } from '../schema.js';
import type { Instant, Retry } from '../clock.js';
import { micros, ppm } from '../codec.js';
import { available } from '../headroom.js';
import { Period, windowsAt } from '../windows.js';
import { commonArgs, type OpContext, type ScriptCall } from './context.js';

export interface Scope {
  team: string;
  project?: string;
}

/**
 * get-budget.lua: per scope (all of one team: one hash tag), the config key and every period's
 * balance key for the windows of `at.guess`; ARGV[5..8] those windows.
 */
export function getBudgetCall(ctx: OpContext, scopes: Scope[], at: Instant): ScriptCall {
  const w = windowsAt(at.guess);
  return {
    keys: scopes.flatMap((s) => [ctx.keys.budget(s.team, s.project), ...ctx.keys.balances(s.team, s.project, w)]),
    args: [...commonArgs(ctx, scopes.map((s) => s.project ?? s.team).join(','), at), w.none, w.daily, w.weekly, w.monthly],
  };
}

type ScopeWire = { status: 'none' } | { status: 'ok'; limit: string; period: string; alerts: string; fired?: string; window: string; spent: string; reserved: string };
export type GetBudgetWire = { status: 'retry'; now: string } | { status: 'ok'; scopes: ScopeWire[] | Record<string, never> };

/** Each scope's view (null where no budget is set), in the order asked; or the script's time to retry with. */
export function decodeGetBudgets(scopes: Scope[], wire: GetBudgetWire): (BudgetView | null)[] | Retry {
  if (wire.status === 'retry') return { status: 'retry', now: Number(wire.now) };
  const list = Array.isArray(wire.scopes) ? wire.scopes : [];
  return scopes.map((scope, i) => decodeScope(scope, list[i]!));
}

function decodeScope(scope: Scope, wire: ScopeWire): BudgetView | null {
  if (wire.status === 'none') return null;
  const used = micros.toMoney(wire.spent).plus(micros.toMoney(wire.reserved));
  return {
    team: scope.team,
    ...(scope.project === undefined ? {} : { project: scope.project }),
    limit: micros.decode(wire.limit),
    period: Period.parse(wire.period),
    alerts: wire.alerts ? wire.alerts.split(',').map(ppm.decode) : [],
    alertsFired: wire.fired ? wire.fired.split(',').map(ppm.decode) : [],
    window: wire.window,
    spent: micros.decode(wire.spent),
    reserved: micros.decode(wire.reserved),
    available: formatMoney(available(micros.toMoney(wire.limit), used)),
  };
}
