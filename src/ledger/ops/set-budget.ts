import type { z } from 'zod';
import type { BudgetInput } from '../schema.js';
import type { Instant } from '../clock.js';
import { micros, ppm } from '../codec.js';
import { commonArgs, type OpContext, type ScriptCall } from './context.js';

type Budget = z.output<typeof BudgetInput>;

/** set-budget.lua: ARGV[5] scope kind, ARGV[6] limit, ARGV[7] period, ARGV[8] thresholds (ppm, ascending, once each). */
export function setBudgetCall(ctx: OpContext, b: Budget, at: Instant): ScriptCall {
  const alerts = [...new Set(b.alerts.map(ppm.encode))].sort((x, y) => x - y).join(',');
  return {
    keys: [ctx.keys.budget(b.team, b.project), ctx.keys.audit(b.team)],
    args: [...commonArgs(ctx, b.project ?? b.team, at), b.project === undefined ? 'team' : 'project', micros.encode(b.limit), b.period, alerts],
  };
}
