import { z } from 'zod';
import { Explanation } from '../policy/explanation.js';
import type { GateClaim } from '../queue/cancel-gate.js';
import type { JobView } from '../queue/client.js';
import type { GenerationResult } from '../queue/records.js';

export const JobState = z.enum(['queued', 'deciding', 'rejected', 'admitted', 'generating', 'completed', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;
/** States after which nothing changes any more. */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['rejected', 'completed', 'failed', 'cancelled']);

export const DecisionBody = Explanation.extend({
  // Redis keeps a job's decision without its ladder (src/queue/records/stored-decision.ts).
  candidates: Explanation.shape.candidates.describe("empty for a job's decision: only the chosen variant is kept (POST /v1/quote shows the whole ladder)"),
  dropped: Explanation.shape.dropped.describe("empty for a job's decision, as candidates"),
  id: z.string(),
  team: z.string().nullable(),
  project: z.string().nullable(),
  code: z.string().describe('stable: admitted, downgraded, insufficient-budget, no-policy, …'),
  policyVersion: z.string().nullable(),
  scopes: z.array(z.looseObject({ scope: z.string(), name: z.string(), limit: z.string(), spent: z.string(), reserved: z.string(), available: z.string() })),
  decidedAt: z.string(),
}).meta({ id: 'Decision' });

export const ResultBody = z
  .looseObject({
    state: z.enum(['completed', 'failed', 'cancelled']),
    model: z.string(),
    videoUrl: z.string().nullable(),
    outputSeconds: z.number().nullable(),
    estimatedCost: z.string(),
    reserved: z.string(),
    actualCost: z.string().nullable(),
    charged: z.string().nullable(),
    variance: z.string().nullable(),
    reason: z.string().nullable(),
    settlement: z.enum(['released', 'held-for-reconciliation', 'committed']),
    finishedAt: z.string(),
  })
  .meta({ id: 'Result' });

export const JobLinks = z.object({ self: z.string(), events: z.string() });
export const jobLinks = (id: string) => ({ self: `/v1/jobs/${encodeURIComponent(id)}`, events: `/v1/jobs/${encodeURIComponent(id)}/events` });

export const JobStatus = z
  .object({
    id: z.string(),
    team: z.string(),
    project: z.string().nullable(),
    state: JobState,
    decision: DecisionBody.nullable(),
    result: ResultBody.nullable(),
    actualCost: z.string().nullable().describe('what the provider billed, once settled'),
    variance: z.string().nullable().describe('actual − estimated'),
    links: JobLinks,
  })
  .meta({ id: 'JobStatus' });
export type JobStatus = z.infer<typeof JobStatus>;

const QUEUED = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/** A job's state for the API, from its queue records and its cancel claim: a pure function. */
export function stateOf(view: JobView, gate: GateClaim | null): JobState {
  const result = view.result;
  if (gate === 'cancelled' && (result === null || result.state !== 'completed')) return 'cancelled';
  if (view.decision === null) return view.intake === 'active' ? 'deciding' : view.intake === 'failed' ? 'failed' : 'queued';
  if (view.decision.outcome === 'reject') return 'rejected';
  if (result) return result.state;
  if (view.generate === 'active') return 'generating';
  if (view.generate === 'failed') return 'failed';
  return view.generate === null || QUEUED.has(view.generate) ? 'admitted' : 'generating';
}

export function jobStatus(view: JobView, gate: GateClaim | null, project: string | null): JobStatus {
  const result = view.result as (GenerationResult & Record<string, unknown>) | null;
  return {
    id: view.id,
    team: view.team,
    project: view.decision?.project ?? project,
    state: stateOf(view, gate),
    decision: view.decision as JobStatus['decision'],
    result: result as JobStatus['result'],
    actualCost: result?.actualCost ?? null,
    variance: result?.variance ?? null,
    links: jobLinks(view.id),
  };
}
