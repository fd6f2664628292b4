// The short chaos run on a private Redis Cluster (3 masters, 3 replicas, each AOF appendfsync
// always) this test starts: as test/chaos/chaos.test.ts, but the Redis fault is a SIGKILL of the
// master serving the queues' slot or a team's ledger slot (the seed chooses), its replica taking
// over and the dead node rejoining as a replica, while jobs run. The auditor is the same.
// A failing run prints its seed: CHAOS_SEED=… npx vitest run test/chaos/chaos-cluster.test.ts replays its plan.
import { expect, it } from 'vitest';
import { chaosSeed, shortChaos } from './short-run.js';

const seed = chaosSeed();

it(`chaos on a Redis Cluster with a master failover (seed ${seed}): every job ends once, spend stays within limits and equals what the provider billed`, async () => {
  const lines = await shortChaos(seed, { kind: 'cluster' }, 'test/chaos/chaos-cluster.test.ts');
  // The failover happened: a replica took over the killed master's slots.
  expect(lines.some((l) => /killed, replica :\d+ took over/.test(l)), lines.join('\n')).toBe(true);
}, 300_000);
