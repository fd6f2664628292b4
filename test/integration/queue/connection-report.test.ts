// While Redis is away, a client or worker says so once, and once when it is back: no stack per
// retry on a user's terminal (BullMQ prints an error's stack when its queue has no listener).
import { afterAll, expect, it, vi } from 'vitest';
import { createClient } from '../../../src/queue/client.js';
import { startRedisServer } from '../../../scripts/redis-server.js';

const after: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const f of after.reverse()) await f();
});

it('a client reports an outage in two lines, unreachable and reconnected, and prints no stacks', async () => {
  const redis = await startRedisServer();
  const lines: string[] = [];
  const client = createClient({ redis: redis.url, prefix: 'outage-report', onConnection: (state, line) => lines.push(`${state}: ${line}`) });
  const errors = vi.spyOn(console, 'error');
  await client.budgets.show({ team: 'nobody' }); // connected
  await redis.kill();
  await expect.poll(() => lines.length, { timeout: 30_000, interval: 20 }).toBe(1);
  const back = await startRedisServer({ port: Number(new URL(redis.url).port), dir: redis.dir });
  after.push(() => back.stop());
  await expect.poll(() => lines.length, { timeout: 30_000, interval: 20 }).toBe(2);
  expect(await client.budgets.show({ team: 'nobody' })).toBeNull();
  // The first error is the reset of the open connection or the refused reconnect, whichever comes first.
  expect(lines).toEqual([
    expect.stringMatching(new RegExp(`^down: Redis at ${redis.url.replace(/[.]/g, '\\.')} unreachable \\((read ECONNRESET|connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+)\\), retrying$`)),
    `up: Redis at ${redis.url} reconnected`,
  ]);
  expect(errors).not.toHaveBeenCalled();
  errors.mockRestore();
  await client.close();
}, 90_000);
