import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

it('vidgate fake-kling --state: killed with SIGKILL and started again, it still knows and bills its tasks', async () => {
  const state = join(mkdtempSync(join(tmpdir(), 'vidgate-kling-state-')), 'tasks.jsonl');
  const job = Job.parse({ team: 't', project: 'p', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 4, prompt: 'a fox' });
  const first = startNode(BIN, ['fake-kling', '--port', '0', '--api-key', 'k', '--latency-ms', '10', '--state', state]);
  const url1 = /listening on (http:\/\/\S+)/.exec(await first.firstLine)![1]!;
  const a1 = new KlingAdapter({ baseUrl: url1, credentials: { apiKey: 'k' }, unitPrice: '1' });
  const created = await a1.submit(job, 'st-1');
  first.child.kill('SIGKILL');
  await first.exited;
  const second = startNode(BIN, ['fake-kling', '--port', '0', '--api-key', 'k', '--latency-ms', '10', '--state', state]);
  const line = await second.firstLine;
  expect(line).toContain(`1 tasks remembered from ${state}`);
  const a2 = new KlingAdapter({ baseUrl: /listening on (http:\/\/\S+)/.exec(line)![1]!, credentials: { apiKey: 'k' }, unitPrice: '1' });
  const done = await followTask(a2, created, { intervalMs: 5 });
  expect(done).toMatchObject({ status: 'succeeded', handle: { taskId: created.taskId, externalId: 'st-1' } });
  expect(done.billing!.amount.toFixed(2)).toBe('0.30');
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
});

it.each([
  [['--unavailable', 'kling-9'], '--unavailable: unknown model "kling-9"'],
  [['--failures', 'meteor'], '--failures: unknown class "meteor"'],
  [['--failure-rate', '2'], 'expected a fraction above 0 and at most 1'],
  [['--access-key', 'ak'], '--access-key and --secret-key go together'],
  [['--state', '/nonexistent-dir/tasks.jsonl'], '--state: state file /nonexistent-dir/tasks.jsonl cannot be written (ENOENT)'],
])('fake-kling %j exits 2', async (args, message) => {
  const r = await runCli(['fake-kling', '--port', '0', ...args]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(message);
});
