// The job event reader's safety net goes on looking when a look is never answered, as a command
// sent to a Cluster master that dies mid-failover can stay: the state checks here go to a real
// socket that accepts and never replies. Before the looks were bounded, the first unanswered one
// stopped every later sweep (they run one at a time), and a chaos run on a cluster could wait for
// ever for a job that had ended while its event was lost.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { JobEvents } from '../../../src/queue/job-events.js';
import { QUEUE_GENERATE, QUEUE_INTAKE } from '../../../src/queue/names.js';
import { connect, uniquePrefix } from '../../helpers/redis.js';

const closers: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

it('a state look that is never answered does not stop the later looks', async () => {
  let looks = 0;
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      // ioredis's greeting (HELLO, CLIENT SETINFO) is answered, so it connects; nothing after it is.
      for (const [greeting] of text.matchAll(/hello|setinfo/gi)) socket.write(/hello/i.test(greeting) ? '%1\r\n+server\r\n+silent\r\n' : '+OK\r\n');
      looks += text.match(/hmget/gi)?.length ?? 0;
    });
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), silent.close(resolve))));
  const unanswered = new Redis({ port: (silent.address() as AddressInfo).port, host: '127.0.0.1', enableReadyCheck: false, maxRetriesPerRequest: null });
  closers.push(() => unanswered.disconnect());

  const blocking = connect();
  const redis = connect();
  const prefix = uniquePrefix('sweep');
  const queues = { intake: new Queue(QUEUE_INTAKE, { connection: redis, prefix }), generate: new Queue(QUEUE_GENERATE, { connection: redis, prefix }) };
  closers.push(() => queues.intake.close(), () => queues.generate.close(), () => redis.quit());
  const events = new JobEvents(blocking, unanswered, queues, { checkMs: 20, maxCheckMs: 20, lookMs: 50, blockMs: 200 });
  closers.push(() => events.close());

  const waiting = events.wait('intake', 'no-such-job').catch((err: Error) => err.message);
  // The look at registration and the first sweep's go unanswered; each sweep after looks again.
  await expect.poll(() => looks, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(5);
  await events.close();
  expect(await waiting).toMatch(/closed before the job ended/);
});
