// Closing workers with a grace period: a job still running at the provider when the grace runs
// out is handed back, not waited for (BullMQ's own forced close cannot cut short a close already
// under way), and another worker finishes it: the process stops, and nothing is lost.
import { afterAll, expect, it } from 'vitest';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

let p: Pipeline | undefined;
afterAll(async () => p?.close());

it("a close whose grace runs out hands the running job back; another worker completes it", async () => {
  const policy = 'team: g\nbudgets:\n  projects:\n    main: { limit: "10.00", period: monthly }\n';
  // The task runs 8 s at the provider; a lock of 1 s lets another worker take the job soon after.
  p = await startPipeline({ policies: { 'g.yaml': policy }, kling: { latencyMs: 8000 }, workers: { lockDurationMs: 1000, stalledIntervalMs: 500 } });
  const handle = await p.client.enqueue({ id: 'long-1', team: 'g', project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a slow fox' });
  await expect.poll(() => p!.kling.tasks().length, { timeout: 30_000, interval: 20 }).toBe(1);
  const task = p.kling.tasks()[0]!;

  await p.workers.close(300);
  // The close did not wait for the task: it is still running at the provider.
  expect(Date.now()).toBeLessThan(task.createdAt + task.latencyMs);

  await p.startMoreWorkers({ lockDurationMs: 1000, stalledIntervalMs: 500 });
  expect(await handle.result()).toMatchObject({ state: 'completed', settlement: 'committed' });
  // Followed to its end by the new worker, not created again.
  expect(p.kling.tasks()).toHaveLength(1);
}, 60_000);
