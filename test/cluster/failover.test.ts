// vidgate on a Redis Cluster while a master fails over to its replica: gracefully (CLUSTER
// FAILOVER on the replica) and by force (kill -9 of the master; its replica takes over after the
// node timeout). The pipeline goes on, and the money holds: no budget spent past its limit,
// nothing left reserved, no provider task created twice, every job ends.
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisCluster, type OwnedCluster } from '../../scripts/redis-cluster.js';
import type { FinalResult } from '../../src/queue/records.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { money } from '../../src/money.js';

const LIMIT = '12.00';
const JOBS = 40; // 40 × 0.375 = 15.00: more than the limit, so some are refused
const policy = (team: string) => ({ [`${team}.yaml`]: `team: ${team}\nbudgets:\n  projects:\n    main: { limit: "${LIMIT}", period: monthly }\n` });
const job = (team: string, i: number) => ({ id: `f-${i}`, team, project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a storm' }) as const;

let cluster: OwnedCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ persistence: 'aof-everysec' });
});
afterAll(async () => cluster?.stop());

/** Runs JOBS jobs of `team`, calling `disturb` once the first of them is decided, and checks the money after every job ended. */
async function runThrough(team: string, disturb: (p: Pipeline) => Promise<void>): Promise<FinalResult[]> {
  const p = await startPipeline({ policies: policy(team), redisUrl: cluster.target, kling: { latencyMs: 200 }, workers: { generateAttempts: { attempts: 5, backoffMs: 100 } } });
  try {
    const handles = await p.client.enqueueMany(Array.from({ length: JOBS }, (_, i) => job(team, i)));
    await handles[0]!.decision();
    await disturb(p);
    const results = await Promise.all(handles.map((h) => h.result()));
    const done = results.filter((r) => r.state === 'completed');
    expect(done.length).toBeGreaterThan(0);
    expect(results.every((r) => ['completed', 'failed', 'rejected'].includes(r.state))).toBe(true);
    // The money: spent is what the completed jobs were charged, within the limit; nothing reserved.
    const budget = (await p.client.budgets.show({ team, project: 'main' }))!;
    const charged = done.reduce((sum, r) => sum.plus(r.state === 'completed' ? (r.charged ?? '0') : '0'), money('0'));
    expect(budget.reserved).toBe('0.00');
    expect(money(budget.spent).eq(charged)).toBe(true);
    expect(money(budget.spent).lte(LIMIT)).toBe(true);
    // No provider task twice: one per external id, and one per completed job at most.
    const ids = p.kling.tasks().map((t) => t.externalId);
    expect(new Set(ids).size).toBe(ids.length);
    return results;
  } finally {
    await p.close();
  }
}

const slotOfTeam = (team: string) => calculateSlot(team);

describe('failover of a master', () => {
  it('graceful (CLUSTER FAILOVER on the replica of the master holding the queues): nothing lost, every job ends', async () => {
    let moved = false;
    const results = await runThrough('graceful', async (p) => {
      const slot = calculateSlot(p.prefix); // BullMQ's keys: {prefix}:…
      const { master, replicas } = await cluster.masterOf(slot);
      const replica = new Redis(replicas[0]!.port, '127.0.0.1');
      try {
        expect(await replica.cluster('FAILOVER')).toBe('OK');
      } finally {
        replica.disconnect();
      }
      await cluster.waitUntilOk({ slot, master: replicas[0]! });
      moved = (await cluster.masterOf(slot)).master !== master;
    });
    expect(moved).toBe(true);
    // A graceful failover waits for the replica to catch up: no job is lost or fails for it.
    expect(results.filter((r) => r.state === 'failed')).toEqual([]);
  });

  /**
   * kill -9 of the master holding `slot`; true once its replica serves the slot. The old master
   * then comes back as a replica of the new one (its AOF is replaced by a full sync).
   */
  async function killMasterOf(slot: number): Promise<boolean> {
    const { master, replicas } = await cluster.masterOf(slot);
    await master.kill();
    await cluster.waitUntilOk({ slot, master: replicas[0]! });
    await cluster.restart(master);
    await cluster.waitUntilOk();
    return true;
  }

  it('forced (kill -9 of the master holding the team’s ledger keys): the replica takes over, every job ends, the money holds', async () => {
    const team = 'forced';
    let promoted = false;
    await runThrough(team, async () => {
      promoted = await killMasterOf(slotOfTeam(team));
    });
    expect(promoted).toBe(true);
  });

  // About a minute (jobs whose queue writes were in flight wait for BullMQ's stalled-job
  // recovery and the client's slower state checks): in `npm run test:cluster` only.
  it.runIf(process.env.VIDGATE_TEST_CLUSTER === 'all')('forced (kill -9 of the master holding the queues): the replica takes over, every job ends, the money holds', async () => {
    let promoted = false;
    await runThrough('forced-queues', async (p) => {
      promoted = await killMasterOf(calculateSlot(p.prefix));
    });
    expect(promoted).toBe(true);
  });
});
