// Waiting for a job's decision and result through the one reader of the queues' event streams:
// an end that came before the waiter registered (even one the reader had already read past) is
// still returned, a bounded wait ends at its bound, and a job removed while it waits is told.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobInput } from '../../src/job.js';
import { createClient, type VidgateClient } from '../../src/queue/client.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { bullPrefix, connect, redisTarget } from '../helpers/redis.js';

const policy = `team: t1\nbudgets:\n  projects:\n    main: { limit: "100.00", period: monthly }\n`;
const job = (id: string): JobInput => ({ id, team: 't1', project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a fox' });

let p: Pipeline;
const clients: VidgateClient[] = [];
// The safety net's look at a job's state is put off past any test's end: a wait here ends by an
// event or by the look at registration, nothing else.
const freshClient = () => {
  const c = createClient({ redis: redisTarget(), prefix: p.prefix, stateCheckMs: 3_600_000 });
  clients.push(c);
  return c;
};
beforeAll(async () => {
  p = await startPipeline({ policies: { 't1.yaml': policy } });
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await p?.close();
});

it('a decision that landed after the enqueue but before the waiter registered is returned (the reader had already read past it)', async () => {
  const c = freshClient();
  // The reader runs from here on: a watch of one job starts it.
  let seenLater: () => void = () => {};
  const readerPast = new Promise<void>((resolve) => (seenLater = resolve));
  const stopEarly = await c.watch('t1', 'unrelated', () => {});
  const early = await c.enqueue(job('early'));
  // The decision lands, heard by another process's client, while nobody waits for it here.
  const decided = await p.client.handle('t1', 'early').decision();
  expect(decided).toMatchObject({ id: 'early', outcome: 'admit' });
  // A job enqueued after that decision: once the reader hears of it, it has read past the decision's event.
  const stopLater = await c.watch('t1', 'later', () => seenLater());
  await c.enqueue(job('later'));
  await readerPast;
  stopEarly();
  stopLater();
  expect(await early.decision()).toEqual(decided);
  expect(await c.handle('t1', 'early').decision()).toEqual(decided);
});

it('a client whose reader starts after the job ended finds its decision and result', async () => {
  const done = await (await p.client.enqueue(job('ended'))).result();
  expect(done).toMatchObject({ id: 'ended', state: 'completed' });
  const c = freshClient();
  const h = c.handle('t1', 'ended');
  expect(await h.decision()).toEqual(done.decision);
  expect(await h.result()).toEqual(done);
});

it('a bounded wait ends when its signal aborts; the job is still decided for a wait without one', async () => {
  await p.workers.close(); // no router: nothing is decided until one starts again
  const c = freshClient();
  const h = await c.enqueue(job('bounded'));
  const bound = new AbortController();
  const waiting = h.decision({ signal: bound.signal });
  bound.abort(new Error('bound reached'));
  await expect(waiting).rejects.toThrow('bound reached');
  const router = await p.startMoreWorkers({});
  expect(await h.decision()).toMatchObject({ id: 'bounded', outcome: 'admit' });
  await router.close();
});

it('a job removed while it waits (cancelled before any router took it) ends its wait', async () => {
  // No router runs since the test before: the job waits in intake until it is cancelled.
  const c = freshClient();
  const h = await c.enqueue(job('removed'));
  const ended = expect(h.decision()).rejects.toThrow(/no intake job removed/);
  expect(await c.cancel('t1', 'removed')).toMatchObject({ outcome: 'cancelled' });
  await ended;
});

it('a reader whose start failed (Redis refused its first read) starts again at the next wait', async () => {
  const router = await p.startMoreWorkers({}); // none runs since the bounded-wait test
  await (await p.client.enqueue(job('before-refusal'))).decision(); // the stream is there
  const c = freshClient();
  const redis = connect();
  // The intake queue's event stream made unreadable for a moment: a string where a stream should be.
  const events = `${bullPrefix(p.prefix)}:intake:events`;
  const aside = `${events}-aside`; // the same hash tag on a cluster
  await redis.rename(events, aside);
  await redis.set(events, 'not a stream');
  try {
    await expect(c.watch('t1', 'refused', () => {})).rejects.toThrow(/WRONGTYPE/);
  } finally {
    await redis.del(events);
    await redis.rename(aside, events);
  }
  const h = await c.enqueue(job('after-refusal'));
  expect(await h.decision()).toMatchObject({ id: 'after-refusal', outcome: 'admit' });
  redis.disconnect();
  await router.close();
});
