import { Job, type JobInput } from '../../src/job.js';
import { Policy, type PolicyInput } from '../../src/policy/schema.js';
import { loadRateCard } from '../../src/pricing/rate-cards.js';

export const card = loadRateCard('hf-forum-2026-04');

export function policy(rules: PolicyInput['rules'] = {}, extra: Partial<PolicyInput> = {}): Policy {
  return Policy.parse({ team: 'studio-a', budgets: { projects: { trailer: { limit: '500', period: 'monthly' } } }, rules, ...extra });
}

export function job(over: Partial<JobInput> = {}): Job {
  return Job.parse({ team: 'studio-a', project: 'trailer', model: 'kling-3.0', resolution: '1080p', audio: 'none', durationSeconds: 10, ...over });
}
