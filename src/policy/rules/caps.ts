import { formatMoney, money } from '../../money.js';
import type { Rules } from '../schema.js';
import type { LadderCandidate } from '../types.js';
import { allowedModel } from './fallback.js';

/** Why a candidate may never be admitted (cap or allow-list), or null if it may. */
export function capViolation(c: LadderCandidate, rules: Rules): string | null {
  if (!allowedModel(c.job.model, rules)) return `${c.job.model} is not in allowModels (${rules.allowModels!.join(', ')})`;
  if (rules.allowResolutions && !rules.allowResolutions.includes(c.job.resolution)) {
    return `${c.job.resolution} is not in allowResolutions (${rules.allowResolutions.join(', ')})`;
  }
  if (rules.maxJobCost !== undefined && c.reserve.gt(money(rules.maxJobCost))) {
    const what = c.reserve.equals(c.price.cost) ? 'costs' : 'reserves (with its fallbacks)';
    return `${what} ${formatMoney(c.reserve)}, above maxJobCost ${formatMoney(money(rules.maxJobCost))}`;
  }
  return null;
}
