import type { Job } from '../../job.js';
import type { Money } from '../../money.js';
import type { Rules } from '../schema.js';
import type { RuleFired } from '../types.js';

/**
 * Deferrable audio (dubbed later) is generated silent: always, or while the budget is used above
 * the threshold. Required audio is never dropped. `utilization` is the most-used scope's
 * (spent + reserved) / limit, when known.
 */
export function applyAudioDeferral(job: Job, rules: Rules, utilization?: Money): { job: Job; fired?: RuleFired } {
  if (job.audio !== 'deferrable') return { job };
  const d = rules.audioDeferral;
  if (d.when === 'never') return { job };
  if (d.when === 'above' && (utilization === undefined || utilization.lte(d.above))) return { job };
  const why = d.when === 'always' ? 'always' : `budget is ${utilization!.times(100).toDecimalPlaces(1).toString()}% used, above ${d.above * 100}%`;
  return { job: { ...job, audio: 'none' }, fired: { rule: 'audio-deferral', detail: `deferrable audio generated silent (${why})` } };
}
