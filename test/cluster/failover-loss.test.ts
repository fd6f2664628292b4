// What a failover loses, under each persistence setting (in `npm run test:cluster` only: three
// clusters). Reservations are written without pause to one team (one slot); then (a) its master
// is killed and its replica takes over, and (b) master and replica are killed together and
// restarted from their own files. Every reservation the ledger acknowledged is then looked up.
// The ledger stays consistent either way (each script's writes replicate as one unit): the
// check is that the balance matches the reservations that survived, and the figures are printed.
import calculateSlot from 'cluster-key-slot';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type OwnedCluster, type Persistence } from '../../scripts/redis-cluster.js';
import { createLedger } from '../../src/ledger/index.js';
import { openConnection } from '../../src/redis-connection.js';
import { money } from '../../src/money.js';

const figures: string[] = [];
afterAll(() => {
  if (figures.length) process.stdout.write(`\nfailover losses (acknowledged reservations missing afterwards):\n${figures.join('\n')}\n`);
});

async function writeWhile(cluster: OwnedCluster, team: string, disturb: () => Promise<void>): Promise<{ acked: string[]; lost: string[]; consistent: boolean; budgetLost: boolean }> {
  const redis = openConnection(cluster.target, { maxRetriesPerRequest: null });
  const ledger = createLedger({ redis, prefix: 'loss' });
  await ledger.setBudget({ team, project: 'p', limit: '1000000', period: 'none' });
  const acked: string[] = [];
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      const id = `${team}-${i}`;
      const r = await ledger.reserve({ reservationId: id, team, project: 'p', candidates: [{ cost: '0.01' }] }).catch(() => null);
      if (r?.status === 'reserved') acked.push(id);
    }
  })();
  while (acked.length < 200) await new Promise((r) => setTimeout(r, 5)); // a bounded ramp: 200 writes in before the fault
  await disturb();
  stop = true;
  await writer;
  const lost: string[] = [];
  for (const id of acked) if ((await ledger.inspect(id)) === null) lost.push(id);
  // Without persistence a restarted shard is empty: the budget went with the reservations.
  const view = await ledger.getBudget({ team, project: 'p' });
  const consistent = view === null ? lost.length === acked.length : money(view.reserved).eq(money('0.01').times(acked.length - lost.length));
  await ledger.close();
  redis.disconnect();
  return { acked, lost, consistent, budgetLost: view === null };
}

describe.runIf(process.env.VIDGATE_TEST_CLUSTER === 'all')('what a failover loses', () => {
  for (const persistence of ['none', 'aof-everysec', 'aof-always'] as Persistence[]) {
    it(`persistence ${persistence}`, async () => {
      const cluster = await startRedisCluster({ persistence });
      try {
        const team = `t${persistence.replace(/-/g, '')}`;
        const slot = calculateSlot(team);
        const failover = await writeWhile(cluster, team, async () => {
          const { master, replicas } = await cluster.masterOf(slot);
          await master.kill();
          await cluster.waitUntilOk({ slot, master: replicas[0]! });
          await cluster.restart(master);
          await cluster.waitUntilOk();
        });
        expect(failover.consistent).toBe(true);
        const shard = await writeWhile(cluster, `${team}b`, async () => {
          const { master, replicas } = await cluster.masterOf(calculateSlot(`${team}b`));
          await Promise.all([master.kill(), ...replicas.map((r) => r.kill())]);
          const back = await cluster.restart(master);
          for (const r of replicas) await cluster.restart(r);
          await cluster.waitUntilOk({ slot: calculateSlot(`${team}b`), master: back });
        });
        expect(shard.consistent).toBe(true);
        figures.push(`  ${persistence.padEnd(13)} master killed, replica promoted: ${failover.lost.length} of ${failover.acked.length} lost; master and replica killed and restarted: ${shard.lost.length} of ${shard.acked.length} lost${shard.budgetLost ? ' (the budget too)' : ''}`);
        if (persistence === 'aof-always') expect(shard.lost).toEqual([]); // fsync before the reply: nothing acknowledged is lost
      } finally {
        await cluster.stop();
      }
    });
  }
});
