import { expect, it } from 'vitest';
import { Job } from '../../src/job.js';
import { KlingAdapter } from '../../src/providers/kling/adapter.js';
import { followTask } from '../../src/providers/poll.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startNode } from '../helpers/processes.js';

it('vidgate fake-kling serves the Kling API until SIGTERM, then exits 0', async () => {
  const run = startNode(BIN, ['fake-kling', '--port', '0', '--api-key', 'k', '--latency-ms', '10', '--unavailable', 'kling-o3']);
  const line = await run.firstLine;
  const url = /listening on (http:\/\/\S+)/.exec(line)![1]!;
  const a = new KlingAdapter({ baseUrl: url, credentials: { apiKey: 'k' }, unitPrice: '1' });
  const job = Job.parse({ team: 't', project: 'p', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 4, prompt: 'a fox' });
  const done = await followTask(a, await a.submit(job, 'cli-1'), { intervalMs: 5 });
  expect(done).toMatchObject({ status: 'succeeded', handle: { route: 'text2video' } });
  expect(done.billing!.amount.toFixed(2)).toBe('0.30');
  await expect(a.submit({ ...job, model: 'kling-o3' }, 'cli-2')).rejects.toMatchObject({ action: 'fallback', details: { code: 5001 } });
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
});

it.each([
  [['--unavailable', 'kling-9'], '--unavailable: unknown model "kling-9"'],
  [['--failures', 'meteor'], '--failures: unknown class "meteor"'],
  [['--failure-rate', '2'], 'expected a fraction above 0 and at most 1'],
  [['--access-key', 'ak'], '--access-key and --secret-key go together'],
])('fake-kling %j exits 2', async (args, message) => {
  const r = await runCli(['fake-kling', '--port', '0', ...args]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(message);
});
