import { DEFAULTS } from '../../defaults.js';

/**
 * A job's place in its team's line as two characters that sort lexically: the stage (production
 * before draft), then the priority (9 before 1). Jobs of the same rank keep the order they came in.
 */
export function rankOf(stage: 'draft' | 'production', priority: number = DEFAULTS.jobPriority): string {
  if (!Number.isInteger(priority) || priority < 1 || priority > 9) throw new RangeError(`priority must be a whole number from 1 to 9, got ${priority}`);
  return `${stage === 'production' ? 0 : 1}${9 - priority}`;
}
