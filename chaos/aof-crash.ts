// npm run chaos -- aof-crash: what a redis-server killed with SIGKILL in the middle of writes loses,
// under each appendfsync setting. Many clients INCR their own counters as fast as Redis answers;
// each remembers the last value Redis acknowledged. After the kill and a restart from the AOF, a
// counter below its last acknowledged value is a lost write. (A SIGKILL tests the process's
// crash only: a machine's crash, which loses the kernel's unwritten pages too, cannot be made here.)
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { startRedisServer } from '../scripts/redis-server.js';

export async function aofCrash(appendfsync: 'always' | 'everysec', clients = 16, runMs = 3000): Promise<{ acknowledged: number; lost: number }> {
  const first = await startRedisServer({ appendonly: true, appendfsync });
  const { port, dir } = first;
  const acked = new Array<number>(clients).fill(0);
  let stop = false;
  const writers = acked.map(async (_, i) => {
    const r = new Redis(first.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      while (!stop) acked[i] = await r.incr(`c:${i}`);
    } catch {
      // The server died under us: what was acknowledged is in acked[i].
    } finally {
      r.disconnect();
    }
  });
  await new Promise((r) => setTimeout(r, runMs));
  await first.kill();
  stop = true;
  await Promise.all(writers);
  const again = await startRedisServer({ appendonly: true, appendfsync, port, dir });
  const r = new Redis(again.url);
  let lost = 0;
  for (let i = 0; i < clients; i++) lost += Math.max(0, acked[i]! - Number((await r.get(`c:${i}`)) ?? 0));
  r.disconnect();
  await again.kill();
  rmSync(dir, { recursive: true, force: true });
  return { acknowledged: acked.reduce((a, b) => a + b, 0), lost };
}

export async function reportAofCrash(say: (line: string) => void, rounds = 3): Promise<void> {
  for (const setting of ['everysec', 'always'] as const) {
    for (let round = 1; round <= rounds; round++) {
      const { acknowledged, lost } = await aofCrash(setting);
      say(`appendfsync ${setting}, round ${round}: SIGKILL after ${acknowledged} acknowledged writes; lost after restart: ${lost}`);
    }
  }
}
