import { RESOLUTION_ORDER } from '../../catalog.js';
import type { Job } from '../../job.js';
import type { Rules } from '../schema.js';
import type { RuleFired } from '../types.js';

/** Draft jobs render at the staging resolution; production jobs (and drafts already at or below it) are untouched. */
export function applyStaging(job: Job, rules: Rules): { job: Job; fired?: RuleFired } {
  const target = rules.staging?.draft;
  if (job.stage !== 'draft' || !target) return { job };
  if (RESOLUTION_ORDER.indexOf(job.resolution) <= RESOLUTION_ORDER.indexOf(target)) return { job };
  return {
    job: { ...job, resolution: target },
    fired: { rule: 'staging', detail: `draft job staged from ${job.resolution} to ${target}` },
  };
}
