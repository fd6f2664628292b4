// A private Redis Cluster (3 masters, 3 replicas) on free ports: for the tests that run vidgate on a
// cluster, its failovers, the chaos suite on a cluster, and bench/scale. Each node is a
// redis-server this run owns, in a directory of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ClusterTarget } from '../src/redis-connection.js';
import { freePort, startRedisServer, type OwnedRedis } from './redis-server.js';

export type Persistence = 'none' | 'aof-everysec' | 'aof-always';

export interface OwnedCluster {
  target: ClusterTarget;
  /** `host:port,…` as REDIS_CLUSTER_NODES and --redis-cluster take it. */
  nodesText: string;
  nodes: OwnedRedis[];
  /** The node (of `nodes`) that is now master of `slot`, and its replicas. */
  masterOf(slot: number): Promise<{ master: OwnedRedis; replicas: OwnedRedis[] }>;
  /** Resolves once every live node says cluster_state:ok and each slot's master is `expected` (when given). */
  waitUntilOk(opts?: { slot?: number; master?: OwnedRedis; timeoutMs?: number }): Promise<void>;
  /** Starts a killed node again on its port, dir and settings (it rejoins from its nodes.conf and its AOF, if any). */
  restart(node: OwnedRedis): Promise<OwnedRedis>;
  stop(): Promise<void>;
}

/** How long a master may be silent before its replica takes over; low, so a forced failover takes a second or two. */
const NODE_TIMEOUT_MS = 1000;

function persistenceArgs(p: Persistence): string[] {
  if (p === 'none') return ['--appendonly', 'no'];
  return ['--appendonly', 'yes', '--appendfsync', p === 'aof-always' ? 'always' : 'everysec'];
}

const probe = (port: number) => {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  return r;
};

async function ask<T>(port: number, f: (r: Redis) => Promise<T>): Promise<T | undefined> {
  const r = probe(port);
  try {
    await r.connect();
    return await f(r);
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

/** Polls `check` until it answers true, up to `timeoutMs`: there is no event to await across processes. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

function startNode(port: number, dir: string, persistence: Persistence, ownDir: boolean): Promise<OwnedRedis> {
  const extraArgs = ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', String(NODE_TIMEOUT_MS), ...persistenceArgs(persistence)];
  return startRedisServer({ port, dir, ownDir, extraArgs });
}

export interface ClusterOptions {
  persistence?: Persistence;
  /** Replicas per master: 1 (the default, for failovers), or 0 (masters only, as a benchmark compares with one server). */
  replicas?: 0 | 1;
  /** Each node's data directory goes here and stays after stop() (a failed run's post-mortem); by default a temp dir stop() removes. */
  baseDir?: string;
}

/** Starts 3 masters (and a replica of each) with `persistence`, joins them with `redis-cli --cluster create`, and waits until every node serves every slot. */
export async function startRedisCluster(opts: ClusterOptions = {}): Promise<OwnedCluster> {
  const persistence = opts.persistence ?? 'none';
  const replicas = opts.replicas ?? 1;
  const ownDir = opts.baseDir === undefined;
  const nodes: OwnedRedis[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < 3 * (1 + replicas); i++) {
      const dir = mkdtempSync(opts.baseDir === undefined ? join(tmpdir(), 'vidgate-cluster-') : join(opts.baseDir, 'node-'));
      nodes.push(await startNode(await freePort(), dir, persistence, ownDir));
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status}): ${create.stderr || create.stdout}`);
  } catch (err) {
    await stop();
    throw err;
  }
  const live = () => nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
  const cluster: OwnedCluster = {
    target: { clusterNodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })) },
    nodesText: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    nodes,
    async masterOf(slot) {
      // CLUSTER NODES, not SLOTS: Redis 7 leaves out of SLOTS a replica that has not received data yet.
      const byPort = (p: number) => nodes.find((x) => x.port === p)!;
      for (const n of live()) {
        const table = await ask(n.port, (r) => r.cluster('NODES') as Promise<string>);
        if (!table) continue;
        const rows = table.split('\n').filter(Boolean).map((l) => {
          const [id, addr, flags, masterId, , , , , ...slots] = l.split(' ');
          return { id: id!, port: Number(addr!.split('@')[0]!.split(':').pop()), flags: flags!.split(','), masterId: masterId!, slots };
        });
        const master = rows.find((r) => r.flags.includes('master') && !r.flags.includes('fail') && r.slots.some((range) => {
          const [from, to = from] = range.split('-').map(Number);
          return slot >= from! && slot <= to!;
        }));
        if (!master) continue;
        const replicas = rows.filter((r) => r.flags.includes('slave') && r.masterId === master.id && !r.flags.some((f) => f.startsWith('fail')));
        return { master: byPort(master.port), replicas: replicas.map((r) => byPort(r.port)) };
      }
      throw new Error(`no live node knows slot ${slot}`);
    },
    async waitUntilOk(w = {}) {
      await until(
        'cluster_state:ok on every live node' + (w.master ? ` with ${w.master.port} master of slot ${w.slot}` : ''),
        async () => {
          const alive = live();
          for (const n of alive) {
            const info = await ask(n.port, (r) => r.cluster('INFO') as Promise<string>);
            if (!info?.includes('cluster_state:ok')) return false;
            // Every live node known and healthy to every other (gossip has spread), no dead one
            // still counted as healthy.
            const table = await ask(n.port, (r) => r.cluster('NODES') as Promise<string>);
            const healthy = (table ?? '').split('\n').filter((l) => l && !/\bfail\??\b|handshake|noaddr/.test(l) && / connected\b/.test(l));
            if (healthy.length !== alive.length) return false;
            // A replica that has not finished its first sync cannot take over: wait for its link.
            const repl = await ask(n.port, (r) => r.info('replication'));
            if (repl?.includes('role:slave') && !repl.includes('master_link_status:up')) return false;
          }
          if (w.master && w.slot !== undefined) return (await cluster.masterOf(w.slot)).master === w.master;
          return true;
        },
        w.timeoutMs ?? 30_000,
      );
    },
    async restart(node) {
      const again = await startNode(node.port, node.dir, persistence, ownDir);
      nodes[nodes.indexOf(node)] = again;
      return again;
    },
    stop,
  };
  try {
    await cluster.waitUntilOk();
  } catch (err) {
    await stop();
    throw err;
  }
  return cluster;
}

export function redisCliInstalled(): boolean {
  return spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;
}
