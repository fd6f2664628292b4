import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisCluster, type OwnedCluster } from '../../scripts/redis-cluster.js';

let c: OwnedCluster;
beforeAll(async () => {
  const t0 = Date.now();
  c = await startRedisCluster({ persistence: 'aof-everysec' });
  console.log('up in', Date.now() - t0);
});
afterAll(async () => c?.stop());
it('runs', async () => {
  const r = new Redis(c.nodes[0]!.port);
  console.log(await r.cluster('NODES'), JSON.stringify(await r.cluster('SLOTS')));
  r.disconnect();
  const m = await c.masterOf(0);
  expect(m.replicas.length).toBe(1);
});
