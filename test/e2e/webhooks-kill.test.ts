// A dispatcher SIGKILLed after it added delivery jobs for a batch of events but before it
// acknowledged them: another dispatcher takes the batch over, adds nothing twice, and a healthy
// receiver gets every event exactly once.
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { RedisConnection as Redis } from '../../src/redis-connection.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { putWebhooks } from '../../src/webhooks/api.js';
import { DISPATCH_GROUP, WEBHOOK_QUEUE } from '../../src/webhooks/keys.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { startNode } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import { connect, redisUrl } from '../helpers/redis.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/webhook-dispatcher.mjs', import.meta.url));
let p: Pipeline;
let redis: Redis;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const children: ReturnType<typeof startNode>[] = [];

beforeAll(async () => {
  // The workers here deliver but do not dispatch: the dispatchers are the fixture's processes.
  p = await startPipeline({
    policies: { 'kill-a.yaml': 'team: kill-a\nbudgets:\n  projects:\n    main: { limit: "50.00", period: monthly }\n' },
    workers: { webhooks: { dispatcher: false, allowPrivate: true, backoffMs: 20 } },
  });
  redis = connect();
  receiver = await startReceiver();
});
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await p?.close();
  await receiver?.close();
  redis?.disconnect();
});

const dispatcher = (extra: Record<string, unknown>) => {
  const c = startNode(FIXTURE, [JSON.stringify({ url: redisUrl(), prefix: p.prefix, reclaimIdleMs: 300, ...extra })]);
  children.push(c);
  return c;
};

it('loses no event and delivers none twice when the dispatcher is killed between adding and acknowledging', async () => {
  await putWebhooks({ redis, prefix: p.prefix, allowPrivate: true }, 'kill-a', { endpoints: [{ url: receiver.url }] }, 'test');
  const first = dispatcher({ killAfterAdds: 1 });
  expect(await first.firstLine).toBe('ready');
  const jobs = Array.from({ length: 16 }, (_, i) => ({ id: `k${i}`, team: 'kill-a', project: i % 2 ? 'main' : 'nowhere', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'x' }) as const);
  const results = await Promise.all((await p.client.enqueueMany(jobs)).map((h) => h.result()));
  expect(results.filter((r) => r.state === 'completed').length).toBe(8);
  expect(results.filter((r) => r.state === 'rejected').length).toBe(8);
  // It died at its first batch, with that batch added and unacknowledged.
  await first.exited;
  expect(first.child.signalCode).toBe('SIGKILL');
  const unacked = (await redis.xpending(`${p.prefix}:intake:events`, DISPATCH_GROUP)) as [number];
  const unackedGen = (await redis.xpending(`${p.prefix}:generate:events`, DISPATCH_GROUP)) as [number];
  expect(unacked[0] + unackedGen[0]).toBeGreaterThan(0);

  const second = dispatcher({});
  expect(await second.firstLine).toBe('ready');
  // 16 decisions (8 admitted, 8 rejected) and 8 completions.
  await receiver.waitFor(24);
  // Everything read is acknowledged and no delivery is left to run: nothing more can arrive.
  for (let i = 0; i < 400; i++) {
    const pending = await Promise.all(['intake', 'generate'].map(async (q) => ((await redis.xpending(`${p.prefix}:${q}:events`, DISPATCH_GROUP)) as [number])[0]));
    const queue = new Queue(WEBHOOK_QUEUE, { connection: redis, prefix: p.prefix });
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed');
    await queue.close();
    if (pending[0] === 0 && pending[1] === 0 && (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0) {
      expect(counts.completed).toBe(24);
      break;
    }
    if (i === 399) throw new Error('the dispatcher never caught up');
    await new Promise((r) => setTimeout(r, 25));
  }
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  const ids = receiver.received.map((r) => r.headers['webhook-id']);
  expect(ids.length).toBe(24);
  expect(new Set(ids).size).toBe(24);
  const types = receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type).sort();
  expect(types.filter((t) => t === 'job.decided').length).toBe(8);
  expect(types.filter((t) => t === 'job.rejected').length).toBe(8);
  expect(types.filter((t) => t === 'job.completed').length).toBe(8);
}, 120_000);
