import { formatMoney } from '../../money.js';
import type { BudgetView } from '../schema.js';
import type { Instant, Retry } from '../clock.js';
import { micros, ppm } from '../codec.js';
import { available } from '../headroom.js';
import { Period, windowsAt } from '../windows.js';
import { commonArgs, type OpContext, type ScriptCall } from './context.js';

/** get-budget.lua: the config key and every period's balance key for the windows of `at.guess`; ARGV[5..8] those windows. */
export function getBudgetCall(ctx: OpContext, scope: { team: string; project?: string }, at: Instant): ScriptCall {
  const w = windowsAt(at.guess);
  return {
    keys: [ctx.keys.budget(scope.team, scope.project), ...ctx.keys.balances(scope.team, scope.project, w)],
    args: [...commonArgs(ctx, scope.project ?? scope.team, at), w.none, w.daily, w.weekly, w.monthly],
  };
}

export type GetBudgetWire =
  | { status: 'none' }
  | { status: 'retry'; now: string }
  | { status: 'ok'; limit: string; period: string; alerts: string; window: string; spent: string; reserved: string };

export function decodeGetBudget(scope: { team: string; project?: string }, wire: GetBudgetWire): BudgetView | null | Retry {
  if (wire.status === 'none') return null;
  if (wire.status === 'retry') return { status: 'retry', now: Number(wire.now) };
  const used = micros.toMoney(wire.spent).plus(micros.toMoney(wire.reserved));
  return {
    team: scope.team,
    ...(scope.project === undefined ? {} : { project: scope.project }),
    limit: micros.decode(wire.limit),
    period: Period.parse(wire.period),
    alerts: wire.alerts ? wire.alerts.split(',').map(ppm.decode) : [],
    window: wire.window,
    spent: micros.decode(wire.spent),
    reserved: micros.decode(wire.reserved),
    available: formatMoney(available(micros.toMoney(wire.limit), used)),
  };
}
