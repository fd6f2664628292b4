import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { KlingAdapter } from '../../../src/providers/kling/adapter.js';
import { CallbackTokens, CallbackWaker, startCallbackServer } from '../../../src/queue/callbacks.js';
import { externalTaskId } from '../../../src/queue/names.js';
import { freePort } from '../../../scripts/redis-server.js';
import { connect, uniquePrefix } from '../../helpers/redis.js';

const open: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

it("a callback with its task's token wakes that task, however long the job id; any other is refused before any work", async () => {
  const prefix = uniquePrefix('cb');
  const redis = connect();
  const subscriber = connect();
  open.push(() => redis.quit(), () => subscriber.quit());
  const tokens = await CallbackTokens.load(redis, prefix);
  // Another worker of the same deployment shares the key.
  const other = connect();
  open.push(() => other.quit());
  expect((await CallbackTokens.load(other, prefix)).token('x')).toBe(tokens.token('x'));
  const port = await freePort();
  const server = await startCallbackServer({ port, host: '127.0.0.1', provider: new KlingAdapter({ credentials: { apiKey: 'k' } }), tokens, redis, prefix, log: pino({ level: 'silent' }) });
  open.push(() => server.close());
  const waker = new CallbackWaker(subscriber, prefix);
  await waker.start();

  const externalId = externalTaskId('j'.repeat(200), 'kling-motion-control'); // the longest a job id may be
  const woken = new Promise<void>((resolve) => waker.register(externalId, resolve));
  const base = `http://127.0.0.1:${port}/callbacks/kling`;
  const post = (url: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"task_status":"succeed"}' });
  expect((await post(tokens.urlFor(base, externalId))).status).toBe(204);
  await woken;
  expect((await post(`${base}/${externalId}/${'x'.repeat(32)}`)).status).toBe(404);
  expect((await post(`${base}/${externalId}/${tokens.token(externalId).slice(1)}`)).status).toBe(404);
  expect((await post(`${base}/other-id/${tokens.token(externalId)}`)).status).toBe(404);
});
