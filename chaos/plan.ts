// The chaos run's plan, decided by one seed: the teams' policies, the job mix with the provider
// failure each job meets, and the process faults with the point of progress at which each strikes.
// Pure: the same seed and size give the same plan (the timing inside a run is the machine's).
import { rng } from '../src/providers/fake-kling/tasks.js';
import type { FakeHook } from '../src/providers/fake-kling/server.js';
import type { JobInput } from '../src/job.js';

/**
 * Provider failures, one class per job at most, injected through the local server's `x_fake`
 * hook (see docs/kling.md and src/providers/kling/codes.ts for what each calls for).
 */
export const PROVIDER_FAULTS = [
  'rate-limit', // 1302 on the first creates, then accepted: retried with backoff
  'content-block', // 1301: the job can never succeed, released
  'balance', // 1102: the account's pack is exhausted, released, logged as an account problem
  'server-error', // 5000 on create though the task was made: looked up by external id
  'task-failure', // the task fails at the provider and bills nothing
  'timeout', // the create's answer comes after the adapter's timeout: looked up by external id
  'maintenance', // 5001: the model is unavailable, the job falls back (or fails, released)
  'not-found-after-create', // queries answer 1203 for a while after the create
  'callback-lost', // no callback: the worker learns the end by polling
] as const;
export type ProviderFault = (typeof PROVIDER_FAULTS)[number];

export const PROCESS_FAULTS = ['kill-worker', 'restart-redis', 'restart-kling'] as const;
export type ProcessFault = (typeof PROCESS_FAULTS)[number];

export interface PlannedFault {
  /** Strikes before this job (by its place in the plan) is enqueued, with the jobs before it in flight or ended. */
  atJob: number;
  kind: ProcessFault;
  /** For kill-worker: which of the two workers. */
  worker: 0 | 1;
  /**
   * For restart-redis on a cluster: whose master is killed (its replica takes over), the one
   * serving the queues' slot or the one serving a team's ledger slot. One server ignores it.
   */
  shard: Shard;
}

/** A hash slot the run writes to: the queues' (`{prefix}`), or a team's ledger (`{team}`). */
export type Shard = 'queues' | keyof typeof TEAMS;

export interface PlannedJob {
  input: JobInput & { id: string; team: string; project: string };
  fault: ProviderFault | null;
}

export interface ChaosPlan {
  seed: number;
  policies: Record<string, string>;
  jobs: PlannedJob[];
  faults: PlannedFault[];
}

export interface PlanOptions {
  seed: number;
  jobs: number;
  /** Process faults: each kind at least once, then at random. */
  faults: number;
  /** Share of jobs that meet a provider failure. */
  faultRate: number;
  /** The adapter's create timeout (ms), which a `timeout` fault's late answer must pass. */
  klingTimeoutMs: number;
}

/** Five shapes of job, each on another model or path (Motion Control, O1 image-to-video, drafts). */
const SHAPES = [
  { model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 10, prompt: 'storm at sea' },
  { model: 'kling-o3', resolution: '1080p', audio: 'deferrable', durationSeconds: 8, stage: 'draft', prompt: 'a draft pass' },
  { model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a quiet street' },
  { model: 'kling-o1', mode: 'image-to-video', resolution: '1080p', audio: 'none', durationSeconds: 5, prompt: 'the keyframe comes alive', input: { image_url: 'https://example.test/k.png' } },
  {
    model: 'kling-motion-control',
    resolution: '1080p',
    audio: 'none',
    reference: { orientation: 'video', videoSeconds: 12 },
    input: { image_url: 'https://example.test/a.png', video_url: 'https://example.test/m.mp4?duration=12' },
  },
] as const;

/** Two teams: one with a team budget over its projects and cheaper fallbacks, one topping up on fallback. */
export const TEAMS = { 'chaos-a': ['a1', 'a2'], 'chaos-b': ['b1', 'b2'] } as const;

/** Limits tight enough that a good share of the jobs is downgraded or rejected. */
function policies(jobs: number): Record<string, string> {
  const per = (share: number) => (Math.max(2, Math.round(jobs * share * 100)) / 100).toFixed(2);
  return {
    'chaos-a.yaml': `team: chaos-a
budgets:
  team: { limit: "${per(0.3)}", period: monthly }
  projects:
    a1: { limit: "${per(0.2)}", period: monthly }
    a2: { limit: "${per(0.15)}", period: monthly }
rules:
  staging: { draft: 720p }
  audioDeferral: { when: above, above: 0.5 }
  fallback: { direction: cheaper }
  fullQualityCeiling: 0.8
  ladder: [drop-deferrable-audio, downscale-720p, cheaper-model]
`,
    'chaos-b.yaml': `team: chaos-b
budgets:
  projects:
    b1: { limit: "${per(0.15)}", period: monthly }
    b2: { limit: "${per(0.1)}", period: monthly }
rules:
  fallback: { direction: any, maxPremium: "0.5", reserve: top-up }
  ladder: [downscale-720p]
`,
  };
}

/** The `x_fake` hook that makes the local server meet a job with its fault. */
export function hookFor(fault: ProviderFault, job: PlannedJob['input'], random: () => number, klingTimeoutMs: number): FakeHook {
  switch (fault) {
    case 'rate-limit':
      return { failure: 'rate-limit', times: 1 + Math.floor(random() * 2) };
    case 'content-block':
    case 'balance':
    case 'server-error':
    case 'task-failure':
      return { failure: fault };
    case 'timeout':
      return { delayMs: klingTimeoutMs + 1000 };
    case 'maintenance':
      return { unavailable: [job.model] };
    case 'not-found-after-create':
      return { hiddenMs: 500 + Math.floor(random() * 3000) };
    case 'callback-lost':
      return { dropCallbacks: true };
  }
}

export function makePlan(o: PlanOptions): ChaosPlan {
  const random = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const teams = Object.keys(TEAMS) as (keyof typeof TEAMS)[];
  const jobs: PlannedJob[] = [];
  for (let i = 0; i < o.jobs; i++) {
    const team = pick(teams);
    const input: PlannedJob['input'] = { id: `c${o.seed}-${i}`, team, project: pick(TEAMS[team]), ...structuredClone(pick(SHAPES)) } as PlannedJob['input'];
    const fault = random() < o.faultRate ? pick(PROVIDER_FAULTS) : null;
    if (fault) input.input = { ...input.input, x_fake: hookFor(fault, input, random, o.klingTimeoutMs) };
    jobs.push({ input, fault });
  }
  // Each process fault strikes between 10% and 85% of the way through the jobs, in order of progress.
  const kinds: ProcessFault[] = Array.from({ length: o.faults }, (_, i) => PROCESS_FAULTS[i] ?? pick(PROCESS_FAULTS));
  const faults = kinds
    .map((kind) => ({ kind, atJob: Math.floor(o.jobs * (0.1 + random() * 0.75)), worker: (random() < 0.5 ? 0 : 1) as 0 | 1 }))
    .sort((a, b) => a.atJob - b.atJob)
    .map((f) => ({ ...f, shard: 'queues' as Shard }));
  // Drawn last, so the jobs and the faults' points of an older plan of the same seed stay as they were.
  const shards: Shard[] = ['queues', ...teams];
  for (const f of faults) f.shard = pick(shards);
  return { seed: o.seed, policies: policies(o.jobs), jobs, faults };
}
