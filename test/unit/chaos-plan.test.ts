import { expect, it } from 'vitest';
import { makePlan, PROCESS_FAULTS, PROVIDER_FAULTS } from '../../chaos/plan.js';
import { Job } from '../../src/job.js';

const opts = { jobs: 400, faults: 8, faultRate: 0.35, klingTimeoutMs: 3000 };

it('one seed decides the whole plan: the same seed gives the same jobs and faults, another seed others', () => {
  expect(makePlan({ ...opts, seed: 42 })).toEqual(makePlan({ ...opts, seed: 42 }));
  expect(makePlan({ ...opts, seed: 43 }).jobs).not.toEqual(makePlan({ ...opts, seed: 42 }).jobs);
});

it('a plan holds valid jobs with unique ids, every provider failure class, and every process fault in order of progress', () => {
  const plan = makePlan({ ...opts, seed: 9 });
  for (const j of plan.jobs) expect(Job.safeParse(j.input).success).toBe(true);
  expect(new Set(plan.jobs.map((j) => j.input.id)).size).toBe(plan.jobs.length);
  expect(new Set(plan.jobs.flatMap((j) => (j.fault ? [j.fault] : [])))).toEqual(new Set(PROVIDER_FAULTS));
  expect(new Set(plan.faults.map((f) => f.kind))).toEqual(new Set(PROCESS_FAULTS));
  const points = plan.faults.map((f) => f.atJob);
  expect(points).toEqual([...points].sort((a, b) => a - b));
  for (const p of points) expect(p > 0 && p < plan.jobs.length).toBe(true);
  // A faulted job carries its hook to the local server in its input.
  for (const j of plan.jobs.filter((x) => x.fault)) expect((j.input.input as { x_fake?: unknown }).x_fake).toBeDefined();
});
