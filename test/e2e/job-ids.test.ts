// Job ids belong to their team, and no id names a key of the queues: an id such as `wait` or
// `meta` once turned a BullMQ key into a job hash and broke every team's enqueue; the same id
// under two teams once gave the second team the first one's job.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobInput } from '../../src/job.js';
import { externalTaskId, internalJobId } from '../../src/queue/names.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

const policy = (team: string) => `team: ${team}\nbudgets:\n  projects:\n    main: { limit: "100.00", period: monthly }\n`;
const job = (team: string, id: string, over: Partial<JobInput> = {}): JobInput => ({ id, team, project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a fox', ...over });

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({ policies: { 't1.yaml': policy('t1'), 't2.yaml': policy('t2') } });
});
afterAll(async () => p?.close());

it('the same id under two teams is two jobs: each runs, is decided and charged in its own team', async () => {
  const a = await (await p.client.enqueue(job('t1', 'x1'))).result();
  const b = await (await p.client.enqueue(job('t2', 'x1', { resolution: '1080p' }))).result();
  expect(a).toMatchObject({ id: 'x1', state: 'completed', actualCost: '0.375', decision: { id: 'x1', team: 't1' } });
  expect(b).toMatchObject({ id: 'x1', state: 'completed', actualCost: '0.50', decision: { id: 'x1', team: 't2' } });
  expect(a.state === 'completed' && b.state === 'completed' && a.videoUrl !== b.videoUrl).toBe(true);
  expect(p.kling.createsFor(externalTaskId(internalJobId('t1', 'x1'), 'kling-3.0'))).toBe(1);
  expect(p.kling.createsFor(externalTaskId(internalJobId('t2', 'x1'), 'kling-3.0'))).toBe(1);
  expect(await p.client.show('t2', 'x1')).toMatchObject({ id: 'x1', team: 't2', decision: { team: 't2', cost: '0.50' }, result: { id: 'x1', actualCost: '0.50' } });
  expect(await p.client.budgets.show({ team: 't1', project: 'main' })).toMatchObject({ spent: '0.375', reserved: '0.00' });
  expect(await p.client.budgets.show({ team: 't2', project: 'main' })).toMatchObject({ spent: '0.50', reserved: '0.00' });
});

it("ids that name the queues' own keys are ordinary ids, and every team's enqueue goes on working", async () => {
  const names = ['wait', 'meta', 'id', 'events', 'completed', 'failed', 'active', 'delayed', 'paused', 'prioritized', 'stalled', 'limiter', 'marker', 'pc', 'repeat', 'de', '123'];
  for (const id of names) expect([id, await p.client.show('t1', id)]).toEqual([id, null]);
  const handles = await p.client.enqueueMany(names.map((id) => job('t1', id)));
  const results = await Promise.all(handles.map((h) => h.result()));
  expect(results.map((r) => [r.id, r.state])).toEqual(names.map((id) => [id, 'completed']));
  expect(await (await p.client.enqueue(job('t2', 'after-keys'))).result()).toMatchObject({ state: 'completed' });
  expect(await p.client.show('t1', 'meta')).toMatchObject({ id: 'meta', team: 't1', intake: 'completed', generate: 'completed' });
});

it('the internal id is a fixed-length hash of team and id, without "." or ":"', () => {
  for (const [team, id] of [['t1', 'x1'], ['t2', 'x1'], ['t1', 'wait'], ['a', 'b.c'], ['a-b', 'c']] as const) {
    expect(internalJobId(team, id)).toMatch(/^j[a-z2-7]{25}$/);
  }
  expect(internalJobId('t1', 'x1')).toBe(internalJobId('t1', 'x1'));
  expect(internalJobId('t1', 'x1')).not.toBe(internalJobId('t2', 'x1'));
  expect(internalJobId('a', 'b-c')).not.toBe(internalJobId('a-b', 'c'));
});
