// vidgate's keys, scripts and commands on a real Redis Cluster (the cluster project's own): every
// ledger script on teams spread over the masters, what Redis Cluster does with a script that
// touches a key it was not given, the queues' hash tag, SCAN per master, and the CLI's cluster flag.
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { createLedger } from '../../src/ledger/index.js';
import { deleteMatching, isCluster, queuePrefix, scanKeys, type RedisConnection } from '../../src/redis-connection.js';
import { runCli } from '../helpers/cli.js';
import { connect, onCluster, redisEnv, uniquePrefix } from '../helpers/redis.js';

let redis: RedisConnection;
beforeAll(async () => {
  redis = connect();
  await redis.ping(); // the slot map is known once connected
});
afterAll(async () => redis?.quit());

const cluster = () => redis as Cluster;
/** The master serving `slot`, as host:port. */
const masterOf = (slot: number) => {
  const node = cluster().nodes('master').find((n) => (cluster().slots[slot] ?? [])[0] === `${n.options.host}:${n.options.port}`);
  return node ? `${node.options.host}:${node.options.port}` : undefined;
};

it('runs on a cluster', () => {
  expect(onCluster()).toBe(true);
  expect(isCluster(redis)).toBe(true);
});

describe('the ledger on a cluster', () => {
  it('every operation works for teams whose keys live on different masters', async () => {
    const prefix = uniquePrefix('cl');
    // Teams chosen so their slots fall on at least two different masters.
    const teams = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    expect(new Set(teams.map((t) => masterOf(calculateSlot(t)))).size).toBeGreaterThan(1);
    const ledger = createLedger({ redis, prefix });
    for (const team of teams) {
      await ledger.setBudget({ team, limit: '10', period: 'monthly' });
      await ledger.setBudget({ team, project: 'p', limit: '5', period: 'daily', alerts: [0.5] });
      const id = `r-${team}`;
      expect(await ledger.reserve({ reservationId: id, team, project: 'p', candidates: [{ cost: '3' }] })).toMatchObject({ status: 'reserved' });
      expect(await ledger.extend({ reservationId: id, leaseMs: 60_000 })).toMatchObject({ extended: true });
      expect(await ledger.topUp({ reservationId: id, amount: '4' })).toMatchObject({ toppedUp: true });
      expect(await ledger.commit({ reservationId: id, actual: '3.5' })).toMatchObject({ status: 'committed' });
      expect(await ledger.reconcile({ reservationId: id, billed: '3.75' })).toMatchObject({ adjusted: true });
      const r2 = `r2-${team}`;
      await ledger.reserve({ reservationId: r2, team, project: 'p', candidates: [{ cost: '1' }], leaseMs: 1 });
      expect(await ledger.release({ reservationId: r2 })).toMatchObject({ status: 'released' });
      expect(await ledger.getBudgets(team, ['p'])).toMatchObject([{ spent: '3.75', reserved: '0.00' }, { spent: '3.75', reserved: '0.00' }]);
      expect((await ledger.audit(team)).map((e) => e.op)).toEqual(['set-budget', 'set-budget', 'alert', 'reserve', 'extend', 'top-up', 'committed', 'reconcile', 'reserve', 'released']);
    }
    // The reaper's sweep reads every team (the teams set is outside their slots): nothing due here.
    expect(await ledger.expireDue()).toEqual([]);
    await ledger.close();
    await deleteMatching(redis, `${prefix}:*`);
  });

  it('Redis Cluster refuses a script that touches a key on another node it was not given; the ledger passes every key', async () => {
    const declared = '{cl-probe}:a';
    const here = masterOf(calculateSlot(declared));
    // A key whose slot another master serves: found by trying names (the slot map is the cluster's).
    const name = (pred: (m: string | undefined) => boolean) => Array.from({ length: 200 }, (_, i) => `cl-probe-${i}`).find((k) => pred(masterOf(calculateSlot(k))))!;
    const script = "return redis.call('GET', ARGV[1])";
    expect(here).toBeDefined();
    await expect(redis.eval(script, 1, declared, name((m) => m !== undefined && m !== here))).rejects.toThrow(/non local key/i);
    // Redis 7.0 checks only that the key is served by this node, so an undeclared key of the same
    // slot (or of another slot on this node) is read; that is no promise (a slot may move between
    // nodes), so the ledger never relies on it: its scripts only compare the ARGV stems with KEYS.
    const sameSlot = await redis.eval(script, 1, declared, '{cl-probe}:b').then(() => 'ran', (err: Error) => `refused: ${err.message}`);
    expect(['ran', expect.stringMatching(/^refused/)]).toContainEqual(sameSlot);
  });
});

it("the queues' prefix is hash-tagged, so each queue's keys share one slot; braces in a prefix are refused", () => {
  expect(queuePrefix('vidgate', redis)).toBe('{vidgate}');
  expect(calculateSlot(`${queuePrefix('vidgate', redis)}:intake:wait`)).toBe(calculateSlot(`${queuePrefix('vidgate', redis)}:generate:active`));
  expect(() => queuePrefix('vid{gate}', redis)).toThrow('key prefix "vid{gate}" has { or }');
});

it('SCAN reads every master, and deletion goes key by key across slots', async () => {
  const prefix = uniquePrefix('scan');
  const keys = Array.from({ length: 60 }, (_, i) => `${prefix}:k${i}`);
  for (const k of keys) await redis.set(k, '1');
  const found: string[] = [];
  await scanKeys(redis, `${prefix}:*`, async (_node, batch) => void found.push(...batch));
  expect(found.sort()).toEqual([...keys].sort());
  expect(await deleteMatching(redis, `${prefix}:*`)).toBe(60);
  const left: string[] = [];
  await scanKeys(redis, `${prefix}:*`, async (_node, batch) => void left.push(...batch));
  expect(left).toEqual([]);
});

describe('the CLI on a cluster', () => {
  it('REDIS_CLUSTER_NODES and --redis-cluster reach the same cluster', async () => {
    const prefix = uniquePrefix('clcli');
    const set = await runCli(['budget', 'set', '--team', 'studio', '--project', 'trailer', '--limit', '50', '--period', 'monthly', '--prefix', prefix], { env: { ...redisEnv(), REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(set).toMatchObject({ code: 0, stderr: '' });
    const nodes = (redisEnv() as { REDIS_CLUSTER_NODES: string }).REDIS_CLUSTER_NODES;
    const show = await runCli(['budget', 'show', '--team', 'studio', '--project', 'trailer', '--json', '--prefix', prefix, '--redis-cluster', nodes.split(',')[0]!], { env: { REDIS_CLUSTER_NODES: '' } });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ team: 'studio', project: 'trailer', limit: '50.00' });
    await deleteMatching(redis, `${prefix}:*`);
  });

  it('bad node lists and an unreachable cluster are clear errors', async () => {
    const bad = await runCli(['budget', 'show', '--team', 'studio', '--redis-cluster', '127.0.0.1:7000,nope']);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toContain('--redis-cluster: "nope" is not host:port');
    const both = await runCli(['budget', 'show', '--team', 'studio', '--redis-cluster', '127.0.0.1:7000', '--redis', 'redis://127.0.0.1:6379']);
    expect(both.stderr).toContain('--redis and --redis-cluster exclude each other');
    const away = await runCli(['budget', 'show', '--team', 'studio'], { env: { REDIS_CLUSTER_NODES: '127.0.0.1:1' } });
    expect(away.code).toBe(1);
    expect(away.stderr).toContain('cannot reach Redis Cluster 127.0.0.1:1');
    expect(away.stderr).toContain('REDIS_CLUSTER_NODES');
  });
});
